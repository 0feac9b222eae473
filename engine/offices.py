"""Offices of the network: centres (МФЦ) and their remote offices (ТОСП), with their
opening hours and the windows that receive visitors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.opening_hours import WEEKDAYS, hours_problems

# What a region's centres usually keep: weekdays 08:00–20:00 without a break, Saturday
# 09:00–15:00; remote offices in villages work weekdays with a lunch break.
CENTRE_HOURS: dict[str, tuple[str, ...]] = {
    **{day: ("08:00-20:00",) for day in WEEKDAYS[:5]},
    "sat": ("09:00-15:00",),
}
REMOTE_HOURS: dict[str, tuple[str, ...]] = {day: ("08:00-12:00", "13:00-17:00") for day in WEEKDAYS[:5]}


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    kind: str  # "centre" or "remote"
    district: str
    windows: int  # windows numbered 1..windows
    timezone: str = "Europe/Moscow"
    parent: str | None = None  # the centre a remote office belongs to
    # Weekday ("mon".."sun") -> open intervals "HH:MM-HH:MM" in the office's time zone;
    # a break is the gap between two intervals, a day off a missing weekday. Public
    # holidays of the production calendar are days off everywhere.
    hours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Window number (as text) -> the service codes or agencies it alone serves; a window
    # not listed serves every service.
    window_services: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # How many windows (the last ones by number) take booked visitors; None: a third.
    booking_windows: int | None = None

    def __post_init__(self) -> None:
        if not self.hours:
            object.__setattr__(self, "hours", dict(CENTRE_HOURS if self.kind == "centre" else REMOTE_HOURS))

    @property
    def bookable_windows(self) -> tuple[int, ...]:
        count = self.booking_windows if self.booking_windows is not None else max(1, self.windows // 3)
        count = min(count, self.windows)
        return tuple(range(self.windows - count + 1, self.windows + 1))

    def serves(self, window: int, service: str, agency: str) -> bool:
        only = self.window_services.get(str(window))
        return not only or service in only or agency in only

    def problems(self) -> list[str]:
        """What is wrong with this office's reception set-up (empty when nothing is)."""
        found = [f"{self.code}: {p}" for p in hours_problems(self.hours, self.timezone)]
        if self.windows < 1:
            found.append(f"{self.code}: an office needs at least one window")
        found += [
            f"{self.code}: window_services names window {w}, but windows are 1 to {self.windows}"
            for w in self.window_services
            if not (w.isdigit() and 1 <= int(w) <= self.windows)
        ]
        if self.booking_windows is not None and not 0 <= self.booking_windows <= self.windows:
            found.append(f"{self.code}: booking_windows must be between 0 and {self.windows}")
        return found

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hours"] = {day: list(spans) for day, spans in self.hours.items()}
        data["window_services"] = {window: list(codes) for window, codes in self.window_services.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Office:
        """Also reads offices registered before hours and windows were recorded (their
        events lack those keys: the defaults stand in, as they did then)."""
        return cls(
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            district=data["district"],
            windows=int(data["windows"]),
            timezone=data.get("timezone", "Europe/Moscow"),
            parent=data.get("parent"),
            hours={day: tuple(spans) for day, spans in (data.get("hours") or {}).items()},
            window_services={str(w): tuple(codes) for w, codes in (data.get("window_services") or {}).items()},
            booking_windows=data.get("booking_windows"),
        )
