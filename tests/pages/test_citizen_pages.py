"""The citizen's pages in Chromium, offline, with no sign-in: a citizen books a window (the
first step by keyboard alone), sees the code and PIN, looks the booking up, moves it and
cancels it; tracks a case by number and PIN (a wrong PIN shown at the PIN field); rates a
visit. One page is read at 200 % zoom without scrolling sideways."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, open_property_case
from tests.api.test_reception import during_opening_hours
from tests.browser import BROWSER_MARKS, artefact_dir, chromium, console_errors, keep_screenshot
from tests.pages.pages import error_at, into_view, shown, status_text, until

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = BROWSER_MARKS
APPOINTMENT = "query($code: String!) { appointment(code: $code) { code status start } }"
TRACK = "query($n: String!, $p: String!) { track(number: $n, pin: $p) { expectedCompletion stages { stage } } }"


def press(driver: WebDriver, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def focused(driver: WebDriver) -> str:
    return str(driver.switch_to.active_element.get_attribute("id") or "")


def case_under_review(server: Server) -> dict[str, Any]:
    """A property case past its reception, with Росреестр: two stages done, one current."""
    opened = open_property_case(server, key="citizen-pages")
    number = opened["case"]["number"]
    reception = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"}
    done = server.run(
        "operator", COMPLETE, office="LPK", input={"caseNumber": number, "element": "Task_Reception", "data": reception}
    )
    assert done["completeTask"]["__typename"] == "CasePayload", done
    assert server.work_jobs().completed == 1  # the state fee: paid
    sent = server.run(
        "expert",
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": "PKG-1"}},
    )
    assert sent["completeTask"]["case"]["stage"] == "Рассмотрение в Росреестре"
    return opened


def test_a_citizen_books_a_window_by_keyboard_then_moves_and_cancels_it(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    during_opening_hours(server)
    shots = artefact_dir(request)
    driver = browser
    driver.get(f"{server.url}/ui/citizen/book.html")
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#service option"))

    # Step 1 by keyboard alone: Tab to the search, type, Tab to the list, Tab to the button, Enter.
    for _ in range(10):
        if focused(driver) == "service-search":
            break
        press(driver, Keys.TAB)
    assert focused(driver) == "service-search"
    press(driver, "регистрация права собственности")
    until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#service option")) == 2)  # and «…по наследству»
    press(driver, Keys.TAB)
    assert focused(driver) == "service"
    assert Select(driver.switch_to.active_element).first_selected_option.get_attribute("value") == "rosreestr_ownership"
    press(driver, Keys.TAB)
    assert driver.switch_to.active_element.text == "Далее"
    keep_screenshot(driver, shots, "book-1-service")
    press(driver, Keys.ENTER)
    shown(driver, "#step-office")
    assert focused(driver) == "office"  # the next step takes the focus

    # Step 2 by keyboard too: the office list, then Enter on its button.
    Select(driver.find_element(By.ID, "office")).select_by_value("LPK")
    press(driver, Keys.TAB, Keys.ENTER)
    first_time = shown(driver, "#slots input[name=slot]")
    into_view(driver, "#step-slot")
    keep_screenshot(driver, shots, "book-2-slots")
    driver.find_element(By.CSS_SELECTOR, f"label[for={first_time.get_attribute('id')}]").click()
    driver.find_element(By.CSS_SELECTOR, "#step-slot button[type=submit]").click()
    shown(driver, "#step-contact")

    # Every problem at its field: no name, a phone that is not one.
    driver.find_element(By.ID, "phone").send_keys("abc")
    driver.find_element(By.CSS_SELECTOR, "#step-contact button[type=submit]").click()
    until(driver, lambda d: d.find_elements(By.ID, "phone-error"))
    assert "телефон" in error_at(driver, "phone")
    assert "Заполните" in error_at(driver, "full-name")
    into_view(driver, "#step-contact")
    keep_screenshot(driver, shots, "book-3-errors")
    driver.find_element(By.ID, "full-name").send_keys("Иванова Анна Петровна")
    phone = driver.find_element(By.ID, "phone")
    phone.clear()
    phone.send_keys("+7 904 111-22-33", Keys.ENTER)
    code = shown(driver, "#booking-code").text
    pin = driver.find_element(By.ID, "booking-pin").text
    assert re.fullmatch(r"LPK-\d{8}-\d+", code) and re.fullmatch(r"\d{6}", pin), (code, pin)
    assert not driver.find_elements(By.CSS_SELECTOR, "[aria-invalid=true]")
    into_view(driver, "#booked")
    keep_screenshot(driver, shots, "book-4-code")
    booked = server.run("integrator", APPOINTMENT, code=code)["appointment"]
    assert booked["status"] == "booked" and booked["start"] == first_time.get_attribute("data-start")

    # Look it up by code and PIN, move it, cancel it.
    driver.find_element(By.LINK_TEXT, "Перенести или отменить запись").click()
    shown(driver, "#find-form")
    assert driver.find_element(By.ID, "code").get_attribute("value") == code
    driver.find_element(By.ID, "pin").send_keys(pin, Keys.ENTER)
    assert shown(driver, "#booking-status").text == "Записан"
    keep_screenshot(driver, shots, "booking-1-found")
    driver.find_element(By.ID, "show-move").click()
    times = until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#move-form #slots input[name=slot]"))
    later = times[1]
    driver.find_element(By.CSS_SELECTOR, f"label[for={later.get_attribute('id')}]").click()
    driver.find_element(By.CSS_SELECTOR, "#move-form button[type=submit]").click()
    until(driver, lambda d: d.find_element(By.ID, "booking-code").text != code)
    moved_code = driver.find_element(By.ID, "booking-code").text
    moved_pin = driver.find_element(By.ID, "booking-pin").text
    assert "перенесена" in status_text(driver)
    into_view(driver, "#status")
    keep_screenshot(driver, shots, "booking-2-moved")
    assert server.run("integrator", APPOINTMENT, code=code)["appointment"]["status"] == "cancelled"
    moved = server.run("integrator", APPOINTMENT, code=moved_code)["appointment"]
    assert moved["status"] == "booked" and moved["start"] == later.get_attribute("data-start")
    assert re.fullmatch(r"\d{6}", moved_pin)

    driver.find_element(By.ID, "show-cancel").click()
    shown(driver, "#cancel-form")
    driver.find_element(By.CSS_SELECTOR, "#cancel-form button[type=submit]").click()
    until(driver, lambda d: d.find_element(By.ID, "booking-status").text == "Отменена")
    into_view(driver, "#status")
    keep_screenshot(driver, shots, "booking-3-cancelled")
    assert server.run("integrator", APPOINTMENT, code=moved_code)["appointment"]["status"] == "cancelled"
    assert not console_errors(driver)


def test_a_tracked_case_shows_its_stages_and_expected_date_and_a_wrong_pin_at_the_pin_field(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    opened = case_under_review(server)
    number, pin = opened["case"]["number"], opened["pin"]
    status = server.run(None, TRACK, n=number, p=pin)["track"]
    shots = artefact_dir(request)
    driver = browser
    driver.get(f"{server.url}/ui/citizen/track.html")
    driver.find_element(By.ID, "number").send_keys(number)
    driver.find_element(By.ID, "pin").send_keys("000000" if pin != "000000" else "111111", Keys.ENTER)
    until(driver, lambda d: d.find_elements(By.ID, "pin-error"))
    assert "PIN-код не подходит" in error_at(driver, "pin")
    assert driver.switch_to.active_element.get_attribute("id") == "pin"
    keep_screenshot(driver, shots, "track-1-wrong-pin")

    field = driver.find_element(By.ID, "pin")
    field.clear()
    field.send_keys(pin, Keys.ENTER)
    current = shown(driver, "#stages li.current")
    assert "Рассмотрение в Росреестре" in current.text and current.get_attribute("aria-current") == "step"
    stages = [
        li.find_element(By.CLASS_NAME, "stage-name").text for li in driver.find_elements(By.CSS_SELECTOR, "#stages li")
    ]
    assert stages == [s["stage"] for s in status["stages"]]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#stages li.done")) == len(stages) - 1 >= 1
    y, m, d = status["expectedCompletion"][:10].split("-")
    assert driver.find_element(By.ID, "expected").text == f"{d}.{m}.{y}"
    assert driver.find_element(By.ID, "next-action").text.strip()
    assert driver.find_element(By.ID, "pin").get_attribute("aria-invalid") is None  # the error went with the fix
    into_view(driver, "#case")
    keep_screenshot(driver, shots, "track-2-case")
    assert not console_errors(driver)


def test_a_citizen_rates_a_visit_on_the_four_criteria(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    opened = open_property_case(server, key="rated-in-the-browser")
    number, pin = opened["case"]["number"], opened["pin"]
    driver = browser
    driver.get(f"{server.url}/ui/citizen/rate.html?number={number}")
    driver.find_element(By.ID, "pin").send_keys(pin)
    for criterion, score in (("waitingTime", 4), ("staff", 5), ("premises", 3)):
        driver.find_element(By.CSS_SELECTOR, f"label[for=score-{criterion}-{score}]").click()
    driver.find_element(By.CSS_SELECTOR, "#rate-form button[type=submit]").click()
    assert "Поставьте оценку" in error_at(driver, "score-information")  # the one left out, at its fieldset
    driver.find_element(By.CSS_SELECTOR, "label[for=score-information-5]").click()
    driver.find_element(By.CSS_SELECTOR, "#rate-form button[type=submit]").click()
    until(driver, lambda d: "Спасибо" in status_text(d))
    keep_screenshot(driver, artefact_dir(request), "rate")
    again = server.run(
        None,
        "mutation($input: RateVisitInput!) { rateVisit(input: $input) { ... on Error { code } } }",
        input={"caseNumber": number, "pin": pin, "waitingTime": 1, "staff": 1, "premises": 1, "information": 1},
    )
    assert again["rateVisit"]["code"] == "already_rated"  # the page's rating was recorded
    assert not console_errors(driver)


def test_the_tracked_case_reads_at_200_percent_zoom_without_scrolling_sideways(
    server: Server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    opened = case_under_review(server)
    # A 1280 × 900 screen at 200 %: 640 × 450 CSS pixels, each drawn as two.
    with chromium(tmp_path / "zoomed", size="1280,900", zoom=2.0) as driver:
        driver.get(f"{server.url}/ui/citizen/track.html")
        assert driver.execute_script("return window.innerWidth") <= 640
        driver.find_element(By.ID, "number").send_keys(opened["case"]["number"])
        driver.find_element(By.ID, "pin").send_keys(opened["pin"], Keys.ENTER)
        shown(driver, "#stages li.current")
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        into_view(driver, "#case")
        keep_screenshot(driver, artefact_dir(request), "track-200-percent")
        driver.get(f"{server.url}/ui/citizen/book.html")
        until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#service option"))
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        keep_screenshot(driver, artefact_dir(request), "book-200-percent")
        assert not console_errors(driver)
