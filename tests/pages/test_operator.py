"""Issue 20: the operator's workplace in Chromium, offline, signed in with an operator token.

One server (with a Camunda Form and a JSON-Schema form task, tests/fixtures/operator) and
one browser for the module, on one xdist worker; each test opens
the cases it works on, so they run in any order: the work list (live, claim, release), the
task's form (an API error at its field, then done), the JSON-Schema form through the same
viewer, the case card with its bpmn-js diagram, the window, and the form converter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.conftest import Server
from tests.api.test_end_to_end import CLAIM, COMPLETE
from tests.api.test_reception import TICKET, during_opening_hours
from tests.browser import BROWSER_MARKS, artefact_dir, chromium, console_errors, keep_screenshot
from tests.operator_forms import FORMS_SERVICE, forms_server

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

pytestmark = [*BROWSER_MARKS, pytest.mark.xdist_group("operator_pages")]

OPEN = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) { __typename ... on OpenCasePayload { case { number } } ... on Error { message } }
}"""
TASKS = """
query Tasks($number: String!) { case(number: $number) { status tasks { taskId element state holder } } }"""


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('operator') / 'okno.sqlite'}"
    for server in forms_server(url, seeded_sqlite, over_a_socket=True):
        during_opening_hours(server)  # the window calls visitors only while the office is open
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Offline, as on a machine without internet; shared by the module's tests."""
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def signed_in(driver: WebDriver, office: Server, path: str) -> None:
    driver.get(f"{office.url}/ui/")
    driver.execute_script("sessionStorage.setItem('okno.token', arguments[0])", office.token("operator", "LPK"))
    driver.get(f"{office.url}{path}")


def open_case(office: Server, service: str, key: str) -> str:
    opened = office.run(
        "integrator",
        OPEN,
        input={
            "serviceCode": service,
            "officeId": "LPK",
            "channel": "portal",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна", "document": "4215 654321"},
            "idempotencyKey": key,
        },
    )["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    number: str = opened["case"]["number"]
    return number


def claimed_by_api(office: Server, number: str) -> str:
    """Claim the case's one open task as the operator the pages sign in as; its id."""
    [task] = tasks_of(office, number)["tasks"]
    claimed = office.run("operator", CLAIM, office="LPK", input={"caseNumber": number, "taskId": task["taskId"]})
    assert claimed["claimTask"]["__typename"] == "CasePayload", claimed
    task_id: str = task["taskId"]
    return task_id


def at_the_check(office: Server, key: str) -> tuple[str, str]:
    """A case whose application is filled in (through the API): at its JSON-Schema task."""
    number = open_case(office, FORMS_SERVICE.code, key)
    done = office.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Application",
            "taskId": claimed_by_api(office, number),
            "data": {"full_name": "Кузнецова Анна Сергеевна", "email": "anna@mfc.example"},
        },
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    [check] = tasks_of(office, number)["tasks"]
    return number, check["taskId"]


def tasks_of(office: Server, number: str) -> dict[str, Any]:
    found: dict[str, Any] = office.run("operator", TASKS, office="LPK", number=number)["case"]
    return found


def wait(driver: WebDriver, until: Any, seconds: float = 30, message: Any = None) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    try:
        return WebDriverWait(driver, seconds, ignored_exceptions=ignored).until(until)
    except TimeoutException:
        raise AssertionError(f"waited {seconds}s in vain: {message(driver) if message else until}") from None


def field(driver: WebDriver, label: str) -> WebElement:
    """A form-js field's container (`.fjs-form-field`), found by its label text."""
    from selenium.webdriver.common.by import By

    return driver.find_element(
        By.XPATH, f"//div[contains(@class,'fjs-form-field ')][.//label[normalize-space(text())='{label}']]"
    )


def field_input(driver: WebDriver, label: str) -> WebElement:
    from selenium.webdriver.common.by import By

    return field(driver, label).find_element(By.CSS_SELECTOR, "input")


def status(driver: WebDriver) -> str:
    from selenium.webdriver.common.by import By

    text: str = driver.find_element(By.ID, "status").text
    return text


