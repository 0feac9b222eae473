"""Appointments as the portal, terminals and the call centre see them, and what free
slots are computed from: each office's hours and windows and each service's reception
time, as the directory last published them."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from engine.directory import Directory
from engine.offices import Office
from engine.reception.office_day import OfficeDay
from projections.base import Db


class AppointmentsModel:
    name = "appointments"
    version = 1

    def table_names(self) -> list[str]:
        return ["rm_appointments", "rm_reception_offices", "rm_reception_services"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rm_reception_offices (code TEXT PRIMARY KEY, config TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_reception_services (code TEXT PRIMARY KEY, config TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_appointments (code TEXT PRIMARY KEY, office TEXT NOT NULL, "
            "day TEXT NOT NULL, window_no INTEGER NOT NULL, service TEXT NOT NULL, start_at TEXT NOT NULL, "
            "end_at TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, booked_at TEXT NOT NULL, "
            "rescheduled_from TEXT)",
            "CREATE INDEX IF NOT EXISTS rm_appointments_day ON rm_appointments (office, day, status)",
        ]

    def apply(self, db: Db, event: Any) -> None:
        if isinstance(event, Directory.OfficesRegistered):
            for office in event.offices:
                config = json.dumps(Office.from_dict(office).to_dict(), ensure_ascii=False, sort_keys=True)
                db.execute(
                    "INSERT INTO rm_reception_offices VALUES (?, ?) ON CONFLICT (code) DO UPDATE "
                    "SET config = excluded.config",
                    (office["code"], config),
                )
        elif isinstance(event, (Directory.CatalogPublished, Directory.ServicesPublished)):
            for service in event.services:
                config = json.dumps(service, ensure_ascii=False, sort_keys=True)
                db.execute(
                    "INSERT INTO rm_reception_services VALUES (?, ?) ON CONFLICT (code) DO UPDATE "
                    "SET config = excluded.config",
                    (service["code"], config),
                )
        elif isinstance(event, OfficeDay.AppointmentBooked):
            a = event.appointment
            db.execute(
                "INSERT INTO rm_appointments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    a["code"],
                    a["office"],
                    a["start"][:10],
                    a["window"],
                    a["service"],
                    a["start"],
                    a["end"],
                    a["channel"],
                    a["status"],
                    event.timestamp.astimezone(UTC).isoformat(),
                    a.get("rescheduled_from"),
                ),
            )
        elif isinstance(event, OfficeDay.AppointmentCancelled):
            db.execute("UPDATE rm_appointments SET status = 'cancelled' WHERE code = ?", (event.code,))
        elif isinstance(event, OfficeDay.TicketIssued) and event.ticket.get("appointment"):
            db.execute("UPDATE rm_appointments SET status = 'arrived' WHERE code = ?", (event.ticket["appointment"],))
