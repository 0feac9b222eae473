"""Timers waiting in cases, by due time: what the timer worker (okno.workers.timers) fires."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.case import Case
from projections.base import Db, TableFold
from projections.reader import Reader


@dataclass(frozen=True)
class TimerRow:
    task: str  # the timer's task id
    case_number: str
    element: str  # the BPMN timer event
    due: str  # UTC, ISO 8601


class TimersModel:
    name = "timers"
    version = 1

    def table_names(self) -> list[str]:
        return ["rm_timers", "rm_timer_cases"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rm_timer_cases (case_id TEXT PRIMARY KEY, number TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_timers (task TEXT PRIMARY KEY, case_number TEXT NOT NULL, "
            "element TEXT NOT NULL, due TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS rm_timers_due ON rm_timers (due)",
        ]

    def apply(self, db: Db, event: Any) -> None:
        if not isinstance(event, Case.Event):
            return
        if isinstance(event, Case.Opened):
            db.execute("INSERT INTO rm_timer_cases VALUES (?, ?)", (str(event.originator_id), event.number))
        effects = event.effects
        for timer in effects.get("timers_fired", []) + effects.get("timers_cancelled", []):
            db.execute("DELETE FROM rm_timers WHERE task = ?", (timer["task"],))
        if effects.get("completed") or isinstance(event, Case.Withdrawn):
            numbers = db.rows("SELECT number FROM rm_timer_cases WHERE case_id = ?", (str(event.originator_id),))
            if numbers:
                db.execute("DELETE FROM rm_timers WHERE case_number = ?", (numbers[0]["number"],))
        scheduled = [t for t in effects.get("timers_scheduled", []) if t.get("due")]
        if scheduled:
            number = db.rows("SELECT number FROM rm_timer_cases WHERE case_id = ?", (str(event.originator_id),))
            for timer in scheduled:
                due = datetime.fromisoformat(timer["due"]).astimezone(UTC).isoformat()
                db.execute(
                    "INSERT INTO rm_timers VALUES (?, ?, ?, ?) ON CONFLICT (task) DO UPDATE SET due = excluded.due",
                    (timer["task"], number[0]["number"], timer["element"], due),
                )

    def apply_page(self, db: Db, events: Sequence[Any]) -> None:
        """The rows ``apply`` leaves event by event, in a few statements for the page: the
        stored rows it can touch read first, then folded in memory (base.TableFold)."""
        # Most events touch no timer: they are passed over here rather than in each step below.
        case_events = [
            e
            for e in events
            if isinstance(e, Case.Event)
            and (
                isinstance(e, (Case.Opened, Case.Withdrawn))
                or e.effects.get("completed")
                or e.effects.get("timers_scheduled")
                or e.effects.get("timers_fired")
                or e.effects.get("timers_cancelled")
            )
        ]
        ending = [e for e in case_events if e.effects.get("completed") or isinstance(e, Case.Withdrawn)]
        scheduling = [e for e in case_events if any(t.get("due") for t in e.effects.get("timers_scheduled", []))]
        cases = TableFold("rm_timer_cases", "case_id", ("case_id", "number"))
        cases.read(db, "case_id", {str(e.originator_id) for e in ending + scheduling})
        numbers = {key: row["number"] for key, row in cases.rows.items()}
        numbers.update((str(e.originator_id), e.number) for e in case_events if isinstance(e, Case.Opened))
        timers = TableFold("rm_timers", "task", ("task", "case_number", "element", "due"))
        timers.read(
            db,
            "task",
            {
                t["task"]
                for e in case_events
                for kind in ("timers_fired", "timers_cancelled", "timers_scheduled")
                for t in e.effects.get(kind, [])
            },
        )
        timers.read(
            db, "case_number", {numbers[str(e.originator_id)] for e in ending if str(e.originator_id) in numbers}
        )
        for event in case_events:
            case_id, effects = str(event.originator_id), event.effects
            if isinstance(event, Case.Opened):
                cases.insert({"case_id": case_id, "number": event.number})
            for timer in effects.get("timers_fired", []) + effects.get("timers_cancelled", []):
                timers.rows.pop(timer["task"], None)
            if (effects.get("completed") or isinstance(event, Case.Withdrawn)) and case_id in cases.rows:
                number = cases.rows[case_id]["number"]
                for task in [task for task, row in timers.rows.items() if row["case_number"] == number]:
                    del timers.rows[task]
            for timer in effects.get("timers_scheduled", []):
                if not timer.get("due"):
                    continue
                number = cases.rows[case_id]["number"]  # as ``apply``: a case with no row cannot schedule
                due = datetime.fromisoformat(timer["due"]).astimezone(UTC).isoformat()
                if timer["task"] in timers.rows:
                    timers.rows[timer["task"]]["due"] = due  # ON CONFLICT (task): only the due time changes
                else:
                    timers.rows[timer["task"]] = {
                        "task": timer["task"],
                        "case_number": number,
                        "element": timer["element"],
                        "due": due,
                    }
        cases.write(db)
        timers.write(db)


def due_timers(reader: Reader, now: datetime, limit: int = 500) -> list[TimerRow]:
    return [
        TimerRow(task=r["task"], case_number=r["case_number"], element=r["element"], due=r["due"])
        for r in reader.rows(
            "SELECT * FROM rm_timers WHERE due <= ? ORDER BY due, task LIMIT ?",
            (now.astimezone(UTC).isoformat(), limit),
        )
    ]
