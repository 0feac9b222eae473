"""The CLI takes text from a shell, where bytes that are not UTF-8 arrive as lone
surrogates and control characters are one keystroke away: the command refuses them with
one line naming the argument, exit 2, and no traceback (never "internal error", 70)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands import okno


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["case", "show", "LPK-\x01"], "case_number"),  # engine.get_case
        (["tasks", "--office", "L\udcff"], "office_id"),  # a read model's query
        (["queue", "--office", "LPK\x1b[2J"], "office_id"),  # reception's read model
    ],
    ids=["case-show", "tasks", "queue"],
)
def test_a_bad_text_argument_is_one_line_naming_it_and_exit_2(tmp_path: Path, args: list[str], field: str) -> None:
    result = okno(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: input refused: {field}: "), lines
