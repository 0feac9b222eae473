"""Message contracts as the API publishes them: what a service's process receives and
sends, with each payload's JSON Schema, so an agency gateway learns the payload from the
API alone (engine.bpmn.message_contracts)."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from engine.bpmn.message_contracts import RECEIVES
from engine.bpmn.message_contracts import MessageContract as Contract


@strawberry.enum(description="Whether the process waits for the message (RECEIVES) or sends it (SENDS).")
class MessageDirection(Enum):
    RECEIVES = "receives"
    SENDS = "sends"


@strawberry.type(
    description="A message a process receives from an agency (delivered by deliverMessage, checked against "
    "payloadSchema) or sends to one (what its outbox row carries)."
)
class MessageContract:
    name: str
    direction: MessageDirection
    payload_schema: JSON = strawberry.field(
        description='JSON Schema of the payload; {"type": "object"} when the model declares none.'
    )
    description: str | None

    @classmethod
    def of(cls, contract: Contract) -> MessageContract:
        return cls(
            name=contract.name,
            direction=MessageDirection.RECEIVES if contract.direction == RECEIVES else MessageDirection.SENDS,
            payload_schema=cast(JSON, dict(contract.schema)),
            description=contract.description,
        )
