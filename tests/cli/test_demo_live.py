"""`okno demo --live` as a user runs it beside `okno serve`: a real process on a real
SQLite file, its clock run fast from a set moment, stopped by SIGTERM."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine import world
from engine.application import Engine
from engine.store import parse_url
from okno.bootstrap import new_engine, new_projector
from okno.demo.simulation import last_moment
from projections.reader import Reader
from projections.reception import live_queue
from tests.commands import OKNO
from tests.conftest import ROOT, Entropy

MOSCOW = ZoneInfo("Europe/Moscow")
START = datetime(2026, 11, 5, 10, 0, tzinfo=MOSCOW)  # a Thursday morning
SPEED = 240  # four simulated minutes a second


def opened(directory: Path) -> Engine:
    """An engine on the demo's store, with the master key the demo made beside it."""
    key = world.master_key({"OKNO_KEY_FILE": str(directory / "okno.key")})
    return new_engine(parse_url(f"sqlite:///{directory / 'okno.sqlite'}"), master_key=key, entropy=Entropy())


def boards(directory: Path, day: date) -> dict[str, tuple[tuple[str, ...], int, int]]:
    """What every hall's board shows (the read model `queueBoard` reads): who is called, how
    many wait, how many were seen."""
    engine = opened(directory)
    try:
        projector = new_projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        found = {}
        for office in engine.directory().offices:
            view = live_queue(reader, office, day)
            found[office] = (tuple(r["number"] for r in view.serving), len(view.waiting), view.done)
        return found
    finally:
        engine.close()


def read_line(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if ready:
            return process.stdout.readline()
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
    raise AssertionError("okno demo --live printed nothing in time")


@pytest.mark.slow  # another process, a simulated morning
def test_demo_live_goes_on_along_the_clock_never_past_it_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "OKNO_DATABASE_URL"}
    environment["PYTHONPATH"] = str(ROOT)
    arguments = ["--applications", "150", "--now", START.isoformat(), "--speed", str(SPEED), "--every", "0.5"]
    began = time.monotonic()
    process = subprocess.Popen(
        [*OKNO, "demo", "--live", *arguments],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not read_line(process, deadline).startswith("live: a slice every"):
            continue
        before = boards(tmp_path, START.date())
        slices = [read_line(process, deadline) for _ in range(3)]  # three slices in which something happened
        after = boards(tmp_path, START.date())
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
    latest_now = START + timedelta(seconds=(time.monotonic() - began) * SPEED)
    assert process.returncode == 0, out + err
    assert "Traceback" not in err, err
    assert "live: stopped" in out and "checkpoint 1 signed" in out, out
    assert all(line.startswith("2026-11-05 1") and " commands" in line for line in slices), slices
    assert before != after, "no hall's board changed while the demo ran live"
    engine = opened(tmp_path)
    try:
        ended = last_moment(engine)
    finally:
        engine.close()
    assert ended is not None and START < ended <= latest_now, (ended, latest_now)  # went on, never past now
