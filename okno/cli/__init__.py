"""The ``okno`` command: ``main`` and the click group. The commands live beside it, one
module per group; what they run on is wired by okno.bootstrap."""

from __future__ import annotations

import os
import sys

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
    try:
        cli(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except OknoError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except Exception as error:  # a user never gets a bare traceback
        if os.environ.get("OKNO_DEBUG"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error} (set OKNO_DEBUG=1 for details)", err=True)
        sys.exit(70)


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
