"""The timer worker: it records each due timer (projections.timers) as a timer-fired event
through the engine, with the timer's task id and due time as the idempotency key (a cycle
timer fires again under its task id at its next time): two workers racing
on one timer record it once (the second gets a conflict, or finds it already done), and a
timer whose case moved on meanwhile is dropped quietly. A batch of due timers is committed
together (a group commit); when another worker got there first, the batch runs again
timer by timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from eventsourcing.persistence import OperationalError

from engine.application import Engine
from projections.timers import TimerRow


@dataclass
class Firing:
    fired: int = 0
    dropped: int = 0


def fire_due(
    engine: Engine, rows: list[TimerRow], now: datetime, actor: str = "timer-worker", batch: int = 100
) -> Firing:
    """Fire the given due timers at ``now``, up to ``batch`` of them
    committed together (engine.group_commit): one durable commit per batch, not per timer."""
    result = Firing()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        try:
            with engine.group_commit() as group:
                for row in chunk:
                    group.submit(
                        row.task,
                        partial(
                            engine.fire_timer,
                            row.case_number,
                            row.element,
                            at=now,
                            actor=actor,
                            # With the due time: a cycle timer keeps its task from one firing to the next.
                            idempotency_key=f"timer:{row.task}@{row.due}",
                        ),
                    )
        except OperationalError:
            result.dropped += len(chunk)  # the store was busy (SQLite's lock): the next poll tries again
            continue
        for outcome in group.outcomes:
            if outcome.recorded:
                result.fired += 1
            else:
                # Already recorded under its key by another worker; or refused: another
                # worker fired it, the case moved on or closed (TimerNotDue, CaseClosed, …).
                result.dropped += 1
    return result
