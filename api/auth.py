"""Who is calling: signed bearer tokens carrying a subject, a role and (for office staff)
an office.

Tokens are JWTs (PyJWT, HS256) signed with a key derived from the installation's master
key, so `okno token create` and `okno serve` agree without another secret to manage. They
are short-lived (OKNO_TOKEN_MAX_HOURS, 12 by default) and revocable (`okno token revoke`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt

from engine.application import STORE_ERRORS
from engine.errors import NotAllowed as NotAllowed  # re-exported: the API refuses with the engine's own error
from engine.errors import OknoError
from engine.staff import STAFF_ROLES

OFFICE_ROLES = STAFF_ROLES  # operator, expert, supervisor: each acts only in its own office
ROLES = (*OFFICE_ROLES, "analyst", "auditor", "integrator")
ISSUER = "okno"


class NotAuthenticated(OknoError):
    code = "not_authenticated"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    office: str | None = None

    def acts_for(self, office: str) -> bool:
        """Office staff (operators, experts, supervisors) act only in their own office; other
        roles are not tied to one."""
        return self.role not in OFFICE_ROLES or self.office == office

    def require(self, *roles: str, office: str | None = None) -> None:
        if self.role not in roles:
            raise NotAllowed(f"a {self.role} may not do this (allowed: {', '.join(roles)})")
        if office is not None and not self.acts_for(office):
            raise NotAllowed(f"a {self.role} of office {self.office} may not act in office {office}")


DEFAULT_MAX_LIFETIME = timedelta(hours=12)  # a working day and a bit: a lost token is not a lost year
RECHECK_SECONDS = 5.0  # how stale a server's list of revoked tokens may get


class Revocations(Protocol):
    """Where revoked tokens are kept (engine.revocations.RevokedTokens in the store)."""

    def revoke(self, token_id: str, expires_at: datetime, at: datetime, by: str) -> bool: ...

    def current(self, now: datetime) -> frozenset[str]: ...


@dataclass(frozen=True)
class Revoked:
    token_id: str
    subject: str
    new: bool  # False: it had been revoked before


class Tokens:
    """Issues and checks bearer tokens. Every token names who it is for, lives at most
    ``max_lifetime`` and has its own id (``jti``) so it can be revoked; a verifier keeps
    the list of revoked ids for ``recheck`` seconds, so a revocation reaches every server
    process within that while without a query per request."""

    def __init__(
        self,
        master_key: bytes,
        revocations: Revocations | None,
        *,
        max_lifetime: timedelta = DEFAULT_MAX_LIFETIME,
        recheck: float = RECHECK_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``revocations`` None: this instance only issues tokens (``okno token create``);
        it refuses to verify one, since it could not tell a revoked token."""
        self._key = hmac.new(master_key, b"okno-api-tokens", hashlib.sha256).digest()
        self._derivation = hmac.new(master_key, b"okno-derived-secrets", hashlib.sha256).digest()
        self._revocations = revocations
        self.max_lifetime = max_lifetime
        self._recheck = recheck
        self._clock = clock
        self._monotonic = monotonic
        self._revoked: frozenset[str] = frozenset()
        self._revoked_read_at: float | None = None

    def issue(
        self,
        subject: str,
        role: str,
        office: str | None,
        now: datetime,
        lifetime: timedelta | None = None,
        token_id: str | None = None,
    ) -> str:
        lifetime = self.max_lifetime if lifetime is None else lifetime
        _check_claims(subject, role, office, NotAllowed)
        if lifetime <= timedelta(0):
            raise NotAllowed("a token's lifetime must be positive")
        if lifetime > self.max_lifetime:
            raise NotAllowed(
                f"a token lives at most {_hours(self.max_lifetime)} "
                f"(OKNO_TOKEN_MAX_HOURS); asked for {_hours(lifetime)}"
            )
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "role": role,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "jti": token_id or secrets.token_urlsafe(16),
        }
        if office is not None:
            claims["office"] = office
        return jwt.encode(claims, self._key, algorithm="HS256")

    def secret_for(self, purpose: str) -> bytes:
        """A key of its own for something else the server signs (the sign-in's session cookie),
        derived from the same master key: every server process agrees on it, and it is never
        the tokens' key."""
        return hmac.new(self._derivation, purpose.encode(), hashlib.sha256).digest()

    def verify(self, token: str) -> Principal:
        claims = self._claims(token, expired_ok=False)
        if claims["jti"] in self._revoked_now():
            raise NotAuthenticated("the token has been revoked")
        return Principal(claims["sub"], claims["role"], claims.get("office"))

    def revoke(self, token: str | None = None, *, token_id: str | None = None, by: str, now: datetime) -> Revoked:
        """Revoke a token (given whole: its signature is checked, an expired one is fine) or
        a token id. An id alone tells no expiry: it is kept for the longest a token lives."""
        if self._revocations is None:
            raise NotAllowed("revoking tokens needs the store")
        if (token is None) == (token_id is None):
            raise NotAllowed("name one token: the token itself or --id")
        subject = "?"
        expires_at = now + self.max_lifetime
        if token is not None:
            claims = self._claims(token, expired_ok=True)
            token_id, subject = str(claims["jti"]), str(claims["sub"])
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        assert token_id is not None
        if not token_id.strip() or len(token_id) > 200:
            raise NotAllowed("a token id is 1 to 200 characters")
        new = self._revocations.revoke(token_id, expires_at, now, by)
        self._revoked = self._revoked | {token_id}  # this process refuses it at once
        return Revoked(token_id, subject, new)

    def _claims(self, token: str, *, expired_ok: bool) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "jti"], "verify_exp": not expired_ok},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the token has expired") from None
        except jwt.InvalidTokenError:
            raise NotAuthenticated("the token is not valid") from None
        office = claims.get("office")
        if (
            not isinstance(claims["sub"], str)
            or not isinstance(claims["jti"], str)
            or not (office is None or isinstance(office, str))
        ):
            raise NotAuthenticated("the token is not valid")
        _check_claims(claims["sub"], claims.get("role"), office, NotAuthenticated)
        if int(claims["exp"]) - int(claims["iat"]) > self.max_lifetime.total_seconds() + 1:  # 1: whole seconds
            # Signed by us, but under a longer limit than today's: a leaked old token must not outlive it.
            raise NotAuthenticated(f"the token lives longer than {_hours(self.max_lifetime)}: issue a new one")
        return claims

    def _revoked_now(self) -> frozenset[str]:
        if self._revocations is None:
            raise NotAuthenticated("this server cannot check revoked tokens")
        read_at = self._monotonic()
        if self._revoked_read_at is None or read_at - self._revoked_read_at >= self._recheck:
            known = self._revoked_read_at is not None
            self._revoked_read_at = read_at  # one reader per interval, even while the store is away
            try:
                self._revoked = self._revocations.current(self._clock())
            except STORE_ERRORS:
                # The store is away: keep the list in hand. Nothing can be revoked meanwhile
                # (revocations are written to that same store), so it is still the whole list.
                if not known:
                    self._revoked_read_at = None
                    raise
        return self._revoked


