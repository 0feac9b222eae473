"""The catalog's services and the network's offices, as the cases read model holds them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from projections.reader import Reader


@dataclass
class ServiceRow:
    code: str
    title: str
    agency: str
    level: str
    term_days: int  # the regulated term, in working days
    documents: list[str]
    fee: int
    process: str
    retired: bool  # takes no new case; its open cases go on
    reception_minutes: int  # how long a window receives one visitor for it: the booking slot
    parameters: dict[str, Any]  # what tells it from the other services of its process
    sources: list[str]  # the published acts its term, fee, documents and flow come from

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ServiceRow:
        return cls(
            code=row["code"],
            title=row["title"],
            agency=row["agency"],
            level=row["level"],
            term_days=row["term_days"],
            documents=list(json.loads(row["documents"])),
            fee=row["fee"],
            process=row["process"],
            retired=bool(row["retired"]),
            reception_minutes=row["reception_minutes"],
            parameters=dict(json.loads(row["parameters"])),
            sources=list(json.loads(row["sources"])),
        )


@dataclass
class OfficeRow:
    code: str
    name: str
    kind: str
    district: str
    windows: int
    timezone: str
    parent: str | None
    terminals: int  # self-service information terminals in the office (the terminal channel)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OfficeRow:
        return cls(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            district=row["district"],
            windows=row["windows"],
            timezone=row["timezone"],
            parent=row["parent"],
            terminals=row["terminals"],
        )


def services(reader: Reader) -> list[ServiceRow]:
    """The services that take new cases: what openCase accepts (a retired one is left out)."""
    return [ServiceRow.from_row(r) for r in reader.rows("SELECT * FROM rm_services WHERE retired = 0 ORDER BY code")]


def service(reader: Reader, code: str) -> ServiceRow | None:
    """One service by its code, a retired one too (its cases still name it)."""
    found = reader.rows("SELECT * FROM rm_services WHERE code = ?", (code,))
    return ServiceRow.from_row(found[0]) if found else None


def offices(reader: Reader) -> list[OfficeRow]:
    return [OfficeRow.from_row(r) for r in reader.rows("SELECT * FROM rm_offices ORDER BY code")]


def office(reader: Reader, code: str) -> OfficeRow | None:
    found = reader.rows("SELECT * FROM rm_offices WHERE code = ?", (code,))
    return OfficeRow.from_row(found[0]) if found else None
