"""The Directory aggregate: reference data a case is opened against — deployed process
versions, the service catalog and the offices. It changes rarely, so one aggregate holds
it and every change to it is an event like any other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

DIRECTORY_ID = UUID("6f6b6e6f-0000-4000-8000-0000d1ec7091")


@dataclass
class CatalogChanges:
    """What publishing a catalog did, by service code."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    still_retired: list[str] = field(default_factory=list)  # named by the catalog, retired: left so
    not_mentioned: list[str] = field(default_factory=list)  # published, not in the catalog: kept

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


class Directory(Aggregate):
    """Services are added and updated by deploys and leave only when retired, explicitly:
    a deploy of a catalog that does not mention a service keeps it (analysts deploy their
    own catalogs into one store). A retired service keeps its entry (its open cases go on
    and show its title) but takes no new case."""

    versions: dict[str, list[str]]  # process id -> versions, oldest first
    services: dict[str, dict[str, Any]]  # service code -> Service.to_dict(), retired ones too
    retired: list[str]  # codes of the services that take no new case, in the order retired
    offices: dict[str, dict[str, Any]]  # office code -> Office.to_dict()

    def __init__(self) -> None:
        """State is set by the created event's apply(); declared above for readers and mypy."""

    class Created(Aggregate.Created):
        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.versions = {}
            aggregate.services = {}
            aggregate.retired = []
            aggregate.offices = {}

    class ProcessDeployed(Aggregate.Event):
        process_id: str
        version: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.versions.setdefault(self.process_id, []).append(self.version)

    class CatalogPublished(Aggregate.Event):
        """Recorded before issue 19: the whole catalog, replacing the one before, so a
        service it left out stopped taking cases. Old histories replay it as it was
        recorded; deploys now record ServicesPublished and ServicesRetired."""

        services: list[dict[str, Any]]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            published = {s["code"]: s for s in self.services}
            # The dropped ones stay known as retired: their cases still name them.
            dropped = [code for code in aggregate.services if code not in published]
            aggregate.services = {**aggregate.services, **published}
            aggregate.retired = [c for c in aggregate.retired if c not in published]
            aggregate.retired += [c for c in dropped if c not in aggregate.retired]

    class ServicesPublished(Aggregate.Event):
        """Services added or changed by a deploy; every other service stays as it was."""

        services: list[dict[str, Any]]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.services.update({s["code"]: s for s in self.services})

    class ServicesRetired(Aggregate.Event):
        """These services take no new case from now on; their open cases go on."""

        codes: list[str]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.retired += [c for c in self.codes if c not in aggregate.retired]

    class ServicesRestored(Aggregate.Event):
        """Retired services that take new cases again."""

        codes: list[str]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Directory)
            aggregate.retired = [c for c in aggregate.retired if c not in self.codes]

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

    def takes_cases(self, code: str) -> bool:
        return code in self.services and code not in self.retired

    def open_services(self) -> dict[str, dict[str, Any]]:
        """The services that take new cases, by code."""
        return {code: s for code, s in self.services.items() if code not in self.retired}

    def publish(self, services: list[dict[str, Any]], at: datetime) -> CatalogChanges:
        """Add the new services and update the changed ones. A retired service the
        catalog names stays retired (retiring was explicit, so is restoring), and a
        service the catalog does not mention stays published."""
        changes = CatalogChanges()
        publish: list[dict[str, Any]] = []
        named = {s["code"] for s in services}
        for service in services:
            code = service["code"]
            if code in self.retired:
                changes.still_retired.append(code)
            elif code not in self.services:
                changes.added.append(code)
                publish.append(service)
            elif self.services[code] != service:
                changes.updated.append(code)
                publish.append(service)
            else:
                changes.unchanged.append(code)
        changes.not_mentioned = sorted(c for c in self.services if c not in named and c not in self.retired)
        if publish:
            self.trigger_event(self.ServicesPublished, timestamp=at, services=publish)
        return changes

    def retire(self, codes: list[str], at: datetime) -> list[str]:
        """Retire the services not retired yet; the codes retired now."""
        fresh = [c for c in dict.fromkeys(codes) if c not in self.retired]
        if fresh:
            self.trigger_event(self.ServicesRetired, timestamp=at, codes=fresh)
        return fresh

    def restore(self, codes: list[str], at: datetime) -> list[str]:
        """Let retired services take new cases again; the codes restored now."""
        retired = [c for c in dict.fromkeys(codes) if c in self.retired]
        if retired:
            self.trigger_event(self.ServicesRestored, timestamp=at, codes=retired)
        return retired

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
