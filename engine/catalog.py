"""The service catalog: every service a centre offers and the process that runs it."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.errors import FieldProblem, OknoError

LEVELS = frozenset({"federal", "regional", "municipal", "other"})

# A service parameter is one scalar: services that share a flow differ by these (a ЗАГС
# certificate's kind, a permit's object), read by the flow as ``service_parameters``.
Parameter = str | int | float | bool


class CatalogInvalid(OknoError):
    code = "validation"

    def __init__(self, file: str, problems: list[str]) -> None:
        found = [FieldProblem(file, p) for p in problems]  # printed "file: problem", as before
        super().__init__("\n".join(map(str, found)), problems=found)


@dataclass(frozen=True)
class Service:
    code: str
    title: str
    agency: str
    level: str
    term_days: int
    documents: tuple[str, ...]
    fee: int
    process: str
    popularity: int = 1
    reception_minutes: int = 15  # how long a window receives one visitor for it (the booking slot)
    # What distinguishes it from the other services of its process, as its flow reads it.
    parameters: dict[str, Parameter] = field(default_factory=dict, hash=False)
    # The published acts its term, fee, documents and flow come from.
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["documents"] = list(self.documents)
        data["sources"] = list(self.sources)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Service:
        # A catalog published before parameters and sources existed reads with neither.
        return cls(
            **{
                **data,
                "documents": tuple(data["documents"]),
                "parameters": dict(data.get("parameters", {})),
                "sources": tuple(data.get("sources", ())),
            }
        )


def parse_catalog(text: str, file: str = "catalog.toml") -> list[Service]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogInvalid(file, [f"not valid TOML: {error}"]) from None
    entries = document.get("service")
    if not isinstance(entries, list) or not entries:
        raise CatalogInvalid(file, ["no [[service]] entries"])
    services: list[Service] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        where = f"service #{index} ({entry.get('code', '?')})"
        try:
            service = Service(
                code=_text(entry, "code"),
                title=_text(entry, "title"),
                agency=_text(entry, "agency"),
                level=_text(entry, "level"),
                term_days=_number(entry, "term_days"),
                documents=tuple(_texts(entry, "documents")),
                fee=_number(entry, "fee"),
                process=_text(entry, "process"),
                popularity=_number(entry, "popularity", default=1),
                reception_minutes=_number(entry, "reception_minutes", default=15),
                parameters=_parameters(entry),
                sources=tuple(_texts(entry, "sources", default=[])),
            )
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if service.level not in LEVELS:
            problems.append(f"{where}: level must be one of {', '.join(sorted(LEVELS))}")
        if service.term_days <= 0:
            problems.append(f"{where}: term_days must be positive")
        if not 5 <= service.reception_minutes <= 120:
            problems.append(f"{where}: reception_minutes must be between 5 and 120")
        if service.code in seen:
            problems.append(f"{where}: code is used twice")
        seen.add(service.code)
        services.append(service)
    if problems:
        raise CatalogInvalid(file, problems)
    return services


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty text")
    return value


def _number(entry: dict[str, Any], key: str, default: int | None = None) -> int:
    value = entry.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a whole number ≥ 0")
    return value


def _texts(entry: dict[str, Any], key: str, default: list[str] | None = None) -> list[str]:
    value = entry.get(key, default)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{key} must be a list of non-empty texts")
    return value


def _parameters(entry: dict[str, Any]) -> dict[str, Parameter]:
    """The optional ``parameters`` table: names to scalars (a flow's expressions compare
    them; a nested table or a list would be a second catalog inside the first)."""
    value = entry.get("parameters", {})
    if not isinstance(value, dict):
        raise ValueError('parameters must be a table of names and values, e.g. { certificate_kind = "birth" }')
    for name, item in value.items():
        if not name.isidentifier():
            raise ValueError(f"parameters: {name!r} is not a plain name (letters, digits, _)")
        if not isinstance(item, (str, int, float, bool)):
            raise ValueError(f"parameters.{name} must be a text, number or true/false, not a table or list")
    return dict(value)
