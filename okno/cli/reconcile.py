"""`okno audit reconcile`: the live read models against the same models rebuilt from the events."""

from __future__ import annotations

import sys

import click

from okno.bootstrap import new_projector, open_engine


@click.command(
    "reconcile",
    help="Rebuild every read model from the events in a scratch place and list each difference from the live "
    "rows (table, key, column, live value, rebuilt value); exit 1 when there is any.",
)
def audit_reconcile() -> None:
    from projections.reconcile import reconcile
    from projections.runner import all_models

    with open_engine() as engine:
        differences = reconcile(new_projector(engine), all_models)
    for difference in differences:
        click.echo(difference.line())
    click.echo(f"{len(differences)} differences between the read models and the events")
    if differences:
        sys.exit(1)
