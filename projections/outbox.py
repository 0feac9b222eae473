"""Messages cases sent to agencies (interagency requests, notifications), numbered per case
as the engine numbers them, and whether the agency has acknowledged each: what an agency
gateway reads to pick up its work."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from engine.case import Case
from engine.input_checks import CASE_NUMBER, Maybe, checked
from projections.base import Db
from projections.paging import Keyset, Page, keyset_page
from projections.reader import Reader


@dataclass
class OutboxRow:
    """A message a case sent: an interagency request or a notification."""

    case_number: str
    message: int  # its number within the case: 1, 2, …
    office: str
    name: str  # the BPMN message name, e.g. rosreestr_package
    payload: dict[str, Any]
    sent_at: str
    acknowledged_at: str | None
    reference: str | None  # the agency's reference, once acknowledged

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxRow:
        return cls(
            case_number=row["case_number"],
            message=int(row["message"]),
            office=row["office"],
            name=row["name"],
            payload=json.loads(row["payload"]),
            sent_at=row["sent_at"],
            acknowledged_at=row["acknowledged_at"],
            reference=row["reference"],
        )


OLDEST_FIRST = Keyset(("sent_at", "case_number", "message"), (str, str, int))


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
            db.execute(
                "INSERT INTO rm_outbox VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                (
                    case["number"],
                    sent,
                    case["office"],
                    message["name"],
                    json.dumps(message["payload"], ensure_ascii=False, sort_keys=True),
                    at,
                ),
            )
        if sent != case["sent"]:
            db.execute("UPDATE rm_outbox_cases SET sent = ? WHERE case_id = ?", (sent, case_id))
        acknowledged = event.effects.get("acknowledged")
        if acknowledged:
            db.execute(
                "UPDATE rm_outbox SET acknowledged_at = ?, reference = ? WHERE case_number = ? AND message = ?",
                (at, acknowledged["reference"], case["number"], acknowledged["message"]),
            )

    def apply_page(self, db: Db, events: Sequence[Any]) -> None:
        """The rows ``apply`` leaves event by event, in a few statements for the page: the
        stored cases it touches read in one query, messages numbered in memory, each table
        written in one batch."""
        # Most events send and acknowledge nothing: they change no row here, and their cases
        # need not be read.
        keyed = [
            (str(e.originator_id), e)
            for e in events
            if isinstance(e, Case.Event)
            and (isinstance(e, Case.Opened) or e.effects.get("messages_sent") or e.effects.get("acknowledged"))
        ]
        fresh = {case_id for case_id, e in keyed if isinstance(e, Case.Opened)}
        stored = {case_id for case_id, _ in keyed} - fresh
        cases: dict[str, dict[str, Any]] = {}  # by case id: number, office, sent (as stored, then as folded)
        for row in db.rows_in("SELECT case_id, number, office, sent FROM rm_outbox_cases", "case_id", stored):
            cases[row["case_id"]] = dict(row, stored_sent=int(row["sent"]), sent=int(row["sent"]))
        messages: dict[tuple[str, int], list[Any]] = {}  # sent in this page, by case number and message
        clashes: list[list[Any]] = []  # a message numbered twice: inserted so the database refuses it
        acknowledged: dict[tuple[str, int], tuple[str, str]] = {}  # of messages stored before this page
        for case_id, event in keyed:
            if isinstance(event, Case.Opened):
                cases[case_id] = {"number": event.number, "office": event.office, "sent": 0, "stored_sent": None}
            case = cases.get(case_id)
            if case is None:
                continue  # as ``apply``: a case the model has no row for changes nothing
            at = event.timestamp.astimezone(UTC).isoformat()
            for message in event.effects.get("messages_sent", []):
                case["sent"] += 1
                sent = [
                    case["number"],
                    case["sent"],
                    case["office"],
                    message["name"],
                    json.dumps(message["payload"], ensure_ascii=False, sort_keys=True),
                    at,
                    None,
                    None,
                ]
                key = (case["number"], case["sent"])
                acknowledged.pop(key, None)  # acknowledged before it was sent: that changed no row
                if key in messages:
                    clashes.append(sent)
                else:
                    messages[key] = sent
            ack = event.effects.get("acknowledged")
            if ack:
                key = (case["number"], ack["message"])
                if key in messages:
                    messages[key][6], messages[key][7] = at, ack["reference"]
                else:
                    acknowledged[key] = (at, ack["reference"])
        db.insert(
            "rm_outbox_cases",
            ("case_id", "number", "office", "sent"),
            [
                (case_id, c["number"], c["office"], c["sent"])
                for case_id, c in cases.items()
                if c["stored_sent"] is None
            ],
        )
        db.update(
            "rm_outbox_cases",
            ["case_id"],
            ["sent"],
            [
                (c["sent"], case_id)
                for case_id, c in cases.items()
                if c["stored_sent"] is not None and c["sent"] != c["stored_sent"]
            ],
        )
        db.insert(
            "rm_outbox",
            ("case_number", "message", "office", "name", "payload", "sent_at", "acknowledged_at", "reference"),
            [*messages.values(), *clashes],
        )
        db.update(
            "rm_outbox",
            ["case_number", "message"],
            ["acknowledged_at", "reference"],
            [(at, reference, number, message) for (number, message), (at, reference) in acknowledged.items()],
        )


@checked(case_number=Maybe(CASE_NUMBER))
def messages(
    reader: Reader,
    names: Sequence[str] | None = None,
    pending: bool = True,
    case_number: str | None = None,
    *,
    first: int = 20,
    after: Sequence[Any] | None = None,
) -> Page[OutboxRow]:
    """Messages oldest first, of the names given, and only those not yet acknowledged if
    ``pending``; of one case if ``case_number`` is named."""
    sql, params = "SELECT * FROM rm_outbox WHERE 1 = 1", list[Any]()
    if case_number is not None:
        sql += " AND case_number = ?"
        params.append(case_number)
    if names:
        sql += f" AND name IN ({', '.join('?' for _ in names)})"
        params += names
    if pending:
        sql += " AND acknowledged_at IS NULL"
    return keyset_page(reader.rows, sql, params, OLDEST_FIRST, first, after, OutboxRow.from_row)


def unacknowledged(reader: Reader, names: Sequence[str] | None = None) -> list[OutboxRow]:
    """Every message (of the names given; None: of any name) that no agency has
    acknowledged yet, oldest first."""
    arguments: tuple[str, ...] = ()
    if names is None:
        query = "SELECT * FROM rm_outbox WHERE acknowledged_at IS NULL"
    else:
        marks = ", ".join("?" for _ in names)
        query, arguments = f"SELECT * FROM rm_outbox WHERE acknowledged_at IS NULL AND name IN ({marks})", tuple(names)
    return [OutboxRow.from_row(r) for r in reader.rows(f"{query} ORDER BY sent_at, case_number, message", arguments)]


def acknowledged_with(reader: Reader, reference: str) -> list[str]:
    """The cases whose requests an agency acknowledged under ``reference`` (one, unless two agencies reused it)."""
    return [
        str(r["case_number"])
        for r in reader.rows(
            "SELECT DISTINCT case_number FROM rm_outbox WHERE reference = ? ORDER BY case_number", (reference,)
        )
    ]
