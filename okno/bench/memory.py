"""7. A large store, written in bulk: cases opened in the real event format (Case.Opened
events, hash-chained, through the library's mapper and recorder) in big batches rather
than one command each, so a million cases take minutes, not hours. Each opening is an
exact one: the workflow is started once per service, office and day, and each case's
task ids (uuid5 of its own id and a counter) are put in place of the template's, which is
what starting it would have given; `okno audit verify` passes on them. They carry no
personal data (no key rows)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.utils import get_topic

from engine.application import Engine
from engine.case import Case, case_id_for
from engine.case_steps import CaseSteps
from engine.commands import StartCase, input_to_dict
from engine.integrity import GENESIS, link
from okno.bench.clock import rate, stopwatch
from okno.bench.throughput import region
from okno.bench.workload import arrivals
from okno.bootstrap import new_projector

BATCH = 5000
PER_DAY = 8000  # cases a day in the bulk store (about the whole region's busiest days, times four)
TEMPLATE = UUID("00000000-0000-4000-8000-00000000b0b0")


@dataclass(frozen=True)
class BulkFigures:
    cases: int
    seconds: float
    projected_seconds: float

    @property
    def cases_per_second(self) -> float:
        return rate(self.cases, self.seconds)

    @property
    def projected_per_second(self) -> float:
        return rate(self.cases, self.projected_seconds)


@dataclass(frozen=True)
class _Template:
    effects: str  # JSON with the template's task ids
    ids: int  # how many ids the start drew
    at: datetime
    process_version: str


def bulk_open(engine: Engine, count: int, seed: int, progress: Callable[[int], None] | None = None) -> BulkFigures:
    """Open ``count`` cases in bulk, then bring the read models up to date."""
    services, offices = region(engine)
    directory = engine.directory()
    plan = arrivals(services, offices, min(count, 20_000), seed)
    templates: dict[tuple[str, str, int], _Template] = {}
    topic = get_topic(Case)
    mapper, recorder = engine.store.mapper, engine.store.recorder
    began = stopwatch()
    pending: list[Any] = []
    for index in range(count):
        arrival = plan[index % len(plan)]
        day = index // PER_DAY
        key = (arrival.service, arrival.office, day)
        template = templates.get(key)
        if template is None:
            opened_at = arrival.at + timedelta(days=7 * (day // 5) + day % 5)
            template = templates[key] = _template(
                engine.steps, directory, arrival.service, arrival.office, arrival.channel, opened_at
            )
        number = f"{arrival.office}-B{index:09d}"
        case_id = case_id_for(number)
        effects_text = template.effects
        for counter in range(template.ids):
            effects_text = effects_text.replace(str(uuid5(TEMPLATE, str(counter))), str(uuid5(case_id, str(counter))))
        effects = json.loads(effects_text)
        start = {"data": {"service_code": arrival.service, "office": arrival.office, "channel": arrival.channel}}
        step_input = input_to_dict(StartCase(start["data"]))
        actor = f"{arrival.office}/operator"
        opened = {
            "number": number,
            "service": arrival.service,
            "office": arrival.office,
            "channel": arrival.channel,
            "process_version": template.process_version,
            "applicant": {},
        }
        chain = link(
            GENESIS,
            version=1,
            kind="Opened",
            timestamp=template.at,
            actor=actor,
            input=step_input,
            effects=effects,
            idempotency_key=None,
            opened=opened,
        )
        event = Case.Opened(
            originator_id=case_id,
            originator_version=1,
            timestamp=template.at,  # type: ignore[call-arg]
            originator_topic=topic,
            input=step_input,
            effects=effects,
            actor=actor,
            idempotency_key=None,
            chain=chain,
            **opened,
        )
        pending.append(mapper.to_stored_event(event))
        if len(pending) >= BATCH:
            recorder.insert_events(pending)
            if progress:
                progress(len(pending))
            pending = []
    if pending:
        recorder.insert_events(pending)
        if progress:
            progress(len(pending))
    written = stopwatch() - began
    began = stopwatch()
    new_projector(engine, page=BATCH).catch_up()
    return BulkFigures(count, written, stopwatch() - began)


def _template(steps: CaseSteps, directory: Any, service: str, office: str, channel: str, at: datetime) -> _Template:
    from engine.catalog import Service

    entry = Service.from_dict(directory.services[service])
    version = directory.current_version(entry.process)
    process = steps.library.get(version)
    step = steps.runtime.start(
        process, TEMPLATE, at, StartCase({"service_code": service, "office": office, "channel": channel})
    )
    ids = json.loads(step.state)["ids"]
    return _Template(json.dumps(step.effects, ensure_ascii=False), ids, at, version)
