"""`okno keys`: the writer's signing key, kept outside the database (engine.signing)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from engine import world


@click.group("keys", help="The signing key events are signed with, and its public key for auditors.")
def keys_group() -> None:
    pass


def _key_path(output: Path | None) -> Path:
    return output or Path(os.environ.get("OKNO_SIGNING_KEY") or world.SIGNING_KEY_FILE)


@keys_group.command(
    "create",
    help="Write a new Ed25519 private key (never over an existing one) and its public key beside it "
    "(FILE.pub). Give the public key to the auditors; keep the private key off the database server's disks "
    "if you can. To rotate: create a new key, point OKNO_SIGNING_KEY at it, and name the old public key "
    "in OKNO_PUBLIC_KEYS.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The private key file (default: OKNO_SIGNING_KEY, else okno-signing.key).",
)
def keys_create(output: Path | None) -> None:
    path = _key_path(output)
    if path.exists():
        raise click.ClickException(f"{path} exists: a signing key is never overwritten")
    signer = world.write_signing_key(path)
    public = path.with_name(path.name + ".pub")
    public.write_bytes(signer.public.pem())
    click.echo(f"signing key {signer.key_id} written to {path}; its public key to {public}:")
    click.echo(signer.public.pem().decode("ascii"), nl=False)


@keys_group.command("public", help="Print the configured signing key's id and public key (PEM).")
def keys_public() -> None:
    signer = world.signing_key()
    click.echo(f"key {signer.key_id}")
    click.echo(signer.public.pem().decode("ascii"), nl=False)
