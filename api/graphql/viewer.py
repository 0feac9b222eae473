"""Who the caller is, as the token says: what a page needs to know its own office and role."""

from __future__ import annotations

import strawberry

from api.context import Context


@strawberry.type(description="The caller, as their token names them.")
class Viewer:
    subject: str = strawberry.field(description="Who the token is for (a staff member's login).")
    role: str = strawberry.field(description="operator, expert, supervisor, auditor, integrator, analyst…")
    office: str | None = strawberry.field(description="The office a staff member acts in; null for other roles.")


def viewer(info: strawberry.Info[Context, None]) -> Viewer:
    who = info.context.who  # no token: NotAuthenticated (code not_authenticated)
    return Viewer(subject=who.subject, role=who.role, office=who.office)
