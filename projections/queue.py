"""The electronic queue: every ticket of every office's day, with when it was called, to
which window, and how the visit ended; waiting and service times per visit, and whether
the wait kept within the regulations' cap (15 minutes, 5 with a booking)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.reception.office_day import OfficeDay
from engine.reception.queue import WAIT_CAP_BOOKED_MINUTES, WAIT_CAP_MINUTES, waited_from
from projections.base import Db


class QueueModel:
    name = "queue"
    version = 1

    def table_names(self) -> list[str]:
        return ["rm_tickets"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rm_tickets (id TEXT PRIMARY KEY, office TEXT NOT NULL, day TEXT NOT NULL, "
            "number TEXT NOT NULL, service TEXT NOT NULL, category TEXT NOT NULL, appointment TEXT, "
            "appointment_start TEXT, arrived_at TEXT NOT NULL, state TEXT NOT NULL, window_no INTEGER, "
            "called_at TEXT, ended_at TEXT, outcome TEXT, case_number TEXT, waited_seconds INTEGER, "
            "served_seconds INTEGER, within_cap INTEGER)",
            "CREATE INDEX IF NOT EXISTS rm_tickets_live ON rm_tickets (office, day, state)",
        ]

    def apply(self, db: Db, event: Any) -> None:
        if isinstance(event, OfficeDay.TicketIssued):
            t = event.ticket
            db.execute(
                "INSERT INTO rm_tickets (id, office, day, number, service, category, appointment, "
                "appointment_start, arrived_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting')",
                (
                    t["id"],
                    t["office"],
                    t["day"],
                    t["number"],
                    t["service"],
                    t["category"],
                    t["appointment"],
                    t["appointment_start"],
                    t["arrived_at"],
                ),
            )
        elif isinstance(event, OfficeDay.TicketCalled):
            ticket = db.rows("SELECT arrived_at, appointment_start FROM rm_tickets WHERE id = ?", (event.ticket,))[0]
            waited = max(0, int((event.timestamp - waited_from(ticket)).total_seconds()))
            cap = WAIT_CAP_BOOKED_MINUTES if ticket["appointment_start"] else WAIT_CAP_MINUTES
            db.execute(
                "UPDATE rm_tickets SET state = 'called', window_no = ?, called_at = ?, waited_seconds = ?, "
                "within_cap = ? WHERE id = ?",
                (event.window, event.timestamp.isoformat(), waited, int(waited <= cap * 60), event.ticket),
            )
        elif isinstance(event, OfficeDay.VisitEnded):
            called = db.rows("SELECT called_at FROM rm_tickets WHERE id = ?", (event.ticket,))[0]["called_at"]
            served = int((event.timestamp - datetime.fromisoformat(called)).total_seconds())
            db.execute(
                "UPDATE rm_tickets SET state = 'done', ended_at = ?, outcome = ?, case_number = ?, "
                "served_seconds = ? WHERE id = ?",
                (event.timestamp.isoformat(), event.outcome, event.case_number, served, event.ticket),
            )
