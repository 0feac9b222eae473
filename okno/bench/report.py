"""The benchmark's figures: each beside its ceiling and their ratio, as a table and as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SECTIONS = {
    "throughput": "1. Case throughput (durable) vs bare SpiffWorkflow in memory",
    "append": "2. Event append vs raw driver inserts of the same rows",
    "latency": "3. Command latency as history grows vs the step computed in memory",
    "rebuild": "4. Projection rebuild from zero vs raw SELECT of the same events",
    "replay": "5. Replay (audit verify) vs bare SpiffWorkflow on the same inputs",
    "graphql": "6. GraphQL under load vs a plain Starlette JSON endpoint on the same rows",
    "memory": "7. Server peak resident memory over a large store vs over an empty one",
}


@dataclass(frozen=True)
class Figure:
    section: str
    store: str
    name: str
    value: float
    unit: str
    ceiling: float
    ceiling_name: str

    @property
    def ratio(self) -> float:
        return self.value / self.ceiling if self.ceiling and not math.isnan(self.ceiling) else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": _finite(self.ratio)}


@dataclass(frozen=True)
class Target:
    name: str
    wanted: str
    figure: float | None
    met: bool | None  # None: not measured in this run
    note: str = ""


@dataclass
class Report:
    machine: dict[str, Any]
    options: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(
        self, section: str, store: str, name: str, value: float, unit: str, ceiling: float, ceiling_name: str
    ) -> Figure:
        figure = Figure(section, store, name, value, unit, ceiling, ceiling_name)
        self.figures.append(figure)
        return figure

    def to_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "options": self.options,
            "figures": [f.to_dict() for f in self.figures],
            "targets": [{**asdict(t), "figure": _finite(t.figure)} for t in self.targets],
            "skipped": self.skipped,
            "details": _clean(self.details),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def table(report: Report) -> list[str]:
    lines = []
    for section, title in SECTIONS.items():
        lines.append("")
        lines.append(title)
        figures = [f for f in report.figures if f.section == section]
        if not figures:
            lines.append("  (not measured in this run)")
            continue
        lines.append(f"  {'store':<9}{'figure':<44}{'value':>12}  {'ceiling':>12}  {'ratio':>7}  unit / ceiling")
        for f in figures:
            lines.append(
                f"  {f.store:<9}{f.name:<44}{_num(f.value):>12}  {_num(f.ceiling):>12}  "
                f"{_num(f.ratio, ratio=True):>7}  {f.unit} / {f.ceiling_name}"
            )
    lines.append("")
    lines.append("Targets")
    for t in report.targets:
        mark = "n/a " if t.met is None else ("MET " if t.met else "MISS")
        figure = "-" if t.figure is None else _num(t.figure)
        lines.append(f"  {mark} {t.name:<52} wanted {t.wanted:<14} got {figure}{'  ' + t.note if t.note else ''}")
    for reason in report.skipped:
        lines.append(f"  skipped: {reason}")
    return lines


def _num(value: float, ratio: bool = False) -> str:
    if value is None or math.isnan(value):
        return "-"
    if ratio:
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else round(value, 4)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
