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

# One test process runs this module's tests, one after another: the layer test writes a
# probe into engine/ for a moment, and a whole-tree mypy or ruff run beside it in another
# process read the probe's name and then found no file (seen in CI: "engine/_layer_probe.py:
# error: Cannot read file").
pytestmark = pytest.mark.xdist_group("source_tree")


def run(*command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # half a minute from a cold cache
def test_mypy_strict_finds_nothing() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_engine_may_not_read_the_wall_clock() -> None:
    # The probe goes to ruff on stdin, as if it were engine/_clock_probe.py: nothing is
    # written into the tree, so the other checks may run beside it.
    probe = (
        "import uuid\nfrom datetime import datetime\n\n\ndef f() -> object:\n    return datetime.now(), uuid.uuid4()\n"
    )
    result = run(
        str(BIN / "ruff"), "check", "--no-cache", "--stdin-filename", "engine/_clock_probe.py", "-", stdin=probe
    )
    assert result.returncode == 1
    assert "datetime.datetime.now" in result.stdout and "uuid.uuid4" in result.stdout


def test_the_layer_contracts_are_kept_and_a_breach_is_found() -> None:
    """One test, so the probe written into engine/ never meets the clean run (and the
    module's xdist group keeps the whole-tree checks from running beside it)."""
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    # The engine may not import the read side, even inside a function.
    offender = ROOT / "engine" / "_layer_probe.py"
    offender.write_text("def f() -> object:\n    from projections import base\n\n    return base\n")
    try:
        result = run(str(BIN / "lint-imports"), "--no-cache")
    finally:
        offender.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "engine._layer_probe -> projections.base" in result.stdout
