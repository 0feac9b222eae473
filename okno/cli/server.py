"""`okno serve` (the GraphQL API) and `okno token` (bearer tokens for it)."""

from __future__ import annotations

from datetime import timedelta

import click

from api.auth import ROLES
from engine import world
from engine.store import config_from_environment
from okno.bootstrap import (
    new_services,
    new_tokens,
    open_engine,
)


@click.command(
    "serve",
    help=(
        "Serve the GraphQL API (GraphiQL at /graphql), okno's pages at /ui/, /healthz and /metrics. "
        "Staff sign in through an OpenID Connect provider when OKNO_OIDC_ISSUER, OKNO_OIDC_CLIENT_ID "
        "and OKNO_OIDC_CLIENT_SECRET are set (also OKNO_OIDC_ROLE_CLAIMS, OKNO_OIDC_OFFICE_CLAIM, "
        "OKNO_OIDC_SUBJECT_CLAIM, OKNO_OIDC_ROLE_MAP, OKNO_OIDC_SCOPES, OKNO_OIDC_REDIRECT_URI: "
        'see the README, "Staff sign-in").'
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--read-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 300),
    help="Seconds a request's whole body may take to arrive; a slower one gets 408.",
)
def serve_command(host: str, port: int, read_timeout: float) -> None:
    import os

    import uvicorn

    from api.app import create_app
    from api.oidc.settings import SignInMisconfigured, settings_from_environment

    try:
        sign_in = settings_from_environment(os.environ)
    except SignInMisconfigured as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"okno serving on http://{host}:{port}/graphql (store: {config_from_environment().url})")
    click.echo(f"staff sign-in: {sign_in.issuer if sign_in else 'off (OKNO_OIDC_ISSUER is not set)'}")
    app = create_app(new_services, read_timeout=read_timeout, sign_in=sign_in)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.group("token", help="Bearer tokens for the API.")
def token_group() -> None:
    pass


@token_group.command(
    "create", help="Issue a signed bearer token (it lives at most OKNO_TOKEN_MAX_HOURS, 12 hours by default)."
)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--office", help="The office a member of staff (operator, expert, supervisor) works in (only for those roles)."
)
@click.option("--subject", required=True, help="Who the token is for: the actor recorded on what it does.")
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    help="How long it lives (default and most: OKNO_TOKEN_MAX_HOURS).",
)
def token_create(role: str, office: str | None, subject: str, hours: float | None) -> None:

    tokens = new_tokens(None)
    click.echo(tokens.issue(subject, role, office, world.now(), None if hours is None else timedelta(hours=hours)))


@token_group.command("revoke", help="Revoke a token: every server refuses it within seconds.")
@click.argument("token", required=False)
@click.option("--id", "token_id", help="The token's id (its jti claim) instead of the token itself.")
def token_revoke(token: str | None, token_id: str | None) -> None:

    if (token is None) == (token_id is None):
        raise click.UsageError("name the token, or its id with --id")
    with open_engine() as engine:
        tokens = new_tokens(engine)
        revoked = tokens.revoke(token, token_id=token_id, by=_operator(), now=world.now())
    state = "revoked" if revoked.new else "already revoked"
    click.echo(f"{state} {revoked.token_id}" + (f" (subject {revoked.subject})" if token is not None else ""))


def _operator() -> str:
    """Who ran the command, as the revocation's record: the OS user."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
