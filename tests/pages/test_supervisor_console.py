"""The supervisor's console in Chromium, offline, with a supervisor's token in the tab: the
dashboard's figures are the API's (and follow a new case live), an overdue case is listed,
incidents are retried one and two at a time, a task is reassigned, a parked case is shown,
the ranking shows the formula the server publishes; readable at 200 % zoom; without a token
the page offers sign-in. One server and one browser serve the whole module."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.conftest import Server, serve
from tests.api.incidents import INCIDENTS, RECEPTION_DATA, RETRY, make_incident
from tests.api.test_case_deadlines import open_late_cases
from tests.api.test_end_to_end import COMPLETE, open_property_case
from tests.api.test_parked_cases import plant_poison
from tests.browser import BROWSER_MARKS, artefact_dir, chromium, console_errors, keep_screenshot

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [*BROWSER_MARKS, pytest.mark.xdist_group("supervisor_console")]

OFFICE = "LPK"
DASHBOARD = """query($o: String!) { office(id: $o) { dashboard { openCases dueToday overdue } }
  queue(officeId: $o) { waiting { id } done } }"""
TASKS = """query($o: String!) { tasks(officeId: $o, first: 100) { edges { node { caseNumber taskId holder } } } }"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Path) -> Iterator[tuple[Server, str, str]]:
    """The seeded store with two overdue cases, served over a socket; yields it and those
    cases (the first waits at the reception desk, the second on its fee check)."""
    path = tmp_path_factory.mktemp("supervisor-console") / "okno.sqlite"
    shutil.copyfile(seeded_sqlite, path)
    at_desk, at_agency = open_late_cases(f"sqlite:///{path}")
    for server in serve(f"sqlite:///{path}", seeded=True):
        yield server, at_desk, at_agency


@pytest.fixture(scope="module")
def browser(console: tuple[Server, str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    server = console[0]
    with chromium(tmp_path_factory.mktemp("profile")) as driver:
        driver.get(f"{server.url}/ui/")
        driver.execute_script("sessionStorage.setItem('okno.token', arguments[0])", server.token("supervisor", OFFICE))
        yield driver


@pytest.fixture
def server(console: tuple[Server, str, str]) -> Server:
    return console[0]


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], seconds: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def open_view(driver: WebDriver, server: Server, view: str) -> None:
    """Load the console on ``view`` and wait until the view has rendered its data."""
    from selenium.webdriver.common.by import By

    driver.get("about:blank")  # a fresh load each time: no view's old content is mistaken for new
    driver.get(f"{server.url}/ui/supervisor/#{view}")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"section#{view}[data-ready='true']"))


@contextmanager
def sockets_kept(driver: WebDriver) -> Iterator[None]:
    """Pages loaded meanwhile keep their websockets in ``window.keptSockets``, so a test can
    cut a page off from its live updates (the page's own code is not changed for it)."""
    keeping = driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "window.keptSockets = []; const Native = window.WebSocket; window.WebSocket = class "
            "extends Native { constructor(...args) { super(...args); window.keptSockets.push(this); } };"
        },
    )
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": keeping["identifier"]})


def status(driver: WebDriver) -> str:
    from selenium.webdriver.common.by import By

    text: str = driver.find_element(By.ID, "status").text
    return text


def figures(driver: WebDriver) -> dict[str, int]:
    """The dashboard's cards, read in one script: the live view may redraw them at any time."""
    shown: dict[str, str] = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#dashboard .figure')]"
        ".map((card) => [card.dataset.figure, card.querySelector('.figure-value').textContent]));"
    )
    return {name: int(value) for name, value in shown.items()}


def incident_cases(server: Server) -> set[str]:
    return {i["caseNumber"] for i in server.run("supervisor", INCIDENTS, office=OFFICE, o=OFFICE)["incidents"]}


