"""The chain guard: a read model folds only events that continue their case's chain.

Verify finds an event inserted into a case (one copied from another case, say), but the
worker had already projected it: a job row with the other case's data, a task closed. So
before a model folds a case event, the event must be the next link of the case's chain AS
THIS MODEL PROJECTED IT: its version the next one, its hash recomputed over its content and
the last projected event's hash (engine.integrity), and a case's first event must carry the
number its case id is made from. An event that is not is never folded: its case is parked
for that model (projections.parking) with a reason naming the case and the version, and
every other case goes on.

Each model keeps its own heads (one row per case: version, hash), written in the runner's
transaction beside its rows and position: models follow the log at their own positions (a
rebuilt one starts from zero), so one model's head is not another's. A page reads the heads
of its cases in one query and writes the changed ones in one batch.

A case whose events a model folded before the guard existed has no head there: its first
event seen with a version above 1 is trusted and becomes the head (there is nothing to check
it against); `okno audit verify` covers that history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.case import Case, case_id_for
from engine.integrity import GENESIS, chain_of
from projections.base import IN_CHUNK, Db

CHAIN_HEADS_TABLE = (
    "CREATE TABLE IF NOT EXISTS okno_chain_heads (model TEXT NOT NULL, case_id TEXT NOT NULL, "
    "number TEXT, version BIGINT NOT NULL, chain TEXT NOT NULL, PRIMARY KEY (model, case_id))"
)


@dataclass(frozen=True)
class Head:
    number: str | None
    version: int
    chain: str


# (case id, version, stored hash, previous hash) -> whether the event's content gives that
# hash: models sharing a page check each event once, not once per model.
Checked = dict[tuple[str, int, str, str], bool]


class Heads:
    """The heads of the cases of one page, for one model: read once, advanced event by event
    as the page is checked, rolled back for a case whose fold then fails, written once."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.stored: dict[str, Head] = {}
        self.steps: dict[str, list[Head]] = {}  # per case, the heads this page advanced through

    def read(self, db: Db, case_ids: Iterable[str]) -> None:
        wanted = sorted(set(case_ids))
        if not wanted:
            return
        sql = "SELECT case_id, number, version, chain FROM okno_chain_heads WHERE model = ? AND case_id"
        rows: list[dict[str, Any]] = []
        if db.dialect == "postgres":
            rows = db.rows(f"{sql} = ANY(?)", (self.model, wanted))
        for start in range(0, len(wanted), IN_CHUNK) if db.dialect != "postgres" else ():
            chunk = wanted[start : start + IN_CHUNK]
            rows += db.rows(f"{sql} IN ({', '.join('?' for _ in chunk)})", [self.model, *chunk])
        for row in rows:
            self.stored[row["case_id"]] = Head(row["number"], int(row["version"]), row["chain"])

    def number(self, case_id: str) -> str | None:
        """The case's number as far as this page knows it (None: not yet seen)."""
        steps = self.steps.get(case_id)
        head = steps[-1] if steps else self.stored.get(case_id)
        return head.number if head is not None else None

    def admit(self, case_id: str, event: Any, checked: Checked) -> str | None:
        """Advance the case's head over ``event`` (of case ``case_id``) if it continues the
        chain; else the reason. Called per event per model: the common path stays short."""
        steps = self.steps.get(case_id)
        head = steps[-1] if steps else self.stored.get(case_id)
        version = event.originator_version
        if head is None:
            if version > 1:  # folded before the guard existed: nothing to check it against
                self.steps[case_id] = [Head(None, version, event.chain)]
                return None
            previous, number = GENESIS, getattr(event, "number", None)
        else:
            if version != head.version + 1:
                return self._broken(case_id, head.number, version, f"expected version {head.version + 1}")
            previous, number = head.chain, head.number
        if version == 1:
            if not isinstance(event, Case.Opened):
                return self._broken(case_id, number, version, "a case's first event must open it")
            if str(case_id_for(event.number)) != case_id:
                return self._broken(case_id, number, version, f"its number {event.number} is not this case's")
        key = (case_id, version, event.chain, previous)
        valid = checked.get(key)
        if valid is None:
            valid = checked[key] = chain_of(event, previous) == event.chain
        if not valid:
            return self._broken(case_id, number, version, "its hash does not follow the last projected event's")
        self.steps.setdefault(case_id, []).append(Head(number, version, event.chain))
        return None

    @staticmethod
    def _broken(case_id: str, number: str | None, version: int, why: str) -> str:
        return f"chain broken at case {number or case_id} version {version}: {why}"

    def undo_from(self, case_id: str, version: int) -> None:
        """The case's fold failed at ``version``: its head stays before that event."""
        self.steps[case_id] = [h for h in self.steps.get(case_id, []) if h.version < version]

    def write(self, db: Db) -> None:
        moved = {case_id: steps[-1] for case_id, steps in self.steps.items() if steps}
        known = [case_id for case_id in moved if case_id in self.stored]
        db.update(
            "okno_chain_heads",
            ["model", "case_id"],
            ["number", "version", "chain"],
            [(moved[c].number, moved[c].version, moved[c].chain, self.model, c) for c in known],
        )
        db.insert(
            "okno_chain_heads",
            ["model", "case_id", "number", "version", "chain"],
            [(self.model, c, h.number, h.version, h.chain) for c, h in moved.items() if c not in self.stored],
        )


def guarded(event: Any) -> bool:
    """Case events carry the chain; the directory's events have none."""
    return isinstance(event, Case.Event)


def forget_model(db: Db, model: str) -> None:
    db.execute("DELETE FROM okno_chain_heads WHERE model = ?", (model,))
