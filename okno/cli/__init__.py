"""The ``okno`` command: ``main`` and the click group. The commands live beside it, one
module per group; what they run on is wired by okno.bootstrap."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from engine.errors import OknoError
from okno.bench.cli import bench_command
from okno.cli.cases import audit_group, case_group
from okno.cli.demo import demo_command
from okno.cli.keys import keys_group
from okno.cli.models import deploy_command, retire_command, run_model_command, validate_command
from okno.cli.read_models import (
    dashboard_command,
    migrate_command,
    projections_group,
    ranking_command,
    stats_command,
    tasks_command,
    track_command,
    worker_command,
)
from okno.cli.reception import queue_command, slots_command, waiting_command
from okno.cli.reconcile import audit_reconcile
from okno.cli.server import serve_command, token_group


def main() -> None:
    sys.exit(run())


def run(args: Sequence[str] | None = None) -> int:
    """Run one okno command (``args``, or the process's own) and return its exit code:
    0 done, 1 what the command found wrong, 2 bad input, 70 an internal error, 130
    interrupted. ``main`` exits with it; the tests run commands in process through it."""
    try:
        cli(args=list(args) if args is not None else None, standalone_mode=False)
    except SystemExit as done:  # a command that exits with its own code (run-model's 1)
        return done.code if isinstance(done.code, int) else 0 if done.code is None else _said(done.code)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        return 130
    except OknoError as error:
        click.echo(f"error: {error}", err=True)
        return 2
    except Exception as error:  # a user never gets a bare traceback
        if os.environ.get("OKNO_DEBUG"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error} (set OKNO_DEBUG=1 for details)", err=True)
        return 70
    return 0


def _said(message: object) -> int:
    """``sys.exit("text")``: the text goes to stderr and the code is 1, as Python does."""
    click.echo(str(message), err=True)
    return 1


@click.group(help="okno: one window for every public service — a BPMN case engine for МФЦ networks.")
def cli() -> None:
    pass


for command in (
    validate_command,
    run_model_command,
    deploy_command,
    retire_command,
    demo_command,
    case_group,
    audit_group,
    worker_command,
    migrate_command,
    projections_group,
    track_command,
    tasks_command,
    dashboard_command,
    ranking_command,
    stats_command,
    serve_command,
    token_group,
    keys_group,
    bench_command,
    slots_command,
    queue_command,
    waiting_command,
):
    cli.add_command(command)
audit_group.add_command(audit_reconcile)  # beside history, export and verify