def test_the_dashboard_shows_the_apis_figures_and_follows_a_new_case_live(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    open_view(browser, server, "dashboard")
    answer = server.run("supervisor", DASHBOARD, office=OFFICE, o=OFFICE)
    board, queue = answer["office"]["dashboard"], answer["queue"]
    assert figures(browser) == {**board, "waiting": len(queue["waiting"]), "served": queue["done"]}
    assert board["overdue"] >= 1, "the module's late case counts as overdue"
    keep_screenshot(browser, artefact_dir(request), "dashboard")

    open_property_case(server, "dashboard-live")  # no reload: the work list's subscription tells the page
    wait_for(browser, lambda d: figures(d)["openCases"] == board["openCases"] + 1)
    assert not console_errors(browser)


def test_an_overdue_case_is_listed_with_its_service_stage_and_days_late(
    console: tuple[Server, str, str], browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    server, late, at_agency = console
    open_view(browser, server, "deadlines")

    def cells(number: str) -> list[str]:
        row = browser.find_element(By.CSS_SELECTOR, f"#deadline-table tr[data-case='{number}']")
        return [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]

    number, service, stage, _, days_left, holders = cells(late)
    assert number == late and service.startswith("Государственная регистрация права собственности")
    assert stage == "Приём документов" and days_left.startswith("просрочено на ")
    assert holders == "Приём и проверка документов: не назначена Передать"
    waiting = cells(at_agency)  # no task open, overdue all the same
    assert waiting[4].startswith("просрочено на ") and waiting[5].startswith("нет открытых задач")
    keep_screenshot(browser, artefact_dir(request), "deadlines")

    fresh = str(open_property_case(server, "deadline-soon")["case"]["number"])  # due in nine working days
    assert not browser.find_elements(By.CSS_SELECTOR, f"#deadline-table tr[data-case='{fresh}']")
    days = browser.find_element(By.ID, "deadline-days")
    days.clear()
    days.send_keys("30\n")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#deadline-table tr[data-case='{fresh}']"))

    # "Передать" on the late case opens the reassign form on its task, at the holder field.
    browser.find_element(By.CSS_SELECTOR, f"#deadline-table tr[data-case='{late}'] a.reassign").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "section#tasks[data-ready='true']"))
    picked = Select(browser.find_element(By.ID, "reassign-task")).first_selected_option
    assert picked.get_attribute("data-case") == late
    assert browser.switch_to.active_element.get_attribute("id") == "reassign-holder"
    assert not console_errors(browser)


def test_an_incident_is_shown_with_its_error_and_retried_from_the_page(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    incident = make_incident(server, "incident-one")
    number = incident["caseNumber"]
    open_view(browser, server, "incidents")
    row = browser.find_element(By.CSS_SELECTOR, f"#incident-table tr[data-case='{number}']")
    assert "Task_CheckFee" in row.text and "payment_check" in row.text and "ГИС ГМП: 503" in row.text
    keep_screenshot(browser, artefact_dir(request), "incidents")

    row.find_element(By.CSS_SELECTOR, "button").click()
    wait_for(browser, lambda d: status(d) == "Повторено инцидентов: 1.")
    assert not browser.find_elements(By.CSS_SELECTOR, f"#incident-table tr[data-case='{number}']")
    assert number not in incident_cases(server)
    keep_screenshot(browser, artefact_dir(request), "incident-retried")
    assert not console_errors(browser)


def test_incidents_follow_the_office_live_and_what_is_ticked_stays_ticked(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    first = make_incident(server, "incident-live-1")
    open_view(browser, server, "incidents")
    box = f"#incident-table tr[data-case='{first['caseNumber']}'] input[type=checkbox]"
    browser.find_element(By.CSS_SELECTOR, box).send_keys(" ")

    second = make_incident(server, "incident-live-2")  # no reload: incidentsChanged tells the page
    wait_for(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#incident-table tr[data-case='{second['caseNumber']}']")
    )
    assert browser.find_element(By.CSS_SELECTOR, box).is_selected(), "the tick was lost when the list changed"
    keep_screenshot(browser, artefact_dir(request), "incidents-live")

    for made in (first, second):  # retried elsewhere (another supervisor, a script): gone from the page
        done = server.run(
            "supervisor", RETRY, office=OFFICE, input={"caseNumber": made["caseNumber"], "taskId": made["taskId"]}
        )
        assert done["retryIncident"]["__typename"] == "CasePayload", done
    rows = ", ".join(f"#incident-table tr[data-case='{made['caseNumber']}']" for made in (first, second))
    wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, rows))
    assert not console_errors(browser)


