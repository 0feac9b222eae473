"""Who the caller is, as the token says (what a page needs to know its own office and role),
and signing out: the caller's own token revoked, so a copy of it left in a log, a shared
screen or another tab stops working too (forgetting it in the tab alone would not)."""

from __future__ import annotations

import strawberry

from api.auth import NotAuthenticated, bearer
from api.context import Context


@strawberry.type(description="The caller, as their token names them.")
class Viewer:
    subject: str = strawberry.field(description="Who the token is for (a staff member's login).")
    role: str = strawberry.field(description="operator, expert, supervisor, auditor, integrator, analyst…")
    office: str | None = strawberry.field(description="The office a staff member acts in; null for other roles.")


def viewer(info: strawberry.Info[Context, None]) -> Viewer:
    who = info.context.who  # no token: NotAuthenticated (code not_authenticated)
    return Viewer(subject=who.subject, role=who.role, office=who.office)


@strawberry.type(description="The caller's token is revoked: every server refuses it within seconds.")
class SignedOut:
    revoked: bool = strawberry.field(description="False: it had been revoked before.")


def sign_out(info: strawberry.Info[Context, None]) -> SignedOut:
    context = info.context
    who = context.who
    token = _callers_token(context)
    if token is None:  # who is known from a token, so this is not expected: refuse rather than guess
        raise NotAuthenticated("no token came with this request to sign out with")
    services = context.services
    revoked = services.tokens.revoke(token, by=f"{who.role}/{who.subject}", now=services.clock())
    return SignedOut(revoked=revoked.new)


def _callers_token(context: Context) -> str | None:
    params = context.connection_params or {}
    headers = getattr(context.request, "headers", {})
    return bearer(headers.get("authorization")) or bearer(str(params.get("Authorization") or ""))
