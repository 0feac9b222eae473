"""Running ``okno`` commands from tests: in a process of their own (``okno``), as a user's
shell runs them, or in this one (``okno_here``) through ``okno.cli.run``, the same code
without the second or so of interpreter start each process costs.

``okno_here`` is for tests that run many commands to check what they print and return;
what only a process shows (a traceback never printed, signals, the installed entry point,
two processes racing) keeps ``okno``. Both answer with a CompletedProcess."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

OKNO = [sys.executable, "-c", "from okno.cli import main; main()"]


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    """This process's environment without its store (a command finds okno.sqlite in its
    folder unless told otherwise), plus ``env``."""
    environment = {k: v for k, v in os.environ.items() if k != "OKNO_DATABASE_URL"}
    environment.update(env or {})
    return environment


def okno(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = _environment(env)
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [*OKNO, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600, check=False
    )


def okno_here(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    from okno.cli import run

    out, err = io.StringIO(), io.StringIO()
    with (
        _environ(_environment(env)),
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = run(args)
    return subprocess.CompletedProcess(["okno", *args], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _environ(environment: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
