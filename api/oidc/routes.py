"""Staff sign-in through the organisation's OpenID Connect provider: /auth/login,
/auth/callback and /auth/logout.

The authorization code flow with PKCE, state and nonce, through Authlib: it keeps the
state, nonce and code verifier in a short-lived signed cookie scoped to /auth, exchanges
the code and checks the ID token (signature against the provider's JWKS, issuer, audience,
nonce, expiry). The person's roles and office are mapped to okno's (api.oidc.claims) and
okno mints its own bearer token, as `okno token create` does, living no longer than the ID
token. The token travels to the browser in a URL fragment (never sent to a server, never in
a log): /ui/signed-in.html stores it for the pages and goes on to the page that asked.

A one-time check value, in that fragment and in a cookie only okno can set, lets
signed-in.html refuse a token someone else's link planted (a login CSRF)."""

from __future__ import annotations

import logging
import re
import secrets
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin

import authlib.deprecate
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from joserfc.errors import JoseError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from api.auth import ROLES, Tokens
from api.oidc.claims import SignInRefused, claim_at, staff_member
from api.oidc.notices import notice
from api.oidc.settings import SignInSettings
from engine.errors import NotAllowed

with warnings.catch_warnings():
    # Authlib 1.9 would rather talk HTTP through httpx2 and warns, at import, that it falls back
    # to httpx. okno stays on httpx: with httpx2 installed, gql (the tests' GraphQL client)
    # switches too and no longer runs over the tests' in-process transport. The filter goes in
    # after authlib.deprecate's own "always" filter, so it is the one that applies.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client._compat import httpx2 as authlib_http  # httpx here, httpx2 if installed
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

log = logging.getLogger("okno.sign_in")

HOME = "/ui/"
SIGNED_IN = "/ui/signed-in.html"
SIGNED_OUT = "/ui/signed-out.html"
SESSION_COOKIE = "okno_sign_in"
CHECK_COOKIE = "okno_signed_in"  # the one-time check signed-in.js compares with the fragment's
CHECK_SECONDS = 120
# Where a sign-in may return to: one of okno's pages, by path. Nothing that a browser could
# read as another host (`//host`, `/\\host`, a scheme, whitespace it would strip).
NEXT_PAGE = re.compile(r"/ui/[A-Za-z0-9\-._~/%?=&+]*")
AGAIN = (("/auth/login", "Войти снова"), ("/auth/logout", "Выйти из учётной записи поставщика"))


def safe_next(value: str | None) -> str:
    """The page to return to after sign-in: ``value`` if it is one of okno's own pages, else
    the pages' index (a link that would send the browser elsewhere is an open redirect)."""
    if value and NEXT_PAGE.fullmatch(value) and "//" not in value:
        return value
    return HOME


class ProviderMisconfigured(Exception):
    """The provider's discovery document does not match OKNO_OIDC_ISSUER."""


