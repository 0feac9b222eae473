"""Parked cases: one bad event never stops a read model.

When a model cannot fold an event (a value its tables refuse, a bug in its fold), the
event's case — its originator — is parked FOR THAT MODEL: a row says which case, where in
the log its first unfolded event is and why it failed, and the model moves on with every
other case. The parked case's later events wait behind it (so each case is folded in its
own order): the runner does not fold them, it only notes how far the case's waiting
events reach (``waiting_through``, an aggregate version), so a retry can read exactly
those events back from the case's own stream and fold them after a fix.

The parking rows are written in the runner's transaction, beside the model's rows and its
tracking position: all three commit together or not at all.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, MapperDeserialisationError
from eventsourcing.persistence import OperationalError as StoreOperationalError

from engine.case import Case
from projections import chain_guard
from projections.base import Db, ReadModel, apply_events

ERROR_CHARS = 300  # an error's text is kept this long: enough to see the cause, never a whole payload

# The database or the connection failed, not the event: these are raised, never parked
# (the page is read again once the database answers).
NOT_THE_EVENTS_FAULT: tuple[type[BaseException], ...] = (
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    StoreOperationalError,
)

PARKING_TABLE = (
    "CREATE TABLE IF NOT EXISTS okno_parked (model TEXT NOT NULL, case_id TEXT NOT NULL, number TEXT, "
    "position BIGINT NOT NULL, version BIGINT NOT NULL, waiting_through BIGINT NOT NULL, error TEXT NOT NULL, "
    "parked_at TEXT NOT NULL, PRIMARY KEY (model, case_id))"
)


@dataclass(frozen=True)
class ParkedCase:
    """A case one read model could not fold: its events from ``position`` on wait for a retry."""

    model: str
    case_id: str
    number: str | None  # None: not known to the runner when it parked (a case opened in an earlier page)
    position: int  # notification id of the first event the model did not fold
    error: str
    parked_at: datetime
    office: str | None = None  # the case's office (from its first event); None for a non-case originator


@dataclass(frozen=True)
class RetryOutcome:
    unparked: list[ParkedCase]
    still_parked: list[ParkedCase]


@dataclass(frozen=True)
class Undecodable:
    """A stored row the store's mapper cannot decode (a flipped bit in its compressed
    state): it parks its case with the reason, and the page goes on with the others."""

    originator_id: Any
    originator_version: int
    why: str

    def reason(self, number: str | None) -> str:
        return (
            f"case {number or self.originator_id} version {self.originator_version}: the stored event "
            f"cannot be decoded ({self.why}); `okno audit verify` gives the case's verdict"
        )


def decoded(mapper: Any, stored: Any) -> Any:
    """The stored event decoded, or an Undecodable in its place."""
    try:
        return mapper.to_domain_event(stored)
    except MapperDeserialisationError as error:
        return Undecodable(stored.originator_id, stored.originator_version, str(error.__cause__ or error))


def error_text(error: BaseException) -> str:
    """The error, short and storable: every text column refuses NUL on PostgreSQL, and an
    error about a poison value often quotes it."""
    text = f"{type(error).__name__}: {error}"
    safe = "".join(c if c == " " or unicodedata.category(c)[0] not in "CZ" else ascii(c)[1:-1] for c in text)
    return safe if len(safe) <= ERROR_CHARS else safe[: ERROR_CHARS - 1] + "…"


def attempt(db: Db, fold: Callable[[Db], None]) -> BaseException | None:
    """Run a fold inside a savepoint: on failure its writes are undone and the error given
    back; the transaction goes on. A fresh ``Db`` per attempt, so no model keeps lookups
    read inside a rolled-back savepoint."""
    db.execute("SAVEPOINT okno_fold")
    try:
        fold(Db(db.cursor, db.dialect))
    except NOT_THE_EVENTS_FAULT:
        raise
    except Exception as error:  # any fold failure parks a case; the rest of the log goes on
        db.execute("ROLLBACK TO SAVEPOINT okno_fold")
        db.execute("RELEASE SAVEPOINT okno_fold")
        return error
    db.execute("RELEASE SAVEPOINT okno_fold")
    return None


def folding(model: ReadModel, events: Sequence[Any]) -> Callable[[Db], None]:
    """The fold of these events into the model, to run inside ``attempt``."""
    return lambda db: apply_events(model, db, events)


def parked_case_ids(db: Db, model: str) -> set[str]:
    return {row["case_id"] for row in db.rows("SELECT case_id FROM okno_parked WHERE model = ?", (model,))}


def fold_page(
    db: Db,
    model: ReadModel,
    page: Sequence[tuple[int, Any]],
    now: datetime,
    checked: chain_guard.Checked | None = None,
) -> None:
    """Fold a page of (notification id, event) into one model, parking the case of any
    event it cannot fold or that breaks its case's chain (projections.chain_guard). Events
    of cases already parked for this model are not folded: they wait behind the parked one.
    ``checked``: hashes already recomputed for this page (by another model)."""
    parked = parked_case_ids(db, model.name)
    folding_events, waiting = list(page), []
    if parked:  # almost never: most pages skip this pass over the events
        folding_events = [(position, event) for position, event in page if str(event.originator_id) not in parked]
        waiting = [(position, event) for position, event in page if str(event.originator_id) in parked]
    newly: dict[str, dict[str, Any]] = {}
    heads = chain_guard.Heads(model.name)
    heads.read(db, (str(e.originator_id) for _, e in folding_events if isinstance(e, Case.Event | Undecodable)))
    admitted: list[tuple[int, Any]] = []
    checked = {} if checked is None else checked
    for position, event in folding_events:
        case_id = str(event.originator_id)
        if case_id in newly:  # the case broke its chain earlier in this page: the rest waits
            newly[case_id]["waiting_through"] = event.originator_version
            continue
        if isinstance(event, Undecodable):
            reason: str | None = event.reason(heads.number(case_id))
        else:
            reason = heads.admit(case_id, event, checked) if isinstance(event, Case.Event) else None
        if reason is None:
            admitted.append((position, event))
            continue
        newly[case_id] = {
            "number": getattr(event, "number", None),
            "position": position,
            "version": event.originator_version,
            "waiting_through": event.originator_version,
            "error": reason,
        }
    folding_events = admitted
    failed = attempt(db, folding(model, [event for _, event in folding_events]))
    if failed is not None:
        # Find the events at fault: the page again, event by event, each in its savepoint.
        # Pages and single events leave the same rows (tests/projections check it).
        numbers = {str(e.originator_id): e.number for _, e in folding_events if getattr(e, "number", None)}
        failing: dict[str, dict[str, Any]] = {}
        for position, event in folding_events:
            case_id = str(event.originator_id)
            if case_id in failing:
                failing[case_id]["waiting_through"] = event.originator_version
                continue
            error = attempt(db, folding(model, [event]))
            if error is not None:
                heads.undo_from(case_id, event.originator_version)
                failing[case_id] = {
                    "number": numbers.get(case_id),
                    "position": position,
                    "version": event.originator_version,
                    "waiting_through": event.originator_version,
                    "error": error_text(error),
                }
        for case_id, row in failing.items():
            # A fold that fails before the case's chain breaks parks it there; all after waits.
            broken = newly.get(case_id)
            row["waiting_through"] = max(row["waiting_through"], broken["waiting_through"] if broken else 0)
            newly[case_id] = row
    heads.write(db)
    for case_id, row in newly.items():
        db.execute(
            "INSERT INTO okno_parked VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                model.name,
                case_id,
                row["number"],
                row["position"],
                row["version"],
                row["waiting_through"],
                row["error"],
                now.isoformat(),
            ),
        )
    reach: dict[str, int] = {}
    for _, event in waiting:
        reach[str(event.originator_id)] = max(reach.get(str(event.originator_id), 0), event.originator_version)
    for case_id, version in reach.items():
        db.execute(
            "UPDATE okno_parked SET waiting_through = ? WHERE model = ? AND case_id = ? AND waiting_through < ?",
            (version, model.name, case_id, version),
        )
        noted = db.rows(
            "SELECT waiting_through FROM okno_parked WHERE model = ? AND case_id = ?", (model.name, case_id)
        )
        if not noted or int(noted[0]["waiting_through"]) != version:
            # A retry unparked the case (or another runner noted these events) since this page
            # read the parked cases: this page is stale; the runner reads it again.
            raise IntegrityError(f"parked case {case_id} of {model.name} changed under this page")


def parked(db: Db, model: str | None = None) -> list[ParkedCase]:
    sql = "SELECT model, case_id, number, position, error, parked_at FROM okno_parked"
    rows = (
        db.rows(f"{sql} WHERE model = ? ORDER BY position, case_id", (model,))
        if model
        else db.rows(f"{sql} ORDER BY model, position, case_id")
    )
    return [
        ParkedCase(
            row["model"],
            row["case_id"],
            row["number"],
            int(row["position"]),
            row["error"],
            datetime.fromisoformat(row["parked_at"]),
        )
        for row in rows
    ]


def waiting_range(db: Db, model: str, case_id: str) -> tuple[int, int] | None:
    """The versions of a parked case's events that wait for a retry (first, last); locks the
    row on PostgreSQL, so a runner noting more waiting events waits for the retry's commit."""
    lock = " FOR UPDATE" if db.dialect == "postgres" else ""
    rows = db.rows(
        f"SELECT version, waiting_through FROM okno_parked WHERE model = ? AND case_id = ?{lock}", (model, case_id)
    )
    return (int(rows[0]["version"]), int(rows[0]["waiting_through"])) if rows else None


