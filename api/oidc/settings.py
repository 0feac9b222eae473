"""How staff sign-in reaches the organisation's OpenID Connect provider (Keycloak, a
regional identity gateway): read once from the environment by ``okno serve``.

Without ``OKNO_OIDC_ISSUER`` sign-in is off: /auth/login says so and nothing else changes
(okno's own tokens, ``okno token create``, work either way)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from api.auth import ROLES
from engine.errors import OknoError

# Keycloak's defaults: realm roles under realm_access.roles, client roles mapped to a flat
# `roles` claim by many setups; the office as a user attribute mapped to the `office` claim.
DEFAULT_ROLE_CLAIMS = ("realm_access.roles", "roles")
DEFAULT_OFFICE_CLAIM = "office"
DEFAULT_SUBJECT_CLAIM = "preferred_username"
DEFAULT_SCOPES = "openid profile"


class SignInMisconfigured(OknoError):
    code = "sign_in_misconfigured"


@dataclass(frozen=True)
class SignInSettings:
    issuer: str  # discovery at <issuer>/.well-known/openid-configuration
    client_id: str
    client_secret: str
    role_claims: tuple[str, ...] = DEFAULT_ROLE_CLAIMS  # dotted paths into the claims, the first present wins
    office_claim: str = DEFAULT_OFFICE_CLAIM
    subject_claim: str = DEFAULT_SUBJECT_CLAIM  # who okno records as the actor; `sub` when absent
    role_map: Mapping[str, str] = field(default_factory=dict)  # provider's role name → okno's; empty: same names
    scopes: str = DEFAULT_SCOPES
    redirect_uri: str | None = None  # okno's /auth/callback as the provider knows it; None: from the request

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def okno_role(self, provider_role: str) -> str | None:
        """The okno role a provider's role name stands for, or None if it is none of okno's."""
        role = self.role_map.get(provider_role) if self.role_map else provider_role
        return role if role in ROLES else None


def settings_from_environment(environ: Mapping[str, str]) -> SignInSettings | None:
    """The settings the ``OKNO_OIDC_*`` variables give, or None when OKNO_OIDC_ISSUER is unset
    (sign-in off). A half-configured provider is refused at start-up, not at the first sign-in."""
    issuer = environ.get("OKNO_OIDC_ISSUER", "").strip()
    if not issuer:
        return None
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise SignInMisconfigured(f"OKNO_OIDC_ISSUER must be the provider's https:// URL, not {issuer!r}")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SignInMisconfigured("OKNO_OIDC_ISSUER must use https (plain http only on loopback, for tests)")
    client_id = environ.get("OKNO_OIDC_CLIENT_ID", "").strip()
    client_secret = environ.get("OKNO_OIDC_CLIENT_SECRET", "").strip()
    if not client_id or not client_secret:
        raise SignInMisconfigured(
            "OKNO_OIDC_ISSUER is set: OKNO_OIDC_CLIENT_ID and OKNO_OIDC_CLIENT_SECRET are needed too"
        )
    scopes = environ.get("OKNO_OIDC_SCOPES", "").strip() or DEFAULT_SCOPES
    if "openid" not in scopes.split():
        raise SignInMisconfigured(f"OKNO_OIDC_SCOPES must include openid, not {scopes!r}")
    redirect_uri = environ.get("OKNO_OIDC_REDIRECT_URI", "").strip() or None
    if redirect_uri is not None and urlsplit(redirect_uri).scheme not in ("https", "http"):
        raise SignInMisconfigured(f"OKNO_OIDC_REDIRECT_URI must be an absolute URL, not {redirect_uri!r}")
    return SignInSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        role_claims=_claim_paths(environ.get("OKNO_OIDC_ROLE_CLAIMS", ""), "OKNO_OIDC_ROLE_CLAIMS")
        or DEFAULT_ROLE_CLAIMS,
        office_claim=_one_path(environ.get("OKNO_OIDC_OFFICE_CLAIM", ""), "OKNO_OIDC_OFFICE_CLAIM")
        or DEFAULT_OFFICE_CLAIM,
        subject_claim=_one_path(environ.get("OKNO_OIDC_SUBJECT_CLAIM", ""), "OKNO_OIDC_SUBJECT_CLAIM")
        or DEFAULT_SUBJECT_CLAIM,
        role_map=parse_role_map(environ.get("OKNO_OIDC_ROLE_MAP", "")),
        scopes=scopes,
        redirect_uri=redirect_uri,
    )


def parse_role_map(text: str) -> dict[str, str]:
    """``OKNO_OIDC_ROLE_MAP``: ``mfc-operator=operator,mfc-boss=supervisor``. Several provider
    roles may map to one okno role; a provider role not listed grants nothing."""
    mapping: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        theirs, equals, ours = (side.strip() for side in entry.partition("="))
        if not equals or not theirs or not ours:
            raise SignInMisconfigured(f"OKNO_OIDC_ROLE_MAP entries are provider-role=okno-role, not {entry!r}")
        if ours not in ROLES:
            raise SignInMisconfigured(f"OKNO_OIDC_ROLE_MAP: {ours!r} is not an okno role ({', '.join(ROLES)})")
        mapping[theirs] = ours
    return mapping


def _claim_paths(text: str, name: str) -> tuple[str, ...]:
    return tuple(path for part in text.split(",") if (path := _one_path(part, name)))


def _one_path(text: str, name: str) -> str:
    path = text.strip()
    if path and any(not step for step in path.split(".")):
        raise SignInMisconfigured(f"{name}: {path!r} is not a claim path (names joined by dots)")
    return path
