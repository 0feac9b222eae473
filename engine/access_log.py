"""Every read of an applicant's personal data is itself recorded, for auditors.

The log is an aggregate of its own per case, so recording a read never conflicts with
the case's own commands."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate


def access_log_id(case_id: UUID) -> UUID:
    return uuid5(case_id, "personal-data-access")


class PersonalDataAccess(Aggregate):
    number: str
    reads: int

    def __init__(self) -> None:
        """State is set by the events' apply()."""

    class Started(Aggregate.Created):
        number: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, PersonalDataAccess)
            aggregate.number = self.number
            aggregate.reads = 0

    class Read(Aggregate.Event):
        actor: str
        role: str
        purpose: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, PersonalDataAccess)
            aggregate.reads += 1

    @classmethod
    def start(cls, case_id: UUID, number: str, at: datetime) -> PersonalDataAccess:
        return cls._create(cls.Started, id=access_log_id(case_id), timestamp=at, number=number)

    def record(self, actor: str, role: str, purpose: str, at: datetime) -> None:
        self.trigger_event(self.Read, timestamp=at, actor=actor, role=role, purpose=purpose)
