"""The hash chain of a case's history: each event carries a SHA-256 over its own content
and the previous event's hash, so an edited, deleted or reordered event in the database
breaks the chain at that version."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from engine.bpmn.runtime import canonical
from engine.signing import KeyRing, event_message

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
    key: str | None = None,
) -> str:
    """The hash an event carries. ``key`` (the signing key's id) is covered only when
    the event names one, so events recorded before signing keep their hashes."""
    signed = {"key": key} if key is not None else {}
    content = canonical(
        {
            **signed,
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
        key=event.key,
    )


def signature_problem(event: Any, keys: KeyRing) -> str | None:
    """Why an event's signature does not hold for ``keys``, or None when it does. An
    unsigned event (recorded before signing began) is not judged here: the caller knows
    whether one may stand where it stands."""
    if (event.signature is None) != (event.key is None):
        return "it carries a key id without a signature, or a signature without a key id (stripped)"
    if event.signature is None or event.key is None:
        return None
    if not keys.knows(event.key):
        return f"it is signed by key {event.key}, which is not among the trusted public keys"
    if not keys.verifies(event.key, event_message(event.key, event.chain), event.signature):
        return f"its signature does not verify with key {event.key} (edited, or signed by someone else)"
    return None


def broken_links(events: list[Any]) -> list[int]:
    """Versions at which the stored chain does not match the events' content and order."""
    broken: list[int] = []
    previous = GENESIS
    for expected, event in enumerate(events, start=1):
        if event.originator_version != expected or chain_of(event, previous) != event.chain:
            broken.append(event.originator_version)
        previous = event.chain
    return broken
