"""The code stays as the project promises: ruff clean (including the ban on wall
clock, uuid4 and random inside engine/), mypy --strict clean, and the layers of
ARCHITECTURE.md kept (import-linter's contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The probes below write into engine/ for a moment: with the tests in several processes,
# ruff and lint-imports must not run beside them, so one process runs this module.
pytestmark = pytest.mark.xdist_group("code_quality")


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # half a minute from a cold cache
def test_mypy_strict_finds_nothing() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_engine_may_not_read_the_wall_clock(tmp_path: Path) -> None:
    offender = ROOT / "engine" / "_clock_probe.py"
    offender.write_text(
        "import uuid\nfrom datetime import datetime\n\ndef f() -> object:\n    return datetime.now(), uuid.uuid4()\n"
    )
    try:
        result = run(str(BIN / "ruff"), "check", "--no-cache", str(offender))
    finally:
        offender.unlink()
    assert result.returncode == 1
    assert "datetime.datetime.now" in result.stdout and "uuid.uuid4" in result.stdout


def test_the_layer_contracts_are_kept() -> None:
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_engine_may_not_import_the_read_side_even_inside_a_function() -> None:
    offender = ROOT / "engine" / "_layer_probe.py"
    offender.write_text("def f() -> object:\n    from projections import base\n\n    return base\n")
    try:
        result = run(str(BIN / "lint-imports"), "--no-cache")
    finally:
        offender.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "engine._layer_probe -> projections.base" in result.stdout