class SignIn:
    """The /auth routes over one provider (or none: sign-in off). Built in the app's lifespan,
    with the server's tokens and clock."""

    def __init__(self, settings: SignInSettings | None, tokens: Tokens, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.tokens = tokens
        self.clock = clock
        self.client: StarletteOAuth2App | None = None
        if settings is not None:
            self.client = OAuth().register(
                name="provider",
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                server_metadata_url=settings.discovery_url,
                client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256", "timeout": 10},
            )
        https = settings is not None and (settings.redirect_uri or "").startswith("https:")
        self.app = Starlette(
            routes=[
                Route("/login", self.login),
                Route("/callback", self.callback),
                Route("/logout", self.logout),
            ],
            middleware=[
                Middleware(
                    SessionMiddleware,
                    secret_key=tokens.secret_for("sign-in-session").hex(),
                    session_cookie=SESSION_COOKIE,
                    max_age=int(tokens.max_lifetime.total_seconds()),  # the ID token kept for logout
                    path="/auth",
                    same_site="lax",  # sent on the provider's redirect back, a top-level GET
                    https_only=https,
                )
            ],
        )

    async def login(self, request: Request) -> Response:
        if self.client is None or self.settings is None:
            return _off()
        next_page = safe_next(request.query_params.get("next"))
        wanted = request.query_params.get("role")
        try:
            await self._metadata()
            redirect = await self.client.authorize_redirect(request, self._redirect_uri(request))
        except (authlib_http.HTTPError, AuthlibBaseError, ProviderMisconfigured, ValueError) as failure:
            log.warning("sign-in: the provider at %s cannot be reached or read: %s", self.settings.issuer, failure)
            return _unavailable()
        request.session["next"] = next_page
        request.session["role"] = wanted if wanted in ROLES else None
        response: Response = redirect
        return response

    async def callback(self, request: Request) -> Response:
        if self.client is None or self.settings is None:
            return _off()
        try:
            await self._metadata()  # this process may not be the one the sign-in started on
            token: dict[str, Any] = await self.client.authorize_access_token(request)
        except MismatchingStateError:
            return notice(
                400,
                "Вход не выполнен",
                "Ссылка входа устарела или открыта в другом окне браузера. Начните вход заново.",
                AGAIN[:1],
            )
        except OAuthError as refused:
            log.info("sign-in: the provider answered %s: %s", refused.error, refused.description)
            return notice(403, "Вход не выполнен", f"Поставщик входа отказал: {refused.error}.", AGAIN)
        except (JoseError, AuthlibBaseError, ValueError) as invalid:
            log.warning("sign-in: an ID token that does not verify: %r", invalid)
            return notice(400, "Вход не выполнен", "Поставщик входа прислал недействительное подтверждение личности.")
        except (authlib_http.HTTPError, ProviderMisconfigured) as failure:
            log.warning("sign-in: the provider cannot be reached: %s", failure)
            return _unavailable()
        claims = token.get("userinfo")
        if not isinstance(claims, Mapping) or "id_token" not in token:
            log.warning("sign-in: the provider sent no ID token")
            return notice(400, "Вход не выполнен", "Поставщик входа не прислал подтверждение личности (ID token).")
        try:
            member = staff_member(await self._with_userinfo(token, claims), self.settings, request.session.get("role"))
            now: datetime = self.clock()
            lifetime = datetime.fromtimestamp(int(claims["exp"]), UTC) - now
            okno_token = self.tokens.issue(
                member.subject, member.role, member.office, now, min(lifetime, self.tokens.max_lifetime)
            )
        except SignInRefused as refused:
            log.info("sign-in refused for %s: %s", claims.get("sub"), refused)
            return notice(403, "Вход в okno не разрешён", str(refused), AGAIN[1:])
        except NotAllowed as refused:  # an ID token already expired here, a subject okno cannot record
            log.warning("sign-in: no token for %s: %s", claims.get("sub"), refused)
            return notice(400, "Вход не выполнен", "Подтверждение личности уже истекло. Войдите снова.", AGAIN[:1])
        except (authlib_http.HTTPError, AuthlibBaseError) as failure:
            log.warning("sign-in: userinfo failed: %s", failure)
            return _unavailable()
        log.info("signed in: %s as %s of %s", member.subject, member.role, member.office or "-")
        next_page = safe_next(request.session.pop("next", None))
        request.session.pop("role", None)
        request.session["id_token"] = token["id_token"]  # the hint for logging out at the provider
        return _hand_over(okno_token, next_page, secure=request.url.scheme == "https")

    async def logout(self, request: Request) -> Response:
        """Ends the provider's session too (RP-initiated logout) when it offers that; either
        way the browser ends on signed-out.html, which forgets the okno token."""
        id_token = request.session.get("id_token")
        request.session.clear()
        signed_out = self._absolute(request, SIGNED_OUT)
        if self.client is None or self.settings is None:
            return RedirectResponse(SIGNED_OUT, status_code=303)
        try:
            metadata = await self._metadata()
        except (authlib_http.HTTPError, AuthlibBaseError, ProviderMisconfigured, ValueError) as failure:
            log.warning("sign-out: the provider cannot be reached: %s", failure)
            return RedirectResponse(SIGNED_OUT, status_code=303)
        if not metadata.get("end_session_endpoint"):
            return RedirectResponse(SIGNED_OUT, status_code=303)
        ending = await self.client.create_logout_url(
            post_logout_redirect_uri=signed_out, id_token_hint=id_token, client_id=self.settings.client_id
        )
        return RedirectResponse(str(ending["url"]), status_code=303)

    async def _metadata(self) -> dict[str, Any]:
        """The provider's discovery document; its issuer must be the one configured (OpenID
        Connect Discovery §4.3), or ID tokens would be checked against someone else's."""
        assert self.client is not None and self.settings is not None
        metadata: dict[str, Any] = await self.client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != self.settings.issuer.rstrip("/"):
            raise ProviderMisconfigured(
                f"the discovery document names issuer {metadata.get('issuer')!r}, not {self.settings.issuer!r}"
            )
        return metadata

    async def _with_userinfo(self, token: dict[str, Any], claims: Mapping[str, Any]) -> Mapping[str, Any]:
        """The ID token's claims, and the userinfo endpoint's where the ID token lacks the roles
        or the office (providers differ in which claims they put where)."""
        assert self.client is not None and self.settings is not None
        has_roles = any(claim_at(claims, path) is not None for path in self.settings.role_claims)
        if has_roles and claim_at(claims, self.settings.office_claim) is not None:
            return claims
        metadata = await self._metadata()
        if not metadata.get("userinfo_endpoint"):
            return claims
        info: Mapping[str, Any] = await self.client.userinfo(token=token)
        if info.get("sub") != claims.get("sub"):
            raise SignInRefused("Поставщик входа ответил о другом пользователе.")
        return {**info, **claims}  # the signed ID token wins where both speak

    def _redirect_uri(self, request: Request) -> str:
        assert self.settings is not None
        return self.settings.redirect_uri or self._absolute(request, "/auth/callback")

    def _absolute(self, request: Request, path: str) -> str:
        """``path`` on okno as the browser reaches it: under OKNO_OIDC_REDIRECT_URI's origin when
        set (behind a proxy), else the request's."""
        if self.settings is not None and self.settings.redirect_uri:
            return urljoin(self.settings.redirect_uri, path)
        return str(request.url.replace(path=path, query="", fragment=""))


def _hand_over(okno_token: str, next_page: str, *, secure: bool) -> Response:
    """To signed-in.html with the token in the fragment, and the one-time check value both
    there and in a cookie for that page alone."""
    check = secrets.token_urlsafe(16)
    fragment = urlencode({"token": okno_token, "next": next_page, "check": check})
    response = RedirectResponse(f"{SIGNED_IN}#{fragment}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(CHECK_COOKIE, check, max_age=CHECK_SECONDS, path=SIGNED_IN, samesite="lax", secure=secure)
    return response


def _off() -> Response:
    return notice(
        404,
        "Вход для сотрудников не настроен",
        "Вход через поставщика OpenID Connect на этом сервере выключен (не задан OKNO_OIDC_ISSUER). "
        "Обратитесь к администратору okno; для программ служат токены okno (okno token create).",
    )


def _unavailable() -> Response:
    return notice(
        503,
        "Служба входа недоступна",
        "Не удалось связаться с поставщиком входа. Повторите попытку позже или обратитесь к администратору.",
        AGAIN[:1],
    )
