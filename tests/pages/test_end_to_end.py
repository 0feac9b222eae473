"""Issue 20's "done when", end to end in headless Chromium, offline, through okno's own pages:
a citizen books a window on the citizen's page and gets a code; the hall's terminal issues
a ticket for it; an operator signs in on the OpenID provider's own page, calls the ticket
at the window (the hall board shows the call live), opens the case from it and fills the
reception form; an external worker, speaking only GraphQL, answers the state-fee job and
the agency's request; an expert (signed in the same way) sends the package; the
administration's decision comes back, the SMS goes, and the operator hands the result
out. The citizen's tracking page is looked at after every stage. On a second case the
treasury gateway gives up (an incident) and a supervisor retries it from the console.

The service is `advertising_structure_permit` (municipal_permit.bpmn): its flow calls the
common mfc_reception, mfc_state_fee (5 000 ₽) and mfc_interagency_request processes and
has three forms (reception, the package, hand-out). Every page's screenshot is kept under
test-artefacts/test_end_to_end/ and checked not to be blank; no page logs a console error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.test_reception import during_opening_hours
from tests.browser import BROWSER_MARKS, artefact_dir, chromium, console_errors, keep_screenshot
from tests.oidc import SignInSite, needs_node, signed_in_site
from tests.pages.external_worker import ExternalWorker
from tests.pages.test_operator import field, field_input, status, wait

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [*BROWSER_MARKS, needs_node]

SERVICE = "advertising_structure_permit"
OFFICE = "LPK"

TICKET = """mutation($input: IssueTicketInput!) { issueTicket(input: $input) {
  __typename ... on TicketPayload { ticket { number serviceCode appointmentCode } } ... on Error { message code } } }"""
CASE = """query($number: String!) { case(number: $number) {
  status outcome stage tasks { taskId element state } jobs { element connector state } } }"""
OPEN = """mutation($input: OpenCaseInput!) { openCase(input: $input) {
  __typename ... on OpenCasePayload { case { number tasks { taskId element } } } ... on Error { message code } } }"""
COMPLETE = """mutation($input: CompleteTaskInput!) { completeTask(input: $input) {
  __typename ... on CasePayload { case { stage } } ... on Error { message code } } }"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInSite]:
    with signed_in_site(tmp_path_factory.mktemp("end-to-end")) as started:
        during_opening_hours(started.okno)
        yield started


@pytest.fixture(scope="module")
def worker(site: SignInSite) -> Iterator[ExternalWorker]:
    external = ExternalWorker(site.okno.url, site.okno.token("integrator"))
    yield external
    external.close()


class Browsers:
    """One headless Chromium per person, started when they first need it: the citizen (the
    citizen's pages, and the hall's board in a second tab), the operator, the expert and the
    supervisor each sign in on a browser of their own, as at their own desks."""

    def __init__(self, stack: ExitStack, folder: Path) -> None:
        self.stack, self.folder = stack, folder
        self.started: dict[str, tuple[WebDriver, ExitStack]] = {}

    def of(self, person: str) -> WebDriver:
        if person not in self.started:
            browser = ExitStack()
            self.started[person] = (browser.enter_context(chromium(self.folder / person)), browser)
            self.stack.callback(browser.close)
        driver: WebDriver = self.started[person][0]
        return driver

    def done(self, person: str) -> None:
        """Close a browser no longer needed: the machine runs several at once."""
        self.started.pop(person)[1].close()


