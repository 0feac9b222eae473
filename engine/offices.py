"""Offices of the network: centres (МФЦ), their remote offices (ТОСП) and information
terminal points, with their opening hours, the windows that receive visitors and the
self-service terminals where citizens book a visit, take a ticket or track a case."""

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

# A centre receives visitors at its windows; a remote office (ТОСП) too, in a village, for
# the centre it belongs to; a terminal point is a village's information terminal alone (in
# the administration or the post office): no windows, citizens book a visit to their
# centre's windows there and track their cases.
KINDS = ("centre", "remote", "terminal")


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    kind: str  # one of KINDS
    district: str
    windows: int  # windows numbered 1..windows; a terminal point has none

    timezone: str = "Europe/Moscow"
    parent: str | None = None  # the centre a remote office or a terminal point belongs to
    # Weekday ("mon".."sun") -> open intervals "HH:MM-HH:MM" in the office's time zone;
    # a break is the gap between two intervals, a day off a missing weekday. Public
    # holidays of the production calendar are days off everywhere.
    hours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Window number (as text) -> the service codes or agencies it alone serves; a window
    # not listed serves every service.
    window_services: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # How many windows (the last ones by number) take booked visitors; None: a third.
    booking_windows: int | None = None
    # Self-service information terminals in the office (the `terminal` channel).
    terminals: int = 0

    def __post_init__(self) -> None:
        if not self.hours:
            object.__setattr__(self, "hours", dict(CENTRE_HOURS if self.kind == "centre" else REMOTE_HOURS))

    @property
    def bookable_windows(self) -> tuple[int, ...]:
        count = self.booking_windows if self.booking_windows is not None else max(1, self.windows // 3)
        count = min(count, self.windows)
        return tuple(range(self.windows - count + 1, self.windows + 1))

    @property
    def receives_visitors(self) -> bool:
        return self.windows > 0

    def serves(self, window: int, service: str, agency: str) -> bool:
        only = self.window_services.get(str(window))
        return not only or service in only or agency in only

    def problems(self) -> list[str]:
        """What is wrong with this office's reception set-up (empty when nothing is)."""
        found = [f"{self.code}: {p}" for p in hours_problems(self.hours, self.timezone)]
        if self.kind not in KINDS:
            found.append(f"{self.code}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind == "terminal":
            if self.windows != 0:
                found.append(f"{self.code}: a terminal point has no windows")
            if self.terminals < 1:
                found.append(f"{self.code}: a terminal point needs at least one terminal")
        elif self.windows < 1:
            found.append(f"{self.code}: an office needs at least one window")
        if self.terminals < 0:
            found.append(f"{self.code}: terminals cannot be negative")
        if self.kind == "centre" and self.parent is not None:
            found.append(f"{self.code}: a centre belongs to no other office")
        if self.kind in ("remote", "terminal") and not self.parent:
            found.append(f"{self.code}: a {self.kind} office names the centre it belongs to (parent)")
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
            terminals=int(data.get("terminals", 0)),
        )


def network_problems(offices: list[Office]) -> list[str]:
    """What is wrong with a network as a whole (empty when nothing is): each office once,
    and every remote office and terminal point attached to a centre of its own district,
    whose staff answer for it."""
    found = [p for office in offices for p in office.problems()]
    by_code: dict[str, Office] = {}
    for office in offices:
        if office.code in by_code:
            found.append(f"{office.code}: listed twice")
        by_code[office.code] = office
    for office in offices:
        if office.parent is None:
            continue
        centre = by_code.get(office.parent)
        if centre is None or centre.kind != "centre":
            found.append(f"{office.code}: its parent {office.parent} is not a centre of the network")
        elif centre.district != office.district:
            found.append(f"{office.code}: in {office.district}, but its centre {centre.code} is in {centre.district}")
    return found
