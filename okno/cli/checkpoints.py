"""`okno audit checkpoint`, and the store-wide part of `okno audit verify`: the ledger
and signed checkpoints (engine.notary, engine.ledger_check)."""

from __future__ import annotations

from pathlib import Path

import click

from engine import world
from engine.application import STORE_ERRORS
from engine.checkpoints import Checkpoint
from engine.errors import OknoError
from engine.ledger_check import LedgerVerdict, check_store
from engine.signing import KeyRing
from okno.bootstrap import open_engine


class NoCheckpoint(OknoError):
    code = "not_found"


def audit_checkpoint(output: Path, fresh: bool) -> None:
    with open_engine(reading_only=not fresh) as engine:
        if fresh:
            assert engine.signer is not None
            made = engine.notary().checkpoint(engine.signer, world.now())
            if made is not None:
                click.echo(f"signed checkpoint {made.sequence} at notification {made.head}", err=True)
        checkpoint = engine.checkpoints.latest()
    if checkpoint is None:
        raise NoCheckpoint("the store has no checkpoint yet: pass --fresh to sign one now (needs the signing key)")
    output.write_text(checkpoint.to_json(), encoding="utf-8")
    click.echo(
        f"checkpoint {checkpoint.sequence} (head notification {checkpoint.head}, {checkpoint.cases} cases, "
        f"{checkpoint.events} case events, written {checkpoint.at}, key {checkpoint.key}) saved to {output}: "
        "keep it away from the database and its administrators"
    )


def verify_store(keys: KeyRing, against: Path | None) -> LedgerVerdict | None:
    """The store-wide chain's verdict, printed; None for a store with no ledger tables
    (made before checkpoints, and never migrated since)."""
    kept = Checkpoint.from_json(against.read_text(encoding="utf-8"), str(against)) if against else None
    with open_engine(reading_only=True) as engine:
        try:
            stored = engine.checkpoints.all()
        except STORE_ERRORS:
            if kept is not None:
                raise NoCheckpoint("the store has no ledger: it cannot be checked against a checkpoint") from None
            click.echo("store-wide chain: none in this store (run `okno migrate` and the worker)")
            return None
        verdict = check_store(engine.store, engine.ledger, stored, keys, kept)
    click.echo(
        f"store-wide chain: {verdict.notifications} notifications in the log, {verdict.linked} in the ledger, "
        f"{verdict.checkpoints} of {len(stored)} stored checkpoints signed and chained"
        + (f"; checked against kept checkpoint {kept.sequence} (head notification {kept.head})" if kept else "")
    )
    for finding in verdict.findings:
        click.echo(f"  store-wide: {finding}")
    if verdict.more:
        click.echo(f"  store-wide: ... and {verdict.more} more")
    return verdict