def test_a_booking_becomes_a_case_worked_through_every_form_while_the_citizen_watches_and_an_incident_is_retried(
    site: SignInSite, worker: ExternalWorker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    okno = site.okno
    with ExitStack() as stack:
        browsers = Browsers(stack, tmp_path)
        shot = Screenshots(artefact_dir(request))

        citizen = browsers.of("citizen")
        code, window = book_on_the_citizen_page(citizen, okno.url, shot)
        # The hall's terminal: the citizen types the booking's code and gets a ticket.
        issued = okno.run("integrator", TICKET, input={"officeId": OFFICE, "appointmentCode": code})["issueTicket"]
        assert issued["__typename"] == "TicketPayload", issued
        ticket = issued["ticket"]
        assert (ticket["serviceCode"], ticket["appointmentCode"]) == (SERVICE, code)

        operator = browsers.of("operator")
        sign_in(operator, site, "operator", "/ui/operator/window.html")
        board = open_the_board(citizen, okno.url)
        call_the_ticket(operator, ticket["number"], window, shot)
        the_board_shows_the_call(citizen, board, ticket["number"], window, shot)
        number, pin = open_the_case(operator, ticket["number"], shot)

        track = Tracking(citizen, okno.url, number, pin, shot)
        track.shows("Приём документов")
        fill_task_from_the_case_card(operator, number, "Приём и проверка документов", reception_form, shot)
        track.shows("Проверка оплаты государственной пошлины")

        assert worker.do(worker.pay_state_fee, number) == 5000  # the catalog's fee for this service
        track.shows("Межведомственный запрос")
        assert worker.do(worker.answer, number, "smev_response", found=True)["found"] is True
        track.shows("Передача документов в администрацию")

        expert = browsers.of("expert")
        sign_in(expert, site, "expert", "/ui/operator/index.html")
        fill_task_from_the_work_list(expert, number, package_form, shot, "expert")
        track.shows("Рассмотрение в администрации")

        assert worker.do(worker.answer, number, "municipal_permit_decision", decision="issued")["decision"] == "issued"
        track.shows("Готово к выдаче")
        worker.do(worker.send_sms, number)

        operator.get(f"{okno.url}/ui/operator/index.html")  # the operator's tab is still signed in
        fill_task_from_the_work_list(operator, number, handout_form, shot, "operator", claim=True)
        final = wait_until(lambda: (c := case_of(site, number))["status"] == "COMPLETED" and c)
        assert (final["outcome"], final["jobs"]) == ("issued", [])
        stages = track.shows("Готово к выдаче", done=True)
        assert stages == [
            "Приём документов",
            "Проверка оплаты государственной пошлины",
            "Межведомственный запрос",
            "Передача документов в администрацию",
            "Рассмотрение в администрации",
            "Готово к выдаче",
        ]
        for person in ("citizen", "operator", "expert"):
            browsers.done(person)

        stuck = an_incident_on_a_second_case(site, worker)
        supervisor = browsers.of("supervisor")
        sign_in(supervisor, site, "chief", "/ui/supervisor/")
        retry_the_incident(supervisor, stuck, shot)
        assert worker.do(worker.pay_state_fee, stuck) == 5000  # the gateway is back: the check goes through
        wait_for_stage(site, stuck, "Межведомственный запрос")


class Screenshots:
    """Each page's screenshot kept, numbered in the order taken, so the artefacts read as the story."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.count = folder, 0
        for stale in folder.glob("*.png"):  # an earlier run's, numbered otherwise
            stale.unlink()

    def __call__(self, driver: WebDriver, name: str) -> None:
        self.count += 1
        keep_screenshot(driver, self.folder, f"{self.count:02d}-{name}")
        assert not console_errors(driver), name


def sign_in(driver: WebDriver, site: SignInSite, login: str, page: str) -> None:
    """Open a staff page, follow its "Войти" to the provider's own login page, sign in as
    ``login`` (the test provider takes any password) and land back on the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions

    driver.get(f"{site.okno.url}{page}")
    wait(driver, lambda d: d.find_element(By.LINK_TEXT, "Войти")).click()
    box = wait(driver, expected_conditions.element_to_be_clickable((By.NAME, "login")))
    assert driver.current_url.startswith(site.issuer), driver.current_url  # the provider's page, not okno's
    box.send_keys(login)
    driver.find_element(By.NAME, "password").send_keys("any password")
    ahead = site.okno.clock_offset[0]
    # The server's clock runs days ahead, to the office's working hours (the reception desk
    # keeps them), but a token's times are checked against the wall clock: okno mints the
    # signed-in token on the wall clock's time, as it would that morning.
    site.okno.clock_offset[0] = timedelta(0)
    try:
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(driver, lambda d: d.current_url.startswith(f"{site.okno.url}{page}"), message=lambda d: d.current_url)
    finally:
        site.okno.clock_offset[0] = ahead
    console_errors(driver)  # the provider's page asked the internet for a font: not okno's page
    assert driver.execute_script("return sessionStorage.getItem('okno.token')")


def call_the_ticket(driver: WebDriver, ticket: str, window: int, shot: Screenshots) -> None:
    """At the window: call the next visitor, the booked ticket, for its service."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    number_box = wait(driver, lambda d: d.find_element(By.ID, "window-number"))
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#service option"))
    number_box.clear()
    number_box.send_keys(str(window))
    driver.find_element(By.XPATH, "//button[text()='Пригласить следующего']").click()
    wait(driver, lambda d: d.find_element(By.ID, "ticket-number").text == ticket, message=status)
    assert Select(driver.find_element(By.ID, "service")).first_selected_option.get_attribute("value") == SERVICE
    shot(driver, "operator-window-called")


def open_the_case(driver: WebDriver, ticket: str, shot: Screenshots) -> tuple[str, str]:
    """Open the case from the called ticket and follow the link to its card; the case's
    number and the PIN for the applicant."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "full-name").send_keys("Кузнецова Анна Сергеевна")
    driver.find_element(By.ID, "document").send_keys("4215 654321")
    driver.find_element(By.ID, "phone").send_keys("+7 904 111-22-33")
    driver.find_element(By.XPATH, "//button[text()='Открыть дело']").click()
    about = wait(driver, lambda d: (e := d.find_element(By.ID, "opened-about")).text and e, message=status)
    assert ticket in about.text
    link = about.find_element(By.TAG_NAME, "a")
    number, pin = link.text, about.find_element(By.TAG_NAME, "strong").text
    assert len(pin) == 6 and pin.isdigit(), about.text
    shot(driver, "operator-case-opened")
    link.click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram .djs-element.okno-active"))
    shot(driver, "operator-case-card")
    return number, pin


def fill_task_from_the_case_card(
    driver: WebDriver,
    number: str,
    task: str,
    fill: Callable[[WebDriver], None],
    shot: Screenshots,
) -> None:
    from selenium.webdriver.common.by import By

    assert f"/ui/operator/case.html?number={number}" in driver.current_url
    wait(driver, lambda d: d.find_element(By.XPATH, f"//*[@id='tasks']//a[text()='{task}']")).click()
    take_and_fill(driver, task, fill, shot)


def fill_task_from_the_work_list(
    driver: WebDriver, number: str, fill: Callable[[WebDriver], None], shot: Screenshots, who: str, claim: bool = False
) -> None:
    """From the office's work list (live): the case's task, taken and filled in."""
    from selenium.webdriver.common.by import By

    row = f"//tr[td/a[text()='{number}']]"
    wait(driver, lambda d: d.find_element(By.XPATH, row), message=lambda d: d.find_element(By.ID, "tasks").text)
    shot(driver, f"{who}-work-list")
    if claim:
        wait(driver, lambda d: d.find_element(By.XPATH, f"{row}//button[text()='Взять']")).click()
        wait(driver, lambda d: d.find_element(By.XPATH, f"{row}//a[text()='Заполнить']")).click()
    else:
        driver.find_element(By.XPATH, f"{row}/td[2]/a").click()
    take_and_fill(driver, None, fill, shot)


def take_and_fill(driver: WebDriver, task: str | None, fill: Callable[[WebDriver], None], shot: Screenshots) -> None:
    """On the task page: take the task if it is not yet, fill its form (``fill``, named for
    the screenshots), complete it."""
    from selenium.webdriver.common.by import By

    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".fjs-container .fjs-form-field"))
    if task is not None:
        # The page says "Задача" until the task is read: its name is the heading after that.
        def heading(d: WebDriver) -> str:
            return str(d.find_element(By.ID, "heading").text)

        wait(driver, lambda d: heading(d) == task, message=heading)
    take = driver.find_elements(By.XPATH, "//button[text()='Взять в работу']")
    if take:
        take[0].click()
    wait(driver, lambda d: d.find_elements(By.XPATH, "//button[text()='Завершить задачу']"))
    fill(driver)
    name = fill.__name__.replace("_", "-")
    shot(driver, f"{name}-filled")
    driver.find_element(By.XPATH, "//button[text()='Завершить задачу']").click()
    wait(driver, lambda d: "завершена" in status(d), message=status)
    shot(driver, f"{name}-done")


