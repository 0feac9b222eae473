"""Notifications the SMS and e-mail connectors wrote, for the gateways that send them.

The recipient is personal data: it is unsealed only for the gateway (an integrator), and
each case whose recipient is shown gets the read recorded in its access log first.
"""

from __future__ import annotations

import strawberry

from api.context import Context
from api.graphql.enums import NotificationChannel
from api.graphql.relay import Connection, cursors, paged, resume_after
from engine.case import case_id_for
from projections.notifications import OLDEST_FIRST, NotificationRow, notifications


@strawberry.type(description="An SMS or e-mail to send to an applicant.")
class Notification:
    key: str = strawberry.field(description="Pass it to markNotificationSent once sent.")
    case_number: str
    channel: NotificationChannel
    recipient: str | None = strawberry.field(
        description="The phone number or address; null once the case's personal data has been shredded."
    )
    text: str
    created_at: str
    sent_at: str | None


@strawberry.type
class NotificationEdge:
    node: Notification
    cursor: str


@strawberry.type
class NotificationConnection(Connection):
    edges: list[NotificationEdge]


def notifications_page(
    info: strawberry.Info[Context, None],
    channel: NotificationChannel | None,
    pending: bool,
    first: int,
    after: str | None,
) -> NotificationConnection:
    info.context.who.require("integrator")
    services = info.context.services
    wanted = None if channel is None else str(channel.value)
    page = notifications(
        services.reader, wanted, pending, first=first, after=resume_after(after, OLDEST_FIRST, "notifications")
    )
    for number in sorted({row.case_number for row in page.rows}):
        services.engine.record_personal_data_read(
            number, actor=info.context.actor(), role="integrator", purpose="notification delivery", at=services.clock()
        )
    return NotificationConnection(
        edges=[
            NotificationEdge(node=_notification(info, row), cursor=at)
            for row, at in zip(page.rows, cursors(page, "notifications"), strict=True)
        ],
        **paged(page, "notifications"),
    )


def _notification(info: strawberry.Info[Context, None], row: NotificationRow) -> Notification:
    """The row with its recipient unsealed: what the gateway sends to."""
    fields = info.context.services.engine.vault.unseal(case_id_for(row.case_number), row.sealed_recipient)
    recipient = next(iter(fields.values()), None) if fields else None
    return Notification(
        key=row.key,
        case_number=row.case_number,
        channel=NotificationChannel(row.channel),
        recipient=recipient,
        text=row.text,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
