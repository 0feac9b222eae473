"""Messages cases sent to agencies (interagency requests, notifications), numbered per case
as the engine numbers them, and whether the agency has acknowledged each: what an agency
gateway reads to pick up its work."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from engine.case import Case
from projections.base import Db


class OutboxModel:
    name = "outbox"
    version = 1

    def table_names(self) -> list[str]:
        return ["rm_outbox", "rm_outbox_cases"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rm_outbox_cases (case_id TEXT PRIMARY KEY, number TEXT NOT NULL, "
            "office TEXT NOT NULL, sent INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_outbox (case_number TEXT NOT NULL, message INTEGER NOT NULL, "
            "office TEXT NOT NULL, name TEXT NOT NULL, payload TEXT NOT NULL, sent_at TEXT NOT NULL, "
            "acknowledged_at TEXT, reference TEXT, PRIMARY KEY (case_number, message))",
            "CREATE INDEX IF NOT EXISTS rm_outbox_pending ON rm_outbox (name, acknowledged_at, sent_at)",
        ]

    def apply(self, db: Db, event: Any) -> None:
        if not isinstance(event, Case.Event):
            return
        case_id = str(event.originator_id)
        if isinstance(event, Case.Opened):
            db.execute("INSERT INTO rm_outbox_cases VALUES (?, ?, ?, 0)", (case_id, event.number, event.office))
        found = db.rows("SELECT number, office, sent FROM rm_outbox_cases WHERE case_id = ?", (case_id,))
        if not found:
            return
        case = found[0]
        at = event.timestamp.astimezone(UTC).isoformat()
        sent = int(case["sent"])
        for message in event.effects.get("messages_sent", []):
            sent += 1
            db.execute("INSERT INTO rm_outbox VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                       (case["number"], sent, case["office"], message["name"],
                        json.dumps(message["payload"], ensure_ascii=False, sort_keys=True), at))
        if sent != case["sent"]:
            db.execute("UPDATE rm_outbox_cases SET sent = ? WHERE case_id = ?", (sent, case_id))
        acknowledged = event.effects.get("acknowledged")
        if acknowledged:
            db.execute("UPDATE rm_outbox SET acknowledged_at = ?, reference = ? WHERE case_number = ? "
                       "AND message = ?", (at, acknowledged["reference"], case["number"], acknowledged["message"]))
