"""Record case histories to check in under tests/histories/.

Run by hand when a new scenario is added: ``python -m tests.histories.record``. Each
file holds the process version the case was pinned to (its BPMN/DMN content) and every
event's input and effects. The test suite replays them on every run, so a change that
makes the engine non-deterministic, or changes what an input does to a pinned version,
fails there. Never re-record to make a failing replay pass: find out what changed.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.application import Engine
from engine.bpmn.library import LIBRARY
from engine.catalog import Service
from engine.replay import Recorded
from tests.conftest import at, make_engine_factory, mini_sources, seeded, shipped_sources

HERE = Path(__file__).resolve().parent
Scenario = Callable[[Engine], str]


def open_case(engine: Engine, process: str, key: str) -> str:
    return engine.open_case(service=f"svc_{process}", office="LPK", channel="window",
                            applicant={"full_name": "Сидоров С. С."}, actor="LPK/operator", at=at(),
                            idempotency_key=key).number


def mini_handed_out(engine: Engine) -> str:
    number = open_case(engine, "mini", "mini-handed-out")
    engine.complete_task(number, "Task_Reception", {"documents_complete": True, "pages": 3}, actor="op", at=at(12))
    engine.deliver_message(number, "agency_answer", {"decision": "ok"}, actor="agency", at=at(days=4))
    engine.complete_task(number, "Task_Handout", {}, actor="op", at=at(days=6))
    return number


def mini_unclaimed(engine: Engine) -> str:
    number = open_case(engine, "mini", "mini-unclaimed")
    engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(12))
    engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=4))
    engine.fire_timer(number, "Timer_Unclaimed", at=at(days=35))
    return number


SCENARIOS: dict[str, Scenario] = {
    "mini_handed_out": mini_handed_out,
    "mini_unclaimed": mini_unclaimed,
}


def record(scenarios: dict[str, Scenario], folder: Path) -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        make, made = make_engine_factory(f"sqlite:///{tmp}/okno.sqlite")
        engine = make()
        processes = {"mini", "property_registration", "foreign_passport", "migration_registration", "child_benefit"}
        services = [Service(f"svc_{p}", p, "Ведомство", "federal", 9, (), 0, p) for p in sorted(processes)]
        seeded(engine, mini_sources() + shipped_sources(), services)
        for name, scenario in scenarios.items():
            number = scenario(engine)
            events = list(engine.case_events(number))
            first: Any = events[0]
            history = {
                "scenario": name,
                "number": number,
                "case_id": str(first.originator_id),
                "process_version": first.process_version,
                "bundle": LIBRARY.get(first.process_version).bundle.to_dict(),
                "events": [Recorded.of(e).to_dict() for e in events],
            }
            path = folder / f"{name}.json"
            path.write_text(json.dumps(history, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            written.append(path)
        for each in made:
            each.close()
    return written


if __name__ == "__main__":
    for path in record(SCENARIOS, HERE):
        print(path.relative_to(HERE.parent.parent))
