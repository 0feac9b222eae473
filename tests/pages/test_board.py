"""The hall's board in Chromium, offline and with no token, as a screen in the hall runs it:
a ticket issued at the terminal and called to a window by an operator shows up within
seconds, live over the queueBoard subscription, without a reload."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.conftest import Server
from tests.api.test_reception import CALL, TICKET, during_opening_hours
from tests.browser import BROWSER_MARKS, artefact_dir, console_errors, keep_screenshot
from tests.pages.pages import shown, until

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = BROWSER_MARKS
LIVE_SECONDS = 5  # a call reaches the board within this (the subscription polls every 0.5 s)


def rows(driver: WebDriver) -> list[tuple[str, str]]:
    from selenium.webdriver.common.by import By

    return [
        (row.find_elements(By.TAG_NAME, "td")[0].text, row.find_elements(By.TAG_NAME, "td")[1].text)
        for row in driver.find_elements(By.CSS_SELECTOR, "#calls tbody tr")
    ]


def test_the_board_shows_a_call_to_a_window_live_without_a_reload_or_a_token(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    during_opening_hours(server)
    driver = browser
    driver.get(f"{server.url}/ui/board/?office=LPK")
    shown(driver, "#board")
    assert driver.find_element(By.ID, "office-name").text == "МФЦ г. Липецк"
    assert driver.execute_script("return sessionStorage.getItem('okno.token')") is None  # nobody signed in
    until(driver, lambda d: d.find_element(By.ID, "waiting").text == "0")  # the first message is in
    assert rows(driver) == []
    driver.execute_script("window.notReloaded = true")

    issued = server.run(
        "integrator", TICKET, input={"officeId": "LPK", "serviceCode": "mvd_passport", "category": "priority"}
    )["issueTicket"]["ticket"]
    until(driver, lambda d: d.find_element(By.ID, "waiting").text == "1", LIVE_SECONDS)
    called = server.run("operator", CALL, office="LPK", input={"officeId": "LPK", "window": 3})["callNextTicket"]
    assert called["ticket"]["number"] == issued["number"]

    until(driver, lambda d: rows(d) == [(issued["number"], "3")], LIVE_SECONDS)
    assert driver.find_element(By.ID, "waiting").text == "0"
    assert driver.execute_script("return window.notReloaded") is True
    assert driver.find_element(By.ID, "announce").text == f"Талон {issued['number']}, окно 3"
    keep_screenshot(driver, artefact_dir(request), "board")
    assert not console_errors(driver)


def test_a_board_without_an_office_asks_which_hall_it_is_for(
    server: Server, browser: WebDriver, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.get(f"{server.url}/ui/board/")
    Select(shown(driver, "#office")).select_by_value("LPK")
    keep_screenshot(driver, artefact_dir(request), "board-choose")
    driver.find_element(By.CSS_SELECTOR, "#choose button[type=submit]").click()
    until(driver, lambda d: d.current_url.endswith("/ui/board/?office=LPK"))
    assert shown(driver, "#office-name").text == "МФЦ г. Липецк"
    assert not console_errors(driver)
