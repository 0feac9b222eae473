"""What cases sent to agencies, for the agency gateways that carry it."""

from __future__ import annotations

import json
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from api.graphql.relay import PageInfo


@strawberry.type(description="A message a case sent: an interagency request or a notification.")
class OutboxMessage:
    case_number: str
    message: int = strawberry.field(description="Its number within the case: 1, 2, …")
    office: str
    name: str = strawberry.field(description="The BPMN message name, e.g. rosreestr_package.")
    payload: JSON
    sent_at: str
    acknowledged_at: str | None
    reference: str | None = strawberry.field(description="The agency's reference, once acknowledged.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> OutboxMessage:
        return cls(case_number=row["case_number"], message=row["message"], office=row["office"], name=row["name"],
                   payload=cast(JSON, json.loads(row["payload"])), sent_at=row["sent_at"],
                   acknowledged_at=row["acknowledged_at"], reference=row["reference"])


@strawberry.type
class OutboxEdge:
    node: OutboxMessage
    cursor: str


@strawberry.type
class OutboxConnection:
    edges: list[OutboxEdge]
    page_info: PageInfo
