"""A new user's first query: headless Chromium (Debian's chromium) loads GraphiQL from a
running okno server, with every host but the loopback unreachable (as on a machine without
internet), runs a query, and the result shows up on the page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.api.conftest import Server

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a browser start: seconds
    pytest.mark.socket,  # the browser loads the page from a real server
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
    ),
]


def test_graphiql_loads_in_chromium_and_runs_a_first_query(server: Server, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # No internet: every name resolves to nothing but the loopback the server is on.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        "--proxy-server=http://127.0.0.1:9",  # nothing listens there: a direct address fails too
        "--proxy-bypass-list=127.0.0.1;localhost",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(f"{server.url}/graphql")
        wait = WebDriverWait(driver, 30)
        button = wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button")))
        # Type the query the way the editor takes it (GraphiQL's query editor is CodeMirror).
        driver.execute_script(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(arguments[0]);",
            "{ services { code title } }",
        )
        button.click()
        wait.until(lambda d: "address_assignment" in d.find_element(By.CSS_SELECTOR, ".result-window").text)
        # The result pane renders only visible lines; read the whole response from its editor.
        response = driver.execute_script(
            "return document.querySelector('.result-window .CodeMirror').CodeMirror.getValue();"
        )
        assert "rosreestr_ownership" in response
        assert "Государственная регистрация права собственности" in response
        assert driver.save_screenshot(str(tmp_path / "graphiql.png"))
    finally:
        driver.quit()
