"""The SMS and e-mail connectors: notifications written to an outbox table that the
operator's SMS or mail gateway reads and sends.

The recipient is personal data: the connector reads it through the engine (the read is
recorded in the case's access log) and stores it sealed under the case's own key, so
shredding the case's key makes the notification's recipient unreadable too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from engine.connectors import Connector, ConnectorCall, ConnectorError
from engine.input_checks import KEY, checked
from engine.notification_templates import TemplateError, render
from engine.side_table import SideTable

Contact = Callable[[str], Mapping[str, str] | None]  # case number -> the applicant's fields
Seal = Callable[[str, dict[str, str]], dict[str, str]]  # case number, fields -> sealed fields

FIELD = {"sms": "phone", "email": "email"}


class NotificationOutbox(SideTable):
    """The table of notifications to send, on the event store's own database."""

    def __init__(self, datastore: Any, dialect: str) -> None:
        super().__init__(datastore, dialect, "okno_notifications")

    def create(self) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (key TEXT PRIMARY KEY, "
                "case_number TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL, "
                "text TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT)"
            )

    def put(self, key: str, case_number: str, channel: str, recipient: dict[str, str], text: str, at: datetime) -> None:
        m = self._marker
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (key, case_number, channel, recipient, text, created_at) "
                f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}) ON CONFLICT (key) DO NOTHING",
                (key, case_number, channel, json.dumps(recipient), text, at.astimezone(UTC).isoformat()),
            )

    @checked(key=KEY)
    def mark_sent(self, key: str, at: datetime) -> str | None:
        """The gateway sent it: when it was first marked sent, or None when no notification
        has this key (marking twice keeps the first time)."""
        m = self._marker
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"UPDATE {self._table} SET sent_at = {m} WHERE key = {m} AND sent_at IS NULL",
                (at.astimezone(UTC).isoformat(), key),
            )
            cursor.execute(f"SELECT sent_at FROM {self._table} WHERE key = {m}", (key,))
            row = cursor.fetchone()
        return None if row is None else str(_values(row)[0])

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT key, case_number, channel, text, created_at FROM {self._table} "
                f"WHERE sent_at IS NULL ORDER BY created_at, key LIMIT {int(limit)}"
            )
            return [
                dict(zip(("key", "case_number", "channel", "text", "created_at"), _values(row), strict=True))
                for row in cursor.fetchall()
            ]

    def count(self) -> dict[str, int]:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT channel, COUNT(*) FROM {self._table} GROUP BY channel")
            return {str(v[0]): int(v[1]) for v in (_values(row) for row in cursor.fetchall())}


def _values(row: Any) -> list[Any]:
    return list(row.values()) if isinstance(row, dict) else list(row)


def notifier(
    channel: str, outbox: NotificationOutbox, contact: Contact, seal: Seal, clock: Callable[[], datetime]
) -> Connector:
    """The connector for one channel ("sms" or "email")."""
    field = FIELD[channel]

    def send(call: ConnectorCall) -> Mapping[str, Any]:
        template = str(call.input.get("template"))
        applicant = contact(call.case_number) or {}
        address = applicant.get(field)
        if not address:
            # Nothing to send to is an answer, not a failure: the process goes on.
            return {f"{channel}_sent": False}
        try:
            text = render(template, call.case_number, call.input)
        except TemplateError as error:
            raise ConnectorError(str(error)) from None
        # One notification per job, whatever the attempt: a retry after a lost answer sends nothing twice.
        outbox.put(
            f"{call.case_number}/{call.task}",
            call.case_number,
            channel,
            seal(call.case_number, {field: address}),
            text,
            clock(),
        )
        return {f"{channel}_sent": True}

    return send
