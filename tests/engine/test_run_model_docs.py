"""Issue 19: the `okno run-model` script format is documented in processes/README.md, every
key the runner reads, and the README's example script runs and passes on the shipped models."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

import engine.run_model
from okno.cli import cli
from tests.conftest import ROOT

README = (ROOT / "processes" / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Unit tests for models") : README.index("## The expression language")]


def test_the_readmes_example_script_runs_and_passes(tmp_path: Path) -> None:
    example = re.search(r"<!-- run-model-example -->\n```toml\n(.*?)```", SECTION, re.DOTALL)
    assert example is not None
    script = tmp_path / "example.toml"
    script.write_text(example.group(1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["run-model", str(ROOT / "processes"), "--inputs", str(script)])
    assert result.exit_code == 0, result.output
    assert "refused as expected (invalid_task_data)" in result.output
    assert result.output.splitlines()[-1] == "passed"


def test_every_key_the_runners_docstring_names_is_in_the_readme() -> None:
    docstring = engine.run_model.__doc__ or ""
    keys = set(re.findall(r"^\s+(\w+) = ", docstring, re.MULTILINE))
    keys |= {"message"}  # the error step's optional message, read beside `error`
    assert {"process", "services", "start", "complete", "expect_error", "tasks_open", "data"} <= keys
    missing = sorted(key for key in keys if f"`{key}" not in SECTION)
    assert missing == [], f"processes/README.md does not document {missing}"
    assert "`[[step]]`" in SECTION and "`[expect]`" in SECTION
