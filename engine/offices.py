"""Offices of the network: centres (МФЦ) and their remote offices (ТОСП)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    kind: str            # "centre" or "remote"
    district: str
    windows: int
    timezone: str = "Europe/Moscow"
    parent: str | None = None  # the centre a remote office belongs to

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Office:
        return cls(**data)