def test_without_a_token_the_workplace_offers_to_sign_in(office: Server, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{office.url}/ui/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{office.url}/ui/operator/index.html")
    link = wait(browser, lambda d: d.find_element(By.LINK_TEXT, "Войти"))
    assert link.get_attribute("href").endswith("/auth/login?next=%2Fui%2Foperator%2Findex.html")
    assert not console_errors(browser)
    # a token the server no longer takes (here: not one of its own) is dropped: sign in again
    browser.execute_script("sessionStorage.setItem('okno.token', 'v1.not-a-token')")
    browser.get(f"{office.url}/ui/operator/window.html")
    link = wait(browser, lambda d: d.find_element(By.LINK_TEXT, "Войти"))
    assert link.get_attribute("href").endswith("/auth/login?next=%2Fui%2Foperator%2Fwindow.html")
    assert browser.execute_script("return sessionStorage.getItem('okno.token')") is None
    console_errors(browser)  # the refused request itself is logged by the browser


def test_the_work_list_shows_a_task_updates_live_claims_and_releases(
    office: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    first = open_case(office, FORMS_SERVICE.code, "operator-page-1")
    signed_in(browser, office, "/ui/operator/index.html")
    row = wait(browser, lambda d: d.find_element(By.XPATH, f"//tr[td/a[text()='{first}']]"))
    assert "Заполнение заявления" in row.text and "ожидает" in row.text
    assert "Задачи офиса LPK" in browser.find_element(By.ID, "heading").text

    second = open_case(office, FORMS_SERVICE.code, "operator-page-2")  # appears without a reload
    wait(browser, lambda d: d.find_elements(By.XPATH, f"//tr[td/a[text()='{second}']]"))

    claim = f"//tr[td/a[text()='{first}']]//button[text()='Взять']"
    wait(browser, lambda d: d.find_element(By.XPATH, claim)).click()
    wait(browser, lambda d: "в работе" in d.find_element(By.XPATH, f"//tr[td/a[text()='{first}']]").text)
    assert "LPK/test-operator" in browser.find_element(By.XPATH, f"//tr[td/a[text()='{first}']]").text
    [task] = tasks_of(office, first)["tasks"]
    assert (task["state"], task["holder"]) == ("CLAIMED", "LPK/test-operator")
    keep_screenshot(browser, artefact_dir(request), "work-list")

    wait(browser, lambda d: d.find_element(By.XPATH, f"//tr[td/a[text()='{second}']]//button[text()='Взять']")).click()
    wait(
        browser, lambda d: d.find_element(By.XPATH, f"//tr[td/a[text()='{second}']]//button[text()='Вернуть']")
    ).click()
    wait(browser, lambda d: "ожидает" in d.find_element(By.XPATH, f"//tr[td/a[text()='{second}']]").text)
    assert tasks_of(office, second)["tasks"][0]["state"] == "OPEN"
    assert not console_errors(browser)


def test_a_camunda_form_shows_the_apis_error_at_its_field_then_completes(
    office: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    number = open_case(office, FORMS_SERVICE.code, "operator-page-form")
    task = claimed_by_api(office, number)
    signed_in(browser, office, f"/ui/operator/task.html?case={number}&task={task}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".fjs-container input"))
    assert browser.find_element(By.ID, "heading").text == "Заполнение заявления"
    field_input(browser, "ФИО заявителя").send_keys("Кузнецова Анна Сергеевна")
    # form-js takes "anna@mfc" for an address; okno's check wants a domain with a dot
    field_input(browser, "Электронная почта").send_keys("anna@mfc")
    field_input(browser, "Число экземпляров").send_keys("2")
    browser.find_element(By.XPATH, "//button[text()='Завершить задачу']").click()
    email = wait(
        browser,
        lambda d: (
            field(d, "Электронная почта") if "must be a valid email" in field(d, "Электронная почта").text else None
        ),
    )
    assert email.find_element(By.CSS_SELECTOR, "input").get_attribute("aria-invalid") == "true"
    assert "исправьте отмеченные поля" in status(browser)
    assert tasks_of(office, number)["tasks"][0]["state"] == "CLAIMED"  # refused: nothing recorded
    keep_screenshot(browser, artefact_dir(request), "camunda-form-error")

    box = field_input(browser, "Электронная почта")
    box.send_keys(Keys.END, ".example")
    assert box.get_attribute("value") == "anna@mfc.example"
    browser.find_element(By.XPATH, "//button[text()='Завершить задачу']").click()
    wait(
        browser,
        lambda d: "завершена" in status(d),
        message=lambda d: f"{status(d)} {field(d, 'Электронная почта').text}",
    )
    [check] = tasks_of(office, number)["tasks"]
    assert check["element"] == "Task_Check"
    keep_screenshot(browser, artefact_dir(request), "camunda-form-done")
    assert not console_errors(browser)


def test_a_json_schema_form_is_drawn_by_the_same_viewer(
    office: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    number, check = at_the_check(office, "operator-page-schema")
    signed_in(browser, office, f"/ui/operator/task.html?case={number}&task={check}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".fjs-container .fjs-form-field"))
    labels = [e.text.strip(" *") for e in browser.find_elements(By.CSS_SELECTOR, ".fjs-container label")]
    for label in ("Документы в полном составе", "Решение", "Число листов", "Дата проверки", "Замечание"):
        assert any(label in text for text in labels), (label, labels)
    browser.find_element(By.XPATH, "//button[text()='Взять в работу']").click()
    wait(browser, lambda d: d.find_elements(By.XPATH, "//button[text()='Завершить задачу']"))
    field_input(browser, "Число листов").send_keys("3")
    field(browser, "Документы в полном составе").find_element(By.CSS_SELECTOR, "input").click()
    browser.find_element(By.XPATH, "//button[text()='Завершить задачу']").click()
    # "Решение" is required and empty: form-js says so at the field, nothing is sent
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".fjs-form-field-error"))
    decision = field(browser, "Решение")
    assert decision.find_elements(By.CSS_SELECTOR, ".fjs-form-field-error")
    keep_screenshot(browser, artefact_dir(request), "json-schema-form")
    assert tasks_of(office, number)["tasks"][0]["state"] == "CLAIMED"
    assert not console_errors(browser)


def test_the_case_card_shows_stages_and_the_diagram_with_the_current_task_marked(
    office: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    number, _ = at_the_check(office, "operator-page-card")
    signed_in(browser, office, f"/ui/operator/case.html?number={number}")
    active = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram .djs-element.okno-active"))
    assert [e.get_attribute("data-element-id") for e in active] == ["Task_Check"]
    passed = {
        e.get_attribute("data-element-id") for e in browser.find_elements(By.CSS_SELECTOR, "#diagram .okno-passed")
    }
    assert {"StartEvent_1", "Task_Application"} <= passed
    assert len(browser.find_elements(By.CSS_SELECTOR, "#diagram .djs-shape")) >= 4
    stages = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#stages li")]
    assert [s.split(" — ")[0] for s in stages] == ["Приём заявления", "Проверка документов"], stages
    assert "Заявление с проверкой документов" in browser.find_element(By.ID, "about").text
    assert "Паспорт" in browser.find_element(By.ID, "documents").text
    assert "Дело открыто" in browser.find_element(By.ID, "history").text
    diagram = browser.find_element(By.ID, "diagram")
    browser.execute_script("arguments[0].scrollIntoView()", diagram)
    keep_screenshot(browser, artefact_dir(request), "case-card")
    assert not console_errors(browser)


def test_at_the_window_the_next_visitor_is_called_and_a_case_opened(
    office: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    issued = office.run("integrator", TICKET, input={"officeId": "LPK", "serviceCode": "mvd_passport"})
    ticket = issued["issueTicket"]["ticket"]
    signed_in(browser, office, "/ui/operator/window.html")
    number_box = wait(browser, lambda d: d.find_element(By.ID, "window-number"))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#service option"))
    number_box.clear()
    number_box.send_keys("3")  # window 3 serves the MVD's services (the region's set-up)
    browser.find_element(By.XPATH, "//button[text()='Пригласить следующего']").click()
    wait(browser, lambda d: d.find_element(By.ID, "ticket-number").text == ticket["number"])
    assert browser.find_element(By.ID, "service").get_attribute("value") == "mvd_passport"
    keep_screenshot(browser, artefact_dir(request), "window-called")
    browser.find_element(By.ID, "full-name").send_keys("Иванова Алла Петровна")
    browser.find_element(By.ID, "document").send_keys("4210 123456")
    browser.find_element(By.XPATH, "//button[text()='Открыть дело']").click()
    about = wait(
        browser, lambda d: d.find_element(By.ID, "opened-about") if d.find_element(By.ID, "opened-about").text else None
    )
    number = about.find_element(By.TAG_NAME, "a").text
    assert ticket["number"] in about.text
    assert tasks_of(office, number)["status"] == "OPEN"
    queue = office.run("operator", 'query Q { queue(officeId: "LPK") { serving { number } done } }', office="LPK")
    assert queue["queue"] == {"serving": [], "done": 1}
    keep_screenshot(browser, artefact_dir(request), "window-case-opened")

    # the next visitor only asks a question: the visit ends without a case
    after = office.run("integrator", TICKET, input={"officeId": "LPK", "serviceCode": "mvd_passport"})
    browser.find_element(By.XPATH, "//button[text()='Пригласить следующего']").click()
    wait(browser, lambda d: d.find_element(By.ID, "ticket-number").text == after["issueTicket"]["ticket"]["number"])
    browser.find_element(By.XPATH, "//button[text()='Завершить визит']").click()
    wait(browser, lambda d: "завершён" in status(d) and not d.find_element(By.ID, "visit").is_displayed())
    queue = office.run("operator", 'query Q { queue(officeId: "LPK") { serving { number } done } }', office="LPK")
    assert queue["queue"] == {"serving": [], "done": 2}
    assert not console_errors(browser)


def test_the_window_reads_at_200_percent_zoom_without_sideways_scrolling(
    office: Server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    with chromium(tmp_path / "zoomed", size="1024,768", zoom=2.0) as driver:
        signed_in(driver, office, "/ui/operator/window.html")
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#service option"))
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        keep_screenshot(driver, artefact_dir(request), "window-zoom-200")
        assert not console_errors(driver)


CONVERT = """
const done = arguments[arguments.length - 1];
import('/ui/operator/form-schema.js').then((m) => done(JSON.stringify(m[arguments[0]](...arguments[1]))),
  (e) => done(JSON.stringify({failed: String(e)})));
"""


def convert(driver: WebDriver, function: str, *args: Any) -> Any:
    return json.loads(driver.execute_async_script(CONVERT, function, list(args)))


def test_one_converter_turns_a_field_list_into_a_form_js_document(office: Server, browser: WebDriver) -> None:
    browser.get(f"{office.url}/ui/operator/index.html")
    fields = [
        {"id": "pages", "label": "Листов", "type": "long", "required": True, "constraints": {"min": 1}},
        {
            "id": "kind",
            "label": "Вид",
            "type": "enum",
            "required": False,
            "default": "flat",
            "enumOptions": [{"value": "flat", "label": "Квартира"}, {"value": "house", "label": "Дом"}],
        },
        {"id": "on", "label": "Дата", "type": "date", "required": False},
        {"id": "address.city", "label": "Город", "type": "string", "required": True, "constraints": {"maxLength": 40}},
        {"id": "extra", "label": "Прочее", "type": "any", "required": False},
    ]
    schema = convert(browser, "formJsSchema", {"fields": fields})
    pages, kind, on, address, extra = schema["components"]
    assert pages == {
        "id": "Field_1",
        "key": "pages",
        "label": "Листов",
        "type": "number",
        "decimalDigits": 0,
        "validate": {"required": True, "min": 1},
    }
    assert kind["type"] == "select" and kind["defaultValue"] == "flat"
    assert kind["values"] == [{"label": "Квартира", "value": "flat"}, {"label": "Дом", "value": "house"}]
    assert (on["type"], on["subtype"], on["dateLabel"]) == ("datetime", "date", "Дата")
    assert (address["type"], address["path"]) == ("group", "address")
    assert address["components"] == [
        {
            "id": "Field_4",
            "key": "city",
            "label": "Город",
            "type": "textfield",
            "validate": {"required": True, "maxLength": 40},
        }
    ]
    assert extra["type"] == "textarea"
    own = {"components": [{"type": "textfield", "key": "x"}]}
    assert convert(browser, "formJsSchema", {"formJs": own, "fields": fields}) == own  # a Camunda Form as written

    sent = convert(
        browser, "taskData", schema, {"pages": 2, "kind": "", "address": {"city": "Липецк"}, "extra": "[1, 2]"}
    )
    assert sent == {"data": {"pages": 2, "address": {"city": "Липецк"}, "extra": [1, 2]}, "problems": []}
    bad = convert(browser, "taskData", schema, {"extra": "{нет"})
    assert bad["problems"] == [{"path": "extra", "field": "Field_5", "message": "не является значением JSON"}]

    placed = convert(
        browser,
        "fieldErrors",
        [
            {"field": "input.data.address.city", "message": "is required"},
            {"field": "input.data.colour", "message": "not a field"},
        ],
        [{"id": "Field_4", "valuePath": ["address", "city"]}, {"id": "Field_1", "valuePath": ["pages"]}],
    )
    assert placed == {"errors": {"Field_4": ["is required"]}, "unplaced": ["colour: not a field"]}
