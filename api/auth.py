"""Who is calling: signed bearer tokens carrying a role and an office.

Tokens are JWTs (PyJWT, HS256) signed with a key derived from the installation's master
key, so `okno token create` and `okno serve` agree without another secret to manage.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from engine.errors import OknoError

ROLES = ("operator", "supervisor", "analyst", "auditor", "integrator")
OFFICE_ROLES = ("operator", "supervisor")
ISSUER = "okno"


class NotAuthenticated(OknoError):
    code = "not_authenticated"


class NotAllowed(OknoError):
    code = "not_allowed"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    office: str | None = None

    def acts_for(self, office: str) -> bool:
        """Operators and supervisors act only in their own office; other roles are not tied to one."""
        return self.role not in OFFICE_ROLES or self.office == office

    def require(self, *roles: str, office: str | None = None) -> None:
        if self.role not in roles:
            raise NotAllowed(f"a {self.role} may not do this (allowed: {', '.join(roles)})")
        if office is not None and not self.acts_for(office):
            raise NotAllowed(f"a {self.role} of office {self.office} may not act in office {office}")


class Tokens:
    def __init__(self, master_key: bytes) -> None:
        self._key = hmac.new(master_key, b"okno-api-tokens", hashlib.sha256).digest()

    def issue(self, subject: str, role: str, office: str | None, now: datetime,
              lifetime: timedelta = timedelta(days=30)) -> str:
        if role not in ROLES:
            raise NotAllowed(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if role in OFFICE_ROLES and not office:
            raise NotAllowed(f"a {role} token needs --office")
        claims = {"iss": ISSUER, "sub": subject, "role": role, "office": office,
                  "iat": int(now.timestamp()), "exp": int((now + lifetime).timestamp())}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=ISSUER,
                                options={"require": ["exp", "sub", "iss"]})
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the token has expired") from None
        except jwt.InvalidTokenError:
            raise NotAuthenticated("the token is not valid") from None
        role = claims.get("role")
        if role not in ROLES:
            raise NotAuthenticated("the token carries no valid role")
        return Principal(str(claims["sub"]), str(role), claims.get("office"))


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
