"""Whether a case's read-model row tells what its events tell (issue 18).

Lists and work queues read the read models; a row can lag behind the events (the worker
has not folded them yet), be parked (a fold failed or the case's chain broke) or have been
edited in the database. ``Case.readModel`` says which, for the one case asked about: the
row's version against the events', the row's status, stage and outcome against the case
loaded from its events, and the models that parked it. A whole-store check is
`okno audit reconcile`.
"""

from __future__ import annotations

from typing import Any

import strawberry

from engine.application import Engine
from projections.case_queries import CaseRow
from projections.reader import Reader

COMPARED = ("status", "stage", "outcome")


@strawberry.type(description="Whether the read model's row of the case agrees with the case's events.")
class ReadModelCheck:
    events_version: int = strawberry.field(description="The version of the case's last event.")
    read_model_version: int = strawberry.field(description="The version the read model's row was folded to.")
    agrees: bool = strawberry.field(description="False: the lists and work queues show something else than the events.")
    warning: str | None = strawberry.field(description="What differs, for people; null when it agrees.")
    parked_in: list[str] = strawberry.field(description="Read models that parked the case, each with its reason.")


def check(engine: Engine, reader: Reader, row: CaseRow, events: list[Any]) -> ReadModelCheck:
    """The row against the events (all of them: the case now, not as of a moment)."""
    last = events[-1].originator_version if events else 0
    parked = (
        [
            f"{r['model']}: {r['error']}"
            for r in reader.rows(
                "SELECT model, error FROM okno_parked WHERE case_id = ? ORDER BY model", (str(events[0].originator_id),)
            )
        ]
        if events
        else []
    )
    problems: list[str] = []
    if row.version < last:
        problems.append(f"the read model shows version {row.version} of {last}: {last - row.version} events not folded")
    elif row.version > last:
        problems.append(f"the read model shows version {row.version} but the case's events end at {last}")
    else:
        try:
            case = engine.get_case(row.number)
        except Exception as error:  # a case that does not load (a broken chain): that is the answer
            problems.append(f"the case does not load from its events ({type(error).__name__}: {error})")
        else:
            for name in COMPARED:
                shown, told = getattr(row, name), getattr(case, name)
                shown = getattr(shown, "value", shown)  # the GraphQL case holds its status as the enum
                if shown != told:
                    problems.append(f"{name} is {shown!r} in the read model but {told!r} by the events")
    if parked:
        problems.append("parked in " + "; ".join(parked))
    return ReadModelCheck(
        events_version=last,
        read_model_version=row.version,
        agrees=not problems,
        warning="; ".join(problems) or None,
        parked_in=parked,
    )
