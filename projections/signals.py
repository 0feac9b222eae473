"""Cases waiting for a signal, by signal name: whom a broadcast reaches (okno.signals).

A case's effects list the signals it waits for (``signals_awaited``) whenever that set may
have changed, so each such event replaces the case's rows; a case that ends waits for
nothing."""

from __future__ import annotations

from typing import Any

from engine.case import Case
from projections.base import Db
from projections.reader import Reader


class SignalsModel:
    name = "signals"
    version = 1

    def table_names(self) -> list[str]:
        return ["rm_signal_waits", "rm_signal_cases"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rm_signal_cases (case_id TEXT PRIMARY KEY, number TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_signal_waits (case_id TEXT NOT NULL, number TEXT NOT NULL, "
            "name TEXT NOT NULL, PRIMARY KEY (case_id, name))",
            "CREATE INDEX IF NOT EXISTS rm_signal_waits_name ON rm_signal_waits (name, number)",
        ]

    def apply(self, db: Db, event: Any) -> None:
        if not isinstance(event, Case.Event):
            return
        case_id, effects = str(event.originator_id), event.effects
        if isinstance(event, Case.Opened):
            db.execute("INSERT INTO rm_signal_cases VALUES (?, ?)", (case_id, event.number))
        ending = bool(effects.get("completed")) or isinstance(event, Case.Withdrawn)
        if "signals_awaited" not in effects and not ending:
            return
        db.execute("DELETE FROM rm_signal_waits WHERE case_id = ?", (case_id,))
        if ending:
            return
        numbers = db.rows("SELECT number FROM rm_signal_cases WHERE case_id = ?", (case_id,))
        for name in effects["signals_awaited"]:
            db.execute("INSERT INTO rm_signal_waits VALUES (?, ?, ?)", (case_id, numbers[0]["number"], name))


def cases_waiting_for(reader: Reader, name: str, limit: int = 1000) -> list[str]:
    """The numbers of the cases waiting for signal ``name``, in number order."""
    return [
        str(r["number"])
        for r in reader.rows("SELECT number FROM rm_signal_waits WHERE name = ? ORDER BY number LIMIT ?", (name, limit))
    ]