def unpark(db: Db, model: str, case_id: str) -> None:
    db.execute("DELETE FROM okno_parked WHERE model = ? AND case_id = ?", (model, case_id))


def still_failing(db: Db, model: str, case_id: str, error: BaseException) -> None:
    db.execute("UPDATE okno_parked SET error = ? WHERE model = ? AND case_id = ?", (error_text(error), model, case_id))


def forget_model(db: Db, model: str) -> None:
    """A model rebuilt from zero parks afresh whatever still fails."""
    db.execute("DELETE FROM okno_parked WHERE model = ?", (model,))
    chain_guard.forget_model(db, model)


def retry_fold(db: Db, model: ReadModel, events: Sequence[Any]) -> BaseException | None:
    """A parked case's waiting events folded again, each admitted by the chain guard first:
    a case parked for a broken chain stays parked (the chain is still broken)."""
    heads = chain_guard.Heads(model.name)
    heads.read(db, {str(e.originator_id) for e in events if chain_guard.guarded(e)})
    checked: chain_guard.Checked = {}
    for event in events:
        if isinstance(event, Undecodable):  # still damaged: the case stays parked
            return ChainBroken(event.reason(heads.number(str(event.originator_id))))
        reason = heads.admit(str(event.originator_id), event, checked) if chain_guard.guarded(event) else None
        if reason is not None:
            return ChainBroken(reason)
    error = attempt(db, folding(model, events))
    if error is None:
        heads.write(db)
    return error


class ChainBroken(Exception):
    """An event does not continue its case's chain as the model projected it."""
