"""Signals over GraphQL: a broadcast reaches every case that waits for the signal.

The signals read model names the waiting cases; the engine records the signal once in
each (engine.application.Engine.broadcast_signal), under a key derived from the caller's,
so a client may retry a broadcast that timed out."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from api.context import Context
from api.graphql.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError, attempt
from engine.errors import InvalidInput
from projections.signals import cases_waiting_for


@strawberry.input(description="A BPMN signal, by name, for every case waiting for it.")
class BroadcastSignalInput:
    name: str = strawberry.field(description="The BPMN signal name, e.g. tariffs_changed.")
    payload: JSON | None = strawberry.field(default=None, description="A JSON object merged into each case's data.")
    idempotency_key: str = strawberry.field(
        description="Required: a retried broadcast with the same key records nothing twice (at most 160 characters)."
    )


@strawberry.type
class BroadcastSignalPayload:
    reached: list[str] = strawberry.field(description="The cases that took the signal, by number.")
    passed_over: list[str] = strawberry.field(
        description="Cases the read model listed that no longer waited for it (moved on or closed)."
    )


BroadcastSignalResult = Annotated[
    BroadcastSignalPayload | ValidationError | NotFoundError | NotAllowedError | ConflictError,
    strawberry.union("BroadcastSignalResult"),
]


@strawberry.type
class SignalMutation:
    @strawberry.mutation(description="Integrators: broadcast a BPMN signal to every case waiting for it.")
    def broadcast_signal(
        self, info: strawberry.Info[Context, None], input: BroadcastSignalInput
    ) -> BroadcastSignalResult:
        def run() -> BroadcastSignalPayload:
            info.context.who.require("integrator")
            if input.payload is not None and not isinstance(input.payload, dict):
                raise InvalidInput("payload must be a JSON object")
            services = info.context.services
            services.refresh()  # the read model as of now: cases that began to wait just before count
            sent = services.engine.broadcast_signal(
                input.name,
                cast(dict[str, Any], input.payload or {}),
                cases_waiting_for(services.reader, input.name),
                actor=info.context.actor(),
                at=services.clock(),
                idempotency_key=input.idempotency_key,
            )
            return BroadcastSignalPayload(reached=sent.reached, passed_over=sent.passed_over)

        return attempt(run)
