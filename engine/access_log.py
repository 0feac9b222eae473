"""Every read of an applicant's personal data is itself recorded, for auditors.

The log is an aggregate of its own per case, so recording a read never conflicts with
the case's own commands. Like a case's history, the log is hash-chained: each record
carries a SHA-256 over what it says and the previous record's hash, so an edited,
deleted or reordered record breaks the chain and `okno audit verify` names it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from engine.bpmn.runtime import canonical

GENESIS = ""


def access_log_id(case_id: UUID) -> UUID:
    return uuid5(case_id, "personal-data-access")


def access_link(previous: str, *, version: int, kind: str, timestamp: datetime, said: dict[str, Any]) -> str:
    """The hash a record must carry: over the previous record's hash and everything this
    one says. Kept apart from the case chain (engine.integrity) so a signature can be laid
    over either the same way."""
    content = canonical(
        {"previous": previous, "version": version, "kind": kind, "timestamp": timestamp.isoformat(), "said": said}
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class PersonalDataAccess(Aggregate):
    number: str
    reads: int
    chain: str  # the chain's head: the last record's hash

    def __init__(self) -> None:
        """State is set by the events' apply()."""

    class Started(Aggregate.Created):
        number: str
        chain: str  # absent on logs started before the chain (replayed as unchained)

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, PersonalDataAccess)
            aggregate.number = self.number
            aggregate.reads = 0
            aggregate.chain = getattr(self, "chain", GENESIS)

    class Read(Aggregate.Event):
        actor: str
        role: str
        purpose: str
        chain: str  # absent on records written before the chain

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, PersonalDataAccess)
            aggregate.reads += 1
            aggregate.chain = getattr(self, "chain", GENESIS)

    @classmethod
    def start(cls, case_id: UUID, number: str, at: datetime) -> PersonalDataAccess:
        chain = access_link(GENESIS, version=1, kind="Started", timestamp=at, said={"number": number})
        return cls._create(cls.Started, id=access_log_id(case_id), timestamp=at, number=number, chain=chain)

    def record(self, actor: str, role: str, purpose: str, at: datetime) -> None:
        said = {"actor": actor, "role": role, "purpose": purpose}
        chain = access_link(self.chain, version=self.version + 1, kind="Read", timestamp=at, said=said)
        self.trigger_event(self.Read, timestamp=at, chain=chain, **said)


def said_by(record: Any) -> dict[str, Any]:
    """What a stored record says, as its hash covers it."""
    if isinstance(record, PersonalDataAccess.Started):
        return {"number": record.number}
    return {"actor": record.actor, "role": record.role, "purpose": record.purpose}


def broken_access_links(records: list[Any]) -> list[int]:
    """Versions at which the stored log does not match its chain: an edited record, a
    deleted one (the next version is missing or its hash names another predecessor), a
    reordered one. A log written wholly before the chain has no hashes to check."""
    if not records or not hasattr(records[0], "chain"):
        return []
    broken: list[int] = []
    previous = GENESIS
    for expected, record in enumerate(records, start=1):
        stored = getattr(record, "chain", None)
        recomputed = access_link(
            previous,
            version=record.originator_version,
            kind=type(record).__name__,
            timestamp=record.timestamp,
            said=said_by(record),
        )
        if record.originator_version != expected or stored != recomputed:
            broken.append(record.originator_version)
        previous = stored or ""
    return broken
