"""The Directory aggregate: reference data a case is opened against — deployed process
versions, the service catalog and the offices. It changes rarely, so one aggregate holds
it and every change to it is an event like any other."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

DIRECTORY_ID = UUID("6f6b6e6f-0000-4000-8000-0000d1ec7091")


class Directory(Aggregate):
    versions: dict[str, list[str]]  # process id -> versions, oldest first
    services: dict[str, dict[str, Any]]  # service code -> Service.to_dict()
    offices: dict[str, dict[str, Any]]  # office code -> Office.to_dict()

    def __init__(self) -> None:
        """State is set by the created event's apply(); declared above for readers and mypy."""

    class Created(Aggregate.Created):
        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.versions = {}
            aggregate.services = {}
            aggregate.offices = {}

    class ProcessDeployed(Aggregate.Event):
        process_id: str
        version: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.versions.setdefault(self.process_id, []).append(self.version)

    class CatalogPublished(Aggregate.Event):
        services: list[dict[str, Any]]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.services = {s["code"]: s for s in self.services}

    class OfficesRegistered(Aggregate.Event):
        offices: list[dict[str, Any]]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.offices.update({o["code"]: o for o in self.offices})

    @classmethod
    def create(cls, at: datetime) -> Directory:
        return cls._create(cls.Created, id=DIRECTORY_ID, timestamp=at)

    def current_version(self, process_id: str) -> str | None:
        versions = self.versions.get(process_id)
        return versions[-1] if versions else None

    def deploy(self, process_id: str, version: str, at: datetime) -> bool:
        if self.current_version(process_id) == version:
            return False
        self.trigger_event(self.ProcessDeployed, timestamp=at, process_id=process_id, version=version)
        return True

    def publish(self, services: list[dict[str, Any]], at: datetime) -> bool:
        if {s["code"]: s for s in services} == self.services:
            return False
        self.trigger_event(self.CatalogPublished, timestamp=at, services=services)
        return True

    def register(self, offices: list[dict[str, Any]], at: datetime) -> bool:
        changed = [o for o in offices if self.offices.get(o["code"]) != o]
        if not changed:
            return False
        self.trigger_event(self.OfficesRegistered, timestamp=at, offices=changed)
        return True


class ProcessSource(Aggregate):
    """The content of one process version, stored once; its id is derived from the hash."""

    bundle: dict[str, Any]

    def __init__(self) -> None:
        """State is set by Stored.apply()."""

    class Stored(Aggregate.Created):
        bundle: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ProcessSource)
            aggregate.bundle = self.bundle
