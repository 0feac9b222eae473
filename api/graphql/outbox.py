"""What cases sent to agencies, for the agency gateways that carry it."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.graphql.relay import Connection
from api.graphql.views import from_view
from projections.outbox import OutboxRow


@strawberry.type(description="A message a case sent: an interagency request or a notification.")
class OutboxMessage(OutboxRow):
    message: int = strawberry.field(description="Its number within the case: 1, 2, …")
    name: str = strawberry.field(description="The BPMN message name, e.g. rosreestr_package.")
    payload: JSON  # type: ignore[assignment]  # the row's JSON object, shown as GraphQL's JSON scalar
    reference: str | None = strawberry.field(description="The agency's reference, once acknowledged.")

    @classmethod
    def of(cls, row: OutboxRow) -> OutboxMessage:
        return from_view(cls, row)


@strawberry.type
class OutboxEdge:
    node: OutboxMessage
    cursor: str


@strawberry.type
class OutboxConnection(Connection):
    edges: list[OutboxEdge]