def test_two_incidents_ticked_are_retried_at_once_and_then_all_shown(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    ticked = [make_incident(server, f"incident-bulk-{n}")["caseNumber"] for n in (1, 2)]
    left = make_incident(server, "incident-bulk-3")["caseNumber"]
    open_view(browser, server, "incidents")
    for number in ticked:  # by keyboard: the box is reached with Tab and ticked with space
        box = browser.find_element(By.CSS_SELECTOR, f"#incident-table tr[data-case='{number}'] input[type=checkbox]")
        box.send_keys(" ")
        assert box.is_selected()
    keep_screenshot(browser, artefact_dir(request), "incidents-ticked")
    browser.find_element(By.ID, "retry-selected").click()
    wait_for(browser, lambda d: status(d) == "Повторено инцидентов: 2.")
    assert not set(ticked) & incident_cases(server)
    assert left in incident_cases(server), "an incident not ticked is not retried"
    for number in ticked:
        assert not browser.find_elements(By.CSS_SELECTOR, f"#incident-table tr[data-case='{number}']")

    # "All shown", when one of them was retried by someone else before the page heard of it
    # (its live list cut off, as a dropped connection does): one summary says how many were
    # retried, and why the other was not.
    raced = make_incident(server, "incident-bulk-4")
    with sockets_kept(browser):
        open_view(browser, server, "incidents")
        browser.execute_script("window.keptSockets.forEach((socket) => { socket.onmessage = null; });")
    shown = len(browser.find_elements(By.CSS_SELECTOR, "#incident-table tbody tr"))
    assert shown >= 2
    again = server.run(
        "supervisor", RETRY, office=OFFICE, input={"caseNumber": raced["caseNumber"], "taskId": raced["taskId"]}
    )
    assert again["retryIncident"]["__typename"] == "CasePayload"
    browser.find_element(By.ID, "retry-all").click()
    wait_for(browser, lambda d: status(d).startswith(f"Повторено {shown - 1} из {shown}. Не повторены — "))
    assert f"дело {raced['caseNumber']}, шаг Task_CheckFee: отказано (job Task_CheckFee is not an incident" in status(
        browser
    )
    assert not incident_cases(server)
    assert browser.find_elements(By.ID, "no-incidents")
    keep_screenshot(browser, artefact_dir(request), "incidents-all-retried")
    assert not console_errors(browser)


def test_a_task_is_reassigned_to_a_member_of_staff(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    case = open_property_case(server, "reassign")["case"]
    number, task = case["number"], case["tasks"][0]["taskId"]
    open_view(browser, server, "tasks")
    Select(browser.find_element(By.ID, "reassign-task")).select_by_value(task)
    holder = browser.find_element(By.ID, "reassign-holder")
    holder.send_keys("ELC/stranger\n")  # another office's: refused at the field
    wait_for(browser, lambda d: d.find_elements(By.ID, "reassign-holder-error"))
    assert holder.get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.ID, "reassign-holder-error").text == "Укажите сотрудника этого офиса: LPK/имя."
    keep_screenshot(browser, artefact_dir(request), "reassign-refused")

    holder = browser.find_element(By.ID, "reassign-holder")
    holder.clear()
    holder.send_keys(f"{OFFICE}/petrova\n")
    wait_for(
        browser, lambda d: status(d) == f"Задача «Приём и проверка документов» дела {number} передана: LPK/petrova."
    )
    tasks = [e["node"] for e in server.run("supervisor", TASKS, office=OFFICE, o=OFFICE)["tasks"]["edges"]]
    assert {(t["caseNumber"], t["taskId"], t["holder"]) for t in tasks} >= {(number, task, f"{OFFICE}/petrova")}
    cell = browser.find_element(By.CSS_SELECTOR, f"#task-table tr[data-task='{task}'] .holder")
    assert cell.text == f"{OFFICE}/petrova"
    keep_screenshot(browser, artefact_dir(request), "reassigned")

    # A task completed while the form was open: the server's refusal is said, nothing changes.
    gone = open_property_case(server, "reassign-gone")["case"]
    open_view(browser, server, "tasks")
    Select(browser.find_element(By.ID, "reassign-task")).select_by_value(gone["tasks"][0]["taskId"])
    done = server.run(
        "operator",
        COMPLETE,
        office=OFFICE,
        input={"caseNumber": gone["number"], "element": "Task_Reception", "data": RECEPTION_DATA},
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    browser.find_element(By.ID, "reassign-holder").send_keys(f"{OFFICE}/petrova\n")
    wait_for(browser, lambda d: status(d).startswith("Не передана: задача уже не открыта (task "))
    assert not console_errors(browser)


def test_a_parked_case_is_listed_with_what_parked_it(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    plant_poison(server, str(open_property_case(server, "parked")["case"]["number"]))
    open_property_case(server, "after-poison")  # the server's read models reach the poison event

    def listed(driver: WebDriver) -> bool:
        open_view(driver, server, "parked")
        return bool(driver.find_elements(By.CSS_SELECTOR, "#parked-table tr[data-case='LPK-POISON-API']"))

    wait_for(browser, listed, 30)
    row = browser.find_element(By.CSS_SELECTOR, "#parked-table tr[data-case='LPK-POISON-API']")
    assert "outbox" in row.text and row.find_element(By.CSS_SELECTOR, ".error-text").text
    keep_screenshot(browser, artefact_dir(request), "parked")
    assert not console_errors(browser)


def test_the_ranking_shows_its_formula_from_the_api(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    open_view(browser, server, "ranking")
    formula = browser.find_element(By.ID, "ranking-formula").text
    assert (
        "Балл = 100 × (0,4 × В срок + 0,25 × (Оценка − 1) / 4 + "
        "0,15 × max(0; 1 − Жалобы на дело / 0,1) + 0,2 × Ожидание)" in formula
    )
    assert "с весом 20" in formula and "за 15 мин" in formula and "за 5 мин" in formula
    own = browser.find_element(By.CSS_SELECTOR, f"#ranking-table tr[data-office='{OFFICE}']")
    assert own.get_attribute("aria-current") == "true"
    today = datetime.now(UTC).date()
    ranking = server.run(
        "supervisor",
        "query($s: Date!, $u: Date!) { officeRanking(since: $s, until: $u) { office } }",
        office=OFFICE,
        s=today.replace(day=1).isoformat(),
        u=today.isoformat(),
    )["officeRanking"]
    shown = [
        row.get_attribute("data-office") for row in browser.find_elements(By.CSS_SELECTOR, "#ranking-table tbody tr")
    ]
    assert shown == [r["office"] for r in ranking]
    keep_screenshot(browser, artefact_dir(request), "ranking")
    assert not console_errors(browser)


def test_every_view_reads_at_200_percent_zoom_without_sideways_scrolling(
    server: Server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    make_incident(server, "incident-zoom")  # the widest table: incidents with their errors
    # 200 % of a 1280-pixel screen: a page 640 CSS pixels wide, drawn at twice the density.
    with chromium(tmp_path / "profile", zoom=2.0) as driver:
        driver.get(f"{server.url}/ui/")
        driver.execute_script("sessionStorage.setItem('okno.token', arguments[0])", server.token("supervisor", OFFICE))
        for view in ("dashboard", "deadlines", "incidents", "tasks", "parked", "ranking"):
            open_view(driver, server, view)
            fits = driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            assert fits, f"the {view} view scrolls sideways at 200 %"
            if view in ("incidents", "ranking"):
                keep_screenshot(driver, artefact_dir(request), f"{view}-zoom-200")
        assert not console_errors(driver)


def test_without_a_supervisors_token_the_console_offers_sign_in(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    supervisor = browser.execute_script("return sessionStorage.getItem('okno.token')")
    try:
        for name, token in (("no-token", None), ("operator", server.token("operator", OFFICE))):
            browser.get(f"{server.url}/ui/")
            browser.execute_script(
                "arguments[0] ? sessionStorage.setItem('okno.token', arguments[0]) : sessionStorage.clear()", token
            )
            browser.get(f"{server.url}/ui/supervisor/#incidents")
            link = wait_for(
                browser, lambda d: next((a for a in d.find_elements(By.ID, "sign-in") if a.is_displayed()), None)
            )
            assert link.text == "Войти"
            assert link.get_attribute("href") == f"{server.url}/auth/login?next=%2Fui%2Fsupervisor%2F%23incidents"
            assert not browser.find_element(By.ID, "views").is_displayed()
            assert not browser.find_elements(By.CSS_SELECTOR, "main > section:not([hidden])"), "no view without sign-in"
            expected = "Войдите" if token is None else "Консоль — для руководителя офиса"
            assert status(browser).startswith(expected)
            keep_screenshot(browser, artefact_dir(request), f"sign-in-{name}", min_colours=5)
        assert not console_errors(browser)
    finally:
        browser.execute_script("sessionStorage.setItem('okno.token', arguments[0])", supervisor)
