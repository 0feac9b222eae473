"""Notifications the SMS and e-mail connectors wrote (the store's side table
okno_notifications, engine.connectors.notifications), as the gateways page through them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.paging import Keyset, Page, keyset_page
from projections.reader import Reader


@dataclass(frozen=True)
class NotificationRow:
    key: str
    case_number: str
    channel: str  # sms or email
    sealed_recipient: dict[str, str]  # sealed under the case's key: only the vault opens it
    text: str
    created_at: str
    sent_at: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> NotificationRow:
        return cls(
            key=row["key"],
            case_number=row["case_number"],
            channel=row["channel"],
            sealed_recipient=json.loads(row["recipient"]),
            text=row["text"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
        )


OLDEST_FIRST = Keyset(("created_at", "key"), (str, str))


def notifications(
    reader: Reader,
    channel: str | None = None,
    pending: bool = True,
    *,
    first: int = 20,
    after: Sequence[Any] | None = None,
) -> Page[NotificationRow]:
    """Notifications oldest first, of one channel if named, and only those not yet sent if ``pending``."""
    sql, params = "SELECT * FROM okno_notifications WHERE 1 = 1", list[Any]()
    if channel:
        sql += " AND channel = ?"
        params.append(channel)
    if pending:
        sql += " AND sent_at IS NULL"
    return keyset_page(reader.rows, sql, params, OLDEST_FIRST, first, after, NotificationRow.from_row)
