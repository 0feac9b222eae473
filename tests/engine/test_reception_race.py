"""Two bookings never hold one slot: many processes, each with many threads, ask for the
same slot at the same instant; exactly one booking is recorded and every other attempt
is told the slot is taken."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from engine.reception.office_day import OfficeDay
from engine.reception_desk import Reception
from tests.conftest import MASTER_KEY, ROOT, BackendContract, EngineMaker, seeded

SLOT = "LPK/9/2026-11-05T11:00"

RACER = textwrap.dedent("""
    import os, sys, threading, time
    from collections import Counter
    from datetime import datetime, timezone
    from engine.application import Engine
    from engine.errors import OknoError
    from engine.reception_desk import Reception
    from engine.store import parse_url

    url, key, go, slot = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3], sys.argv[4]
    threads, attempts = int(sys.argv[5]), int(sys.argv[6])
    reception = Reception(Engine(parse_url(url, create_tables=False), master_key=key, entropy=os.urandom))
    reception.engine.directory()  # warm: the race is about the booking, not the first read
    outcomes, lock = Counter(), threading.Lock()
    at = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)

    def race(thread):
        while not os.path.exists(go):
            time.sleep(0.001)
        for attempt in range(attempts):
            try:
                reception.book(office="LPK", service="mini_service", slot=slot, channel="portal", applicant={},
                               actor="portal", at=at, idempotency_key=f"{os.getpid()}-{thread}-{attempt}")
                outcome = "booked"
            except OknoError as error:
                outcome = type(error).__name__
            with lock:
                outcomes[outcome] += 1

    workers = [threading.Thread(target=race, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(" ".join(f"{name}={count}" for name, count in sorted(outcomes.items())))
""")


class TestBookingRace(BackendContract):
    @pytest.mark.slow
    def test_concurrent_attempts_on_one_slot_from_several_processes_book_it_exactly_once(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        # 1,000 attempts on PostgreSQL (4 processes x 10 threads x 25); fewer on SQLite,
        # whose single writer lock makes a long race a test of its lock timeout instead.
        processes, threads, attempts = (4, 10, 25) if "postgresql" in url else (3, 4, 10)
        go = tmp_path / "go"
        racers = [
            subprocess.Popen(
                [sys.executable, "-c", RACER, url, MASTER_KEY.hex(), str(go), SLOT, str(threads), str(attempts)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        time.sleep(3)  # every racer connected and waiting at the start line
        go.touch()
        outputs = [racer.communicate(timeout=600) for racer in racers]
        assert all(racer.returncode == 0 for racer in racers), outputs
        outcomes: Counter[str] = Counter()
        for out, _ in outputs:
            outcomes.update({name: int(count) for name, count in (pair.split("=") for pair in out.split())})
        assert outcomes == {"booked": 1, "SlotTaken": processes * threads * attempts - 1}

        day = Reception(engines()).day("LPK", date(2026, 11, 5))
        assert day is not None and len(day.appointments) == 1
        booked = [e for e in engine.store.events.get(day.id) if isinstance(e, OfficeDay.AppointmentBooked)]
        assert len(booked) == 1
