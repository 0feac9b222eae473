"""Notifications the SMS and e-mail connectors wrote, for the gateways that send them.

The recipient is personal data: it is unsealed only for the gateway (an integrator), and
each case whose recipient is shown gets the read recorded in its access log first.
"""

from __future__ import annotations

import json
from typing import Any

import strawberry

from api.context import Context
from api.graphql.relay import PageInfo, keyset_page, row_cursor
from engine.case import case_id_for

COLUMNS = ["created_at", "key"]


@strawberry.type(description="An SMS or e-mail to send to an applicant.")
class Notification:
    key: str = strawberry.field(description="Pass it to markNotificationSent once sent.")
    case_number: str
    channel: str = strawberry.field(description="sms or email")
    recipient: str | None = strawberry.field(description="The phone number or address; null once the case's "
                                                         "personal data has been shredded.")
    text: str
    created_at: str
    sent_at: str | None


@strawberry.type
class NotificationEdge:
    node: Notification
    cursor: str


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo


def notifications_page(info: strawberry.Info[Context, None], channel: str | None, pending: bool, first: int,
                       after: str | None) -> NotificationConnection:
    info.context.who.require("integrator")
    services = info.context.services
    sql, params = "SELECT * FROM okno_notifications WHERE 1 = 1", []
    if channel:
        sql += " AND channel = ?"
        params.append(channel)
    if pending:
        sql += " AND sent_at IS NULL"
    rows, more = keyset_page(services.reader.rows, sql, params, COLUMNS, first, after)
    for number in sorted({r["case_number"] for r in rows}):
        services.engine.record_personal_data_read(number, actor=info.context.actor(), role="integrator",
                                                  purpose="notification delivery", at=services.clock())
    edges = [NotificationEdge(node=_notification(info, r), cursor=row_cursor(r, COLUMNS)) for r in rows]
    return NotificationConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                                  end_cursor=edges[-1].cursor if edges else None))


def _notification(info: strawberry.Info[Context, None], row: dict[str, Any]) -> Notification:
    fields = info.context.services.engine.vault.unseal(case_id_for(row["case_number"]), json.loads(row["recipient"]))
    recipient = next(iter(fields.values()), None) if fields else None
    return Notification(key=row["key"], case_number=row["case_number"], channel=row["channel"], recipient=recipient,
                        text=row["text"], created_at=row["created_at"], sent_at=row["sent_at"])