def reception_form(driver: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    for label in (
        "Заявитель (представитель) присутствует лично",
        "Комплект документов полный и соответствует требованиям",
    ):
        field(driver, label).find_element(By.CSS_SELECTOR, "input").click()


def package_form(driver: WebDriver) -> None:
    field_input(driver, "Номер реестра передачи документов").send_keys("РЕЕСТР-2026-0417")


def handout_form(driver: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    field(driver, "Результат выдан заявителю").find_element(By.CSS_SELECTOR, "input").click()


def case_of(site: SignInSite, number: str) -> dict[str, Any]:
    found: dict[str, Any] = site.okno.run("auditor", CASE, number=number)["case"]
    return found


def wait_for_stage(site: SignInSite, number: str, stage: str) -> None:
    wait_until(
        lambda: case_of(site, number)["stage"] == stage, what=lambda: f"stage {stage!r}: {case_of(site, number)}"
    )


def wait_until(check: Callable[[], Any], seconds: float = 30, what: Callable[[], str] | None = None) -> Any:
    import time

    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, what() if what else "waited in vain"
        time.sleep(0.2)
    return result


def book_on_the_citizen_page(driver: WebDriver, okno: str, shot: Screenshots) -> tuple[str, int]:
    """Service → office → the first free time → name and phone: the booking's code and its window."""
    import re

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(f"{okno}/ui/citizen/book.html")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#service option"))
    driver.find_element(By.ID, "service-search").send_keys("рекламной конструкции")
    Select(driver.find_element(By.ID, "service")).select_by_value(SERVICE)
    shot(driver, "citizen-book-service")
    driver.find_element(By.CSS_SELECTOR, "#step-service button[type=submit]").click()
    Select(wait(driver, lambda d: (e := d.find_element(By.ID, "office")).is_displayed() and e)).select_by_value(OFFICE)
    driver.find_element(By.CSS_SELECTOR, "#step-office button[type=submit]").click()
    first = wait(driver, lambda d: (e := d.find_elements(By.CSS_SELECTOR, "#slots input[type=radio]")) and e[0])
    first.click()
    shot(driver, "citizen-book-time")
    driver.find_element(By.CSS_SELECTOR, "#step-slot button[type=submit]").click()
    wait(driver, lambda d: d.find_element(By.ID, "full-name").is_displayed())
    driver.find_element(By.ID, "full-name").send_keys("Кузнецова Анна Сергеевна")
    driver.find_element(By.ID, "phone").send_keys("+7 904 111-22-33")
    driver.find_element(By.CSS_SELECTOR, "#step-contact button[type=submit]").click()
    code = wait(driver, lambda d: (e := d.find_elements(By.ID, "booking-code")) and e[0].text, message=status)
    window = re.search(r"окно (\d+)", driver.find_element(By.ID, "booked").text)
    assert window, driver.find_element(By.ID, "booked").text
    shot(driver, "citizen-booked")
    return str(code), int(window.group(1))


def open_the_board(driver: WebDriver, okno: str) -> str:
    """The hall's board in a tab of its own, before the call: the booked ticket waits."""
    from selenium.webdriver.common.by import By

    citizen_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    board = str(driver.current_window_handle)
    driver.get(f"{okno}/ui/board/?office={OFFICE}")
    wait(
        driver,
        lambda d: d.find_element(By.ID, "waiting").text == "1",
        message=lambda d: d.find_element(By.ID, "waiting").text,
    )
    assert not driver.find_elements(By.CSS_SELECTOR, "#calls tbody tr")
    driver.execute_script("window.notReloaded = true")
    driver.switch_to.window(citizen_tab)
    return board


def the_board_shows_the_call(driver: WebDriver, board: str, ticket: str, window: int, shot: Screenshots) -> None:
    """The call reached the board live (the tab was not reloaded); then the tab is closed."""
    from selenium.webdriver.common.by import By

    citizen_tab = driver.current_window_handle
    driver.switch_to.window(board)
    row = f"//*[@id='calls']//tr[td[1][text()='{ticket}'] and td[2][text()='{window}']]"
    wait(
        driver,
        lambda d: d.find_elements(By.XPATH, row),
        seconds=10,
        message=lambda d: d.find_element(By.ID, "calls").text,
    )
    assert driver.execute_script("return window.notReloaded") is True
    assert driver.find_element(By.ID, "announce").text == f"Талон {ticket}, окно {window}"
    shot(driver, "board-called")
    driver.close()
    driver.switch_to.window(citizen_tab)


class Tracking:
    """The citizen's tracking page in the citizen's browser, asked once and then left open:
    it follows the case by itself (caseTracked), as a citizen leaves it in a tab."""

    def __init__(self, driver: WebDriver, okno: str, number: str, pin: str, shot: Screenshots) -> None:
        from selenium.webdriver.common.by import By

        self.driver, self.shot = driver, shot
        driver.get(f"{okno}/ui/citizen/track.html?number={number}")
        wait(driver, lambda d: d.find_element(By.ID, "number").get_attribute("value") == number)
        driver.find_element(By.ID, "pin").send_keys(pin)
        driver.find_element(By.CSS_SELECTOR, "#track-form button[type=submit]").click()
        wait(driver, lambda d: status(d) == "Дело найдено.", message=status)

    def shows(self, stage: str, done: bool = False) -> list[str]:
        """Wait, never asking again, until the page shows ``stage`` as the current one (or,
        ``done``, the case completed at it); the stages it lists."""
        from selenium.webdriver.common.by import By

        driver = self.driver

        def shown(d: WebDriver) -> list[str] | None:
            names = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#stages li .stage-name")]
            state = d.find_elements(By.ID, "case-status")
            finished = bool(state) and state[0].text == "Завершено"
            return names if names and names[-1] == stage and finished == done else None

        stages: list[str] = wait(driver, shown, message=lambda d: f"{status(d)} {d.find_element(By.ID, 'case').text}")
        wait(driver, lambda d: status(d) == "Дело найдено.", message=status)
        driver.execute_script("document.getElementById('stages').scrollIntoView()")
        self.shot(driver, f"citizen-track-{len(stages)}{'-done' if done else ''}")
        return stages


def an_incident_on_a_second_case(site: SignInSite, worker: ExternalWorker) -> str:
    """A second applicant's case past reception (through the API), whose fee check the
    treasury's gateway gives up on: an incident, the case waits."""
    opened = site.okno.run(
        "integrator",
        OPEN,
        input={
            "serviceCode": SERVICE,
            "officeId": OFFICE,
            "channel": "portal",
            "applicant": {"fullName": "Петров Игорь Васильевич", "document": "4216 112233"},
            "idempotencyKey": "end-to-end-second",
        },
    )["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    number: str = opened["case"]["number"]
    [reception] = opened["case"]["tasks"]
    done = site.okno.run(
        "operator",
        COMPLETE,
        office=OFFICE,
        input={
            "caseNumber": number,
            "element": reception["element"],
            "taskId": reception["taskId"],
            "data": {"applicant_present": True, "documents_complete": True},
        },
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    worker.do(worker.fail_state_fee, number)
    wait_until(lambda: [j["state"] for j in case_of(site, number)["jobs"]] == ["incident"])
    return number


def retry_the_incident(driver: WebDriver, number: str, shot: Screenshots) -> None:
    """The supervisor's console: the incident with its error, retried with its own button."""
    from selenium.webdriver.common.by import By

    wait(driver, lambda d: d.find_element(By.ID, "views").is_displayed())
    shot(driver, "supervisor-dashboard")
    driver.find_element(By.CSS_SELECTOR, "#views a[href='#incidents']").click()
    row = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"#incident-table tr[data-case='{number}']"))
    assert "payment_check" in row.text and "ГИС ГМП: сервис временно недоступен (503)" in row.text, row.text
    shot(driver, "supervisor-incident")
    row.find_element(By.XPATH, ".//button[text()='Повторить']").click()
    wait(driver, lambda d: status(d) == "Повторено инцидентов: 1.", message=status)
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, f"#incident-table tr[data-case='{number}']"))
    shot(driver, "supervisor-incident-retried")
