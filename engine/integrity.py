"""The hash chain of a case's history: each event carries a SHA-256 over its own content
and the previous event's hash, so an edited, deleted or reordered event in the database
breaks the chain at that version."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from engine.bpmn.runtime import canonical

GENESIS = ""


def link(
    previous: str,
    *,
    version: int,
    kind: str,
    timestamp: datetime,
    actor: str,
    input: dict[str, Any],
    effects: dict[str, Any],
    idempotency_key: str | None,
    opened: dict[str, Any] | None = None,
) -> str:
    content = canonical(
        {
            "previous": previous,
            "version": version,
            "kind": kind,
            "timestamp": timestamp.isoformat(),
            "actor": actor,
            "input": input,
            "effects": effects,
            "idempotency_key": idempotency_key,
            "opened": opened or {},
        }
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def opened_fields(event: Any) -> dict[str, Any]:
    """What only the first event of a case says: where and for what it was opened."""
    return {
        "number": event.number,
        "service": event.service,
        "office": event.office,
        "channel": event.channel,
        "process_version": event.process_version,
        "applicant": event.applicant,
    }


def chain_of(event: Any, previous: str) -> str:
    """The hash an event must carry, recomputed from what it says. A case's created event
    (Case.Opened, the only one) also covers where and for what the case was opened."""
    return link(
        previous,
        version=event.originator_version,
        kind=type(event).__name__,
        timestamp=event.timestamp,
        actor=event.actor,
        input=event.input,
        effects=event.effects,
        idempotency_key=event.idempotency_key,
        opened=opened_fields(event) if isinstance(event, Aggregate.Created) else None,
    )


def broken_links(events: list[Any]) -> list[int]:
    """Versions at which the stored chain does not match the events' content and order."""
    broken: list[int] = []
    previous = GENESIS
    for expected, event in enumerate(events, start=1):
        if event.originator_version != expected or chain_of(event, previous) != event.chain:
            broken.append(event.originator_version)
        previous = event.chain
    return broken
