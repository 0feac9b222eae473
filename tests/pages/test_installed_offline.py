"""What `pip install .` alone gives renders in full offline: okno is built as a wheel,
installed into a folder of its own (no link back to this checkout), and its `okno serve`
run from there; headless Chromium, with every host but the loopback unreachable, opens
every page and GraphiQL. Each must finish its own work (a script fills it from the API,
bpmn-js draws, form-js renders, GraphiQL runs a query) with nothing refused in its
console: an asset the package lacks, or one a page would fetch from a CDN, fails here."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from api.auth import Tokens
from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.browser import BROWSER_MARKS, artefact_dir, chromium, console_errors, keep_screenshot
from tests.conftest import MASTER_KEY, ROOT

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [*BROWSER_MARKS, pytest.mark.xdist_group("installed-offline")]
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """okno as `pip install .` puts it: the wheel built from this checkout, installed into a
    folder (its dependencies are the test's own environment's)."""
    folder = tmp_path_factory.mktemp("installed")
    wheels, target = folder / "wheels", folder / "site"
    build = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w"]
    subprocess.run([*build, str(wheels)], check=True, cwd=folder, timeout=300)
    [wheel] = wheels.glob("okno-*.whl")
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target)]
    subprocess.run([*install, str(wheel)], check=True, cwd=folder, timeout=300)
    return target


@pytest.fixture(scope="module")
def served(installed: Path, seeded_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`okno serve` from the installed folder, over a copy of the seeded store."""
    work = tmp_path_factory.mktemp("serve")
    store = work / "okno.sqlite"
    shutil.copyfile(seeded_sqlite, store)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(installed),  # the installed copy, not this checkout
        "OKNO_DATABASE_URL": f"sqlite:///{store}",
        "OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(),
    }
    env.pop("OKNO_OIDC_ISSUER", None)
    where = subprocess.run(
        [sys.executable, "-c", "import api, okno; print(api.__file__); print(okno.__file__)"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(installed) for p in where), where
    command = [sys.executable, "-c", "from okno.cli import main; main()", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                try:
                    if http.get("/healthz").json().get("read_models"):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the installed okno serve did not come up"
                time.sleep(0.2)
            yield Server(url, Tokens(MASTER_KEY, None), f"sqlite:///{store}", [timedelta(0)], http)
    finally:
        process.terminate()
        process.wait(timeout=30)


def until(driver: WebDriver, condition: Callable[[WebDriver], Any]) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def test_every_page_and_graphiql_render_in_full_from_the_installed_package_offline(
    served: Server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By

    opened = open_property_case(served, "installed-offline")
    number, pin, task = opened["case"]["number"], opened["pin"], opened["case"]["tasks"][0]["taskId"]
    folder = artefact_dir(request)
    css = By.CSS_SELECTOR

    def page(path: str, ready: Callable[[WebDriver], Any], name: str, token: str | None = None) -> None:
        if token is not None:
            driver.get(f"{served.url}/ui/")
            driver.execute_script("sessionStorage.setItem('okno.token', arguments[0])", token)
        driver.get(f"{served.url}{path}")
        until(driver, ready)
        keep_screenshot(driver, folder, name)
        assert console_errors(driver) == [], (path, console_errors(driver))

    with chromium(tmp_path / "profile") as driver:
        page("/ui/", lambda d: d.find_elements(css, "#citizen-pages a"), "index")
        page("/ui/citizen/book.html", lambda d: d.find_elements(css, "#service option"), "citizen-book")
        page("/ui/citizen/track.html", lambda d: d.find_element(By.ID, "number"), "citizen-track-empty")
        driver.find_element(By.ID, "number").send_keys(number)
        driver.find_element(By.ID, "pin").send_keys(pin)
        driver.find_element(css, "#track-form button[type=submit]").click()
        until(driver, lambda d: d.find_elements(css, "#stages li"))
        keep_screenshot(driver, folder, "citizen-track")
        page("/ui/citizen/booking.html", lambda d: d.find_element(By.ID, "status") is not None, "citizen-booking")
        page("/ui/citizen/rate.html", lambda d: d.find_element(By.ID, "status") is not None, "citizen-rate")
        page("/ui/board/?office=LPK", lambda d: d.find_element(By.ID, "office-name").text, "board")
        operator = served.token("operator", "LPK")
        page(
            "/ui/operator/index.html",
            lambda d: "LPK" in d.find_element(By.ID, "heading").text,
            "operator-work-list",
            operator,
        )
        page(
            f"/ui/operator/task.html?case={number}&task={task}",
            lambda d: d.find_elements(css, ".fjs-container .fjs-form-field"),  # form-js, from the package
            "operator-task-form",
        )
        page(
            f"/ui/operator/case.html?number={number}",
            lambda d: d.find_elements(css, "#diagram .djs-element.okno-active"),  # bpmn-js, from the package
            "operator-case-card",
        )
        page("/ui/operator/window.html", lambda d: d.find_element(By.ID, "window-number"), "operator-window")
        page(
            "/ui/supervisor/",
            lambda d: d.find_elements(css, "section#dashboard[data-ready='true']"),
            "supervisor-dashboard",
            served.token("supervisor", "LPK"),
        )
        driver.get(f"{served.url}/graphql")
        button = until(driver, lambda d: d.find_element(css, ".graphiql-execute-button"))
        driver.execute_script(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(arguments[0]);",
            "{ services { code } }",
        )
        button.click()
        # The result pane draws only its visible lines: read the whole response from its editor.
        result = "return document.querySelector('.result-window .CodeMirror').CodeMirror.getValue();"
        until(driver, lambda d: "rosreestr_ownership" in d.execute_script(result))
        keep_screenshot(driver, folder, "graphiql")
        assert console_errors(driver) == []
