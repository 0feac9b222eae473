"""Headless Chromium (Debian's chromium and chromium-driver) for the tests that look at
okno's pages: one way to start it, offline (every host but the loopback unreachable, as
on a machine without internet), and one way to keep a screenshot as a test artefact and
check that it is not blank.

Screenshots go to $OKNO_ARTEFACTS (default: test-artefacts/ at the repository's root), one
folder per test module, so CI keeps them after the run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = Path(os.environ.get("OKNO_ARTEFACTS") or ROOT / "test-artefacts")

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
)
# A module of browser tests: marked, slow (a browser start takes seconds), against a real server.
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.slow, pytest.mark.socket, needs_chromium]

OFFLINE = (
    # No internet: every name resolves to nothing but the loopback the server is on, and a
    # direct address goes to a proxy where nothing listens.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1;localhost",
)


@contextmanager
def chromium(profile: Path, *, offline: bool = True, size: str = "1280,900", zoom: float = 1.0) -> Iterator[WebDriver]:
    """A headless Chromium for one test (or one module) on a screen ``size`` pixels wide and
    high; ``zoom`` 2.0 reads the page as at 200 % browser zoom on that screen (the
    accessibility check): the page lays out in half the width, drawn at twice the density."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={_css_size(size, zoom)}",
        f"--force-device-scale-factor={zoom}",
    ]
    for flag in (*flags, *(OFFLINE if offline else ())):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _css_size(size: str, zoom: float) -> str:
    """The window in CSS pixels: what a page at ``zoom`` lays out in on a ``size`` screen."""
    width, height = (int(part) for part in size.split(","))
    return f"{round(width / zoom)},{round(height / zoom)}"


def artefact_dir(request: pytest.FixtureRequest) -> Path:
    """Where a test module's screenshots are kept."""
    folder = ARTEFACTS / Path(str(request.node.path)).stem
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_screenshot(driver: WebDriver, folder: Path, name: str, *, min_colours: int = 20) -> Path:
    """Save what the browser shows as ``folder/name.png`` and fail if it is blank (fewer
    than ``min_colours`` colours: a white page, or one line of text)."""
    from PIL import Image

    shot = folder / f"{name}.png"
    assert driver.save_screenshot(str(shot)), f"no screenshot of {name}"
    with Image.open(shot) as image:
        colours: list[tuple[int, Any]] = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) >= min_colours, f"the screenshot of {name} is blank ({len(colours)} colours): {shot}"
    return shot


def console_errors(driver: WebDriver) -> list[str]:
    """The page's console errors since the last call (a script that failed to load, a CSP
    refusal, an uncaught exception)."""
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[attr-defined]  # Chrome's driver has it
    return [entry["message"] for entry in entries if entry["level"] == "SEVERE"]
