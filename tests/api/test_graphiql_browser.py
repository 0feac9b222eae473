"""A new user's first query: headless Chromium (Debian's chromium) loads GraphiQL from a
running okno server, with every host but the loopback unreachable (as on a machine without
internet), runs a query, and the result shows up on the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import Server
from tests.browser import BROWSER_MARKS, artefact_dir, chromium, console_errors, keep_screenshot

pytestmark = BROWSER_MARKS


def test_graphiql_loads_in_chromium_and_runs_a_first_query(
    server: Server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(tmp_path / "profile") as driver:
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
        keep_screenshot(driver, artefact_dir(request), "graphiql")
        assert not console_errors(driver)
