"""`okno bench --quick` runs end to end through the CLI: every section is printed and the
JSON holds every figure with its ceiling. Not a timing test: no figure is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SECTIONS = (
    "1. Case throughput",
    "2. Event append",
    "3. Command latency",
    "4. Projection rebuild",
    "5. Replay",
    "6. GraphQL under load",
    "7. Server peak resident memory",
    "Targets",
)


@pytest.mark.slow
def test_quick_bench_prints_every_section_and_writes_every_figure_with_its_ceiling(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from okno.cli import main; main()",
            "bench",
            "--quick",
            "--no-postgres",
            "--store-cases",  # the smallest bulk store: the test shows every section works, not its size
            "100",
            "--output",
            str(output),
            "--workdir",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for section in SECTIONS:
        assert section in done.stdout
    report = json.loads(output.read_text(encoding="utf-8"))
    figures = report["figures"]
    sections = {f["section"] for f in figures}
    assert sections == {"throughput", "append", "latency", "rebuild", "replay", "graphql", "memory"}
    for figure in figures:
        assert figure["value"] is not None and figure["value"] > 0, figure
        assert figure["unit"] and figure["ceiling_name"], figure
        if figure["ceiling_name"] != "-":
            assert figure["ceiling"] is not None and figure["ceiling"] > 0, figure
            assert figure["ratio"] is not None, figure
    names = {(f["section"], f["name"]) for f in figures}
    for processes in ("1 process", "2 processes", "1 process, group commit", "2 processes, group commit"):
        assert ("throughput", f"case steps/s, {processes}") in names
    for events in ("10", "100", "1,000"):
        assert ("latency", f"p50 at {events} events") in names
        assert ("latency", f"p99 at {events} events") in names
    for query in ("work_list", "case"):
        for clients in ("1 client", "10 clients", "50 clients"):
            assert ("graphql", f"{query} @{clients}: p99") in names
    assert {t["name"] for t in report["targets"]} >= {"work-list query p99 at 50 clients"}
    assert any("PostgreSQL" in reason for reason in report["skipped"])