def max_lifetime(environ: Mapping[str, str]) -> timedelta:
    """``OKNO_TOKEN_MAX_HOURS``: the longest a token may live (12 hours when unset)."""
    text = environ.get("OKNO_TOKEN_MAX_HOURS", "").strip()
    if not text:
        return DEFAULT_MAX_LIFETIME
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 31:
        raise NotAllowed(f"OKNO_TOKEN_MAX_HOURS must be a number of hours above 0 and at most 744, not {text!r}")
    return timedelta(hours=hours)


def _check_claims(subject: Any, role: Any, office: Any, refuse: type[OknoError]) -> None:
    """What every token must say, checked when it is issued and again when it is used."""
    if role not in ROLES:
        raise refuse(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if (
        not isinstance(subject, str)
        or not subject.strip()
        or len(subject) > 200
        or any(unicodedata.category(c).startswith("C") for c in subject)
    ):
        raise refuse("a token names who it is for: a subject of 1 to 200 printable characters (--subject)")
    if role in OFFICE_ROLES and not office:
        raise refuse(f"a {role} token needs --office")
    if role not in OFFICE_ROLES and office is not None:
        raise refuse(f"a {role} token is not tied to an office: leave out --office")


def _hours(lifetime: timedelta) -> str:
    return f"{lifetime.total_seconds() / 3600:g} h"


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
