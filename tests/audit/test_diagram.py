"""The case diagram: drawn from the model's DI coordinates, with the path taken and the
current tasks highlighted, served over HTTP and rendered by a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, open_property_case
from tests.browser import artefact_dir, chromium, keep_screenshot, needs_chromium

# Slow: each test runs cases on a store of its own (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow


def advanced_case(server: Server) -> str:
    number = str(open_property_case(server, "diagram")["case"]["number"])
    server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:1"},
        },
    )
    server.work_jobs()  # the fee check
    return number


def test_a_service_task_waiting_for_its_connector_is_drawn_active(server: Server) -> None:
    number = str(open_property_case(server, "diagram-job")["case"]["number"])
    server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:2"},
        },
    )
    response = server.http.get(
        f"/cases/{number}/diagram.svg", headers={"Authorization": f"Bearer {server.token('auditor')}"}
    )
    svg = etree.fromstring(response.content)
    states = {g.get("id"): g.get("data-state") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert (states["Task_Reception"], states["Task_CheckFee"], states["Task_SendPackage"]) == ("done", "active", "idle")


def test_the_diagram_highlights_the_path_taken_and_the_current_task(server: Server) -> None:
    number = advanced_case(server)
    url = server.run("auditor", "query($n: String!) { case(number: $n) { diagramUrl } }", n=number)["case"]
    response = server.http.get(url["diagramUrl"], headers={"Authorization": f"Bearer {server.token('auditor')}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    svg = etree.fromstring(response.content)
    states = {g.get("id"): g.get("data-state") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert states["Task_Reception"] == "done" and states["StartEvent_Application"] == "done"
    assert states["Task_CheckFee"] == "done"
    assert states["Task_SendPackage"] == "active"
    assert states["Task_Handout"] == "idle"
    refused = server.http.get(url["diagramUrl"], headers={"Authorization": f"Bearer {server.token('operator', 'ELC')}"})
    assert refused.status_code == 403
    assert server.http.get(url["diagramUrl"]).status_code == 401


@pytest.mark.browser
@pytest.mark.slow  # a browser start: seconds
@pytest.mark.socket  # the browser loads the diagram from a real server
@needs_chromium
def test_the_diagram_renders_in_chromium_and_is_not_blank(
    server: Server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from PIL import Image

    number = advanced_case(server)
    with chromium(tmp_path / "profile", size="1800,900") as driver:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Bearer {server.token('auditor')}"}}
        )
        driver.get(f"{server.url}/cases/{number}/diagram.svg")
        shot = keep_screenshot(driver, artefact_dir(request), "diagram")
    image = Image.open(shot).convert("RGB")
    colours: list[tuple[int, Any]] = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 20, "the screenshot is blank"
    greens = sum(count for count, (r, g, b) in colours if g > 100 and r < 80 and b < 80)
    oranges = sum(count for count, (r, g, b) in colours if r > 200 and 60 < g < 140 and b < 40)
    assert greens > 50 and oranges > 50, "the path taken (green) and the current task (orange) are drawn"


def test_time_travel_shows_a_case_as_it_stood_and_history_shows_each_data_change(server: Server) -> None:
    import time
    from datetime import UTC, datetime

    number = str(open_property_case(server, "time-travel")["case"]["number"])
    time.sleep(1.1)
    between = datetime.now(UTC).replace(microsecond=0).isoformat()
    time.sleep(1.1)
    server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "land", "cadastral_number": "48:7"},
        },
    )
    server.work_jobs()  # the fee check
    query = """query($n: String!, $t: DateTime) {
      case(number: $n, asOf: $t) { stage version tasks { element } history { version dataChange } } }"""
    then = server.run("auditor", query, n=number, t=between)["case"]
    for _ in range(100):  # the worker wrote in another process: the server's read models follow within a poll
        now = server.run("auditor", query, n=number, t=None)["case"]
        if now["version"] == 3:
            break
        time.sleep(0.1)
    assert (then["stage"], then["version"], [t["element"] for t in then["tasks"]]) == (
        "Приём документов",
        1,
        ["Task_Reception"],
    )
    assert (now["stage"], now["version"], [t["element"] for t in now["tasks"]]) == (
        "Передача документов в Росреестр",
        3,
        ["Task_SendPackage"],
    )
    assert len(then["history"]) == 1
    assert now["history"][1]["dataChange"]["set"]["property_kind"] == "land"
    assert set(now["history"][1]["dataChange"]["set"]["cadastral_number"]) == {"$sealed"}  # personal (issue 18)
    before_opening = server.run("auditor", query, n=number, t="2000-01-01T00:00:00+00:00")["case"]
    assert before_opening is None
