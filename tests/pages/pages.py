"""What the page tests share: waiting for what a page shows, and reading a field's error
as assistive technology reads it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

WAIT_SECONDS = 20


def until(driver: WebDriver, condition: Callable[[WebDriver], Any], seconds: float = WAIT_SECONDS) -> Any:
    """What ``condition`` returns once it is truthy. The pages redraw what they show (each
    answer replaces its elements), so an element found a moment ago may be gone: look again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, seconds, ignored_exceptions=ignored).until(condition)


def shown(driver: WebDriver, css: str, seconds: float = WAIT_SECONDS) -> WebElement:
    """The element, once it is displayed."""
    from selenium.webdriver.common.by import By

    def visible(d: WebDriver) -> WebElement | None:
        found = d.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found and found[0].is_displayed() else None

    element: WebElement = until(driver, visible, seconds)
    return element


def status_text(driver: WebDriver) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, "status").text)


def error_at(driver: WebDriver, field_id: str) -> str:
    """The error shown at a field, checked to be tied to it as assistive technology reads it."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, field_id)
    assert field.get_attribute("aria-invalid") == "true", field_id
    assert f"{field_id}-error" in (field.get_attribute("aria-describedby") or "").split(), field_id
    return str(driver.find_element(By.ID, f"{field_id}-error").text)


def into_view(driver: WebDriver, css: str) -> None:
    """Scroll what a screenshot should show to the top of the window."""
    driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", css)
