"""okno's pages in a browser: the API tests' server (tests/api/conftest.py), over a real
socket since every test module here is marked ``socket`` (tests.browser.BROWSER_MARKS), and
one headless Chromium per test module (a start takes seconds), left clean by each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.api.conftest import *  # noqa: F403
from tests.api.conftest import seeded_sqlite, server  # noqa: F401  (pytest finds fixtures by name)
from tests.browser import chromium

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver


@pytest.fixture(scope="module")
def chromium_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Offline, as on a machine without internet; shared by the tests of a module."""
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


@pytest.fixture
def browser(chromium_session: WebDriver) -> Iterator[WebDriver]:
    """The module's Chromium for one test. Afterwards it leaves the page, before the test's
    server stops (a board left open would go on reconnecting to it), and drops what the
    page logged, so the next test reads only its own console."""
    yield chromium_session
    chromium_session.get("about:blank")
    chromium_session.get_log("browser")  # type: ignore[attr-defined]  # Chrome's driver has it
