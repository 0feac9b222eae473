"""4. Projection rebuild: every read model rebuilt from zero over the log, in events per
second, against reading the same events raw (the recorder's SELECT, no decoding) as the
ceiling; decoding alone is reported beside them."""

from __future__ import annotations

from dataclasses import dataclass

from engine.application import Engine
from okno.bench.clock import rate, stopwatch
from okno.bootstrap import new_projector
from projections.runner import PAGE


@dataclass(frozen=True)
class RebuildFigures:
    events: int
    models: dict[str, float]  # events/s per read model
    all_models: float  # log events/s to rebuild every model
    raw_select: float  # events/s, SELECT only
    decode: float  # events/s, SELECT and decode into domain events


def measure(engine: Engine, page: int = PAGE) -> RebuildFigures:
    projector = new_projector(engine, page=page)
    head = projector.head()
    raw = _scan(engine, page, decode=False)
    decoded = _scan(engine, page, decode=True)
    per_model: dict[str, float] = {}
    for model in projector.models:
        began = stopwatch()
        applied = projector.rebuild(model)
        per_model[model.name] = rate(applied, stopwatch() - began)
    for model in projector.models:
        projector.reset(model)
    began = stopwatch()
    projector.catch_up()  # every model at once: one pass over the log
    return RebuildFigures(head, per_model, rate(head, stopwatch() - began), raw, decoded)


def _scan(engine: Engine, page: int, *, decode: bool) -> float:
    recorder, mapper = engine.store.recorder, engine.store.mapper
    count, start = 0, None
    began = stopwatch()
    while True:
        batch = recorder.select_notifications(start, page, inclusive_of_start=start is None)
        if decode:
            for notification in batch:
                mapper.to_domain_event(notification)
        count += len(batch)
        if len(batch) < page:
            break
        start = batch[-1].id
    return rate(count, stopwatch() - began)
