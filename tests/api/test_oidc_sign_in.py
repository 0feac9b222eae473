"""Staff sign-in through a real OpenID Connect provider (panva's oidc-provider in a Node.js
process on loopback, tests/oidc_provider): the whole authorization code flow over HTTP, the
okno token it yields at work on /graphql, and what is refused."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from anyio import run
from joserfc.errors import JoseError

from api.auth import Tokens
from api.oidc.routes import CHECK_COOKIE, ProviderMisconfigured, SignIn, safe_next
from tests.api.conftest import Server
from tests.conftest import MASTER_KEY
from tests.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    SignInSite,
    browser_client,
    follow,
    fragment_of,
    needs_node,
    provider_login,
    signed_in_site,
)

pytestmark = [pytest.mark.socket, pytest.mark.slow, needs_node]

QUEUE = "query ($office: String!) { queue(officeId: $office) { officeId done } }"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInSite]:
    with signed_in_site(tmp_path_factory.mktemp("oidc")) as started:
        yield started


def sign_in(site: SignInSite, login: str, query: str = "next=/ui/") -> tuple[httpx.Client, httpx.Response]:
    """A browser-like client through the provider's login form; the answer of okno's callback."""
    client = browser_client()
    back = provider_login(client, f"{site.okno.url}/auth/login?{query}", login)
    return client, client.get(back.headers["location"])


def graphql(server: Server, token: str, query: str, **variables: Any) -> dict[str, Any]:
    answer = server.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = answer.json()
    return body


def test_an_operator_signs_in_with_the_code_flow_and_the_okno_token_acts_in_their_office(site: SignInSite) -> None:
    client = browser_client()
    with client:
        to_provider = client.get(f"{site.okno.url}/auth/login?next=/ui/work/")
        asked = parse_qs(urlsplit(to_provider.headers["location"]).query)
        assert to_provider.status_code == 302 and to_provider.headers["location"].startswith(site.issuer)
        assert asked["response_type"] == ["code"] and asked["client_id"] == [CLIENT_ID]
        assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"]  # PKCE
        assert asked["state"] and asked["nonce"]
        back = provider_login(client, to_provider.headers["location"], "operator")
        signed_in = client.get(back.headers["location"])
        cookie = client.cookies.get(CHECK_COOKIE)

    assert signed_in.status_code == 303
    location = signed_in.headers["location"]
    assert location.startswith("/ui/signed-in.html#")
    handed = fragment_of(location)
    assert handed["next"] == "/ui/work/"
    assert handed["check"] == cookie  # signed-in.js compares the two
    claims = jwt.decode(handed["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["office"]) == ("operator", "operator", "LPK")
    # No longer than the ID token it was minted from (the provider's lives an hour).
    assert claims["exp"] - claims["iat"] <= 3600

    own = graphql(site.okno, handed["token"], QUEUE, office="LPK")
    assert own.get("errors") is None and own["data"]["queue"]["officeId"] == "LPK"
    other = graphql(site.okno, handed["token"], QUEUE, office="ELC")
    assert other["errors"][0]["extensions"]["code"] == "not_allowed"


def test_a_flat_roles_claim_maps_through_the_role_map_to_a_supervisor_of_their_office(site: SignInSite) -> None:
    client, signed_in = sign_in(site, "boss")
    client.close()
    claims = jwt.decode(fragment_of(signed_in.headers["location"])["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["office"]) == ("boss", "supervisor", "ELC")


def test_an_analyst_is_not_tied_to_an_office(site: SignInSite) -> None:
    client, signed_in = sign_in(site, "analyst")
    client.close()
    claims = jwt.decode(fragment_of(signed_in.headers["location"])["token"], options={"verify_signature": False})
    assert claims["role"] == "analyst" and "office" not in claims


@pytest.mark.parametrize(
    ("login", "says"),
    [("visitor", "нет роли в okno"), ("homeless", "должен быть указан офис")],
)
def test_a_person_without_an_okno_role_or_an_office_is_refused_and_gets_no_token(
    site: SignInSite, login: str, says: str
) -> None:
    client, refused = sign_in(site, login)
    client.close()
    assert refused.status_code == 403
    assert says in refused.text
    assert "location" not in refused.headers and "token" not in refused.text
    assert CHECK_COOKIE not in client.cookies


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/ui/",
        "//evil.example/ui/",
        "/\\evil.example/ui/",
        "/ui/\t/evil",
        "javascript:alert(1)",
        "/graphql",
    ],
)
def test_next_is_only_ever_one_of_okno_s_pages(elsewhere: str) -> None:
    assert safe_next(elsewhere) == "/ui/"
    assert safe_next("/ui/work/?case=LPK-1") == "/ui/work/?case=LPK-1"


def test_a_sign_in_asked_to_return_elsewhere_returns_to_okno_s_pages(site: SignInSite) -> None:
    client, signed_in = sign_in(site, "operator", urlencode({"next": "//evil.example/steal"}))
    client.close()
    assert fragment_of(signed_in.headers["location"])["next"] == "/ui/"


def test_a_callback_with_another_state_or_from_another_browser_is_refused(site: SignInSite) -> None:
    with browser_client() as client:
        back = provider_login(client, f"{site.okno.url}/auth/login", "operator")
        callback = back.headers["location"]
        query = parse_qs(urlsplit(callback).query)
        forged = callback.replace(query["state"][0], secrets.token_urlsafe(20))
        refused = client.get(forged)
        assert refused.status_code == 400 and "Начните вход заново" in refused.text
        with browser_client() as stranger:  # the code and state, but not the browser that asked
            assert stranger.get(callback).status_code == 400


def test_a_provider_that_denies_the_sign_in_is_reported(site: SignInSite) -> None:
    with browser_client() as client:
        page = follow(client, f"{site.okno.url}/auth/login", stop_at="/interaction/")
        interaction = str(page.url.join(page.headers["location"]))
        back = follow(client, client.get(f"{interaction}/abort"), stop_at="/auth/callback")
        denied = client.get(back.headers["location"])
    assert denied.status_code == 403 and "access_denied" in denied.text


def test_logging_out_ends_the_provider_s_session_and_lands_on_the_signed_out_page(site: SignInSite) -> None:
    client, _ = sign_in(site, "operator")
    with closing(client):
        out = client.get(f"{site.okno.url}/auth/logout")
        assert out.status_code == 303
        ending = urlsplit(out.headers["location"])
        asked = parse_qs(ending.query)
        assert out.headers["location"].startswith(site.issuer)
        assert asked["post_logout_redirect_uri"] == [f"{site.okno.url}/ui/signed-out.html"]
        assert asked["id_token_hint"] and asked["client_id"] == [CLIENT_ID]
        confirm = client.get(out.headers["location"])
        form = dict(_hidden_inputs(confirm.text))
        action = _form_action(confirm.text)
        landed = follow(client, client.post(str(confirm.url.join(action)), data={**form, "logout": "yes"}), "/ui/")
        assert landed.headers["location"].partition("?")[0] == f"{site.okno.url}/ui/signed-out.html"
        # The provider's session is over: signing in asks for the login form again.
        again = follow(client, f"{site.okno.url}/auth/login", stop_at="/interaction/")
        assert "/interaction/" in again.headers["location"]


def test_the_id_token_is_checked_signature_audience_and_nonce_against_the_provider(
    site: SignInSite, tmp_path: Path
) -> None:
    """okno's client (Authlib, configured as okno configures it) verifies a real ID token from
    the provider and refuses it altered, for another client, or with another nonce."""
    token, nonce = _id_token(site, "operator")
    okno = SignIn(site.settings, Tokens(MASTER_KEY, None), lambda: datetime.now(UTC))
    assert okno.client is not None

    async def parse(client: Any, tokens: dict[str, Any], expected_nonce: str) -> Any:
        return await client.parse_id_token(tokens, nonce=expected_nonce)

    assert run(parse, okno.client, token, nonce)["office"] == "LPK"

    header, payload, signature = token["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    other_office = base64.urlsafe_b64encode(json.dumps({**claims, "office": "ELC"}).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for tampered in (f"{header}.{other_office}.{signature}", f"{header}.{payload}.{flipped}"):
        with pytest.raises(JoseError):
            run(parse, okno.client, {**token, "id_token": tampered}, nonce)
    with pytest.raises(JoseError):
        run(parse, okno.client, token, "another-nonce")
    someone_else = SignIn(replace(site.settings, client_id="another-client"), Tokens(MASTER_KEY, None), datetime.now)
    with pytest.raises(JoseError):
        run(parse, someone_else.client, token, nonce)


def test_a_discovery_document_naming_another_issuer_is_refused(site: SignInSite) -> None:
    """The provider reached under another name than the issuer its tokens carry: ID tokens
    would be checked against the wrong issuer, so sign-in refuses to start."""
    elsewhere = site.issuer.replace("127.0.0.1", "localhost")
    okno = SignIn(replace(site.settings, issuer=elsewhere), Tokens(MASTER_KEY, None), lambda: datetime.now(UTC))
    with pytest.raises(ProviderMisconfigured):
        run(okno._metadata)


def _id_token(site: SignInSite, login: str) -> tuple[dict[str, Any], str]:
    """A real token response for okno's client, got as a relying party gets it (code flow with
    PKCE) but by this test, so the test knows the nonce."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    nonce = secrets.token_urlsafe(16)
    redirect_uri = f"{site.okno.url}/auth/callback"
    metadata = httpx.get(f"{site.issuer}/.well-known/openid-configuration").json()
    start = (
        metadata["authorization_endpoint"]
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": redirect_uri,
                "scope": site.settings.scopes,
                "state": "test",
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    with browser_client() as client:
        back = provider_login(client, start, login)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    answer = httpx.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert answer.status_code == 200, answer.text
    token: dict[str, Any] = answer.json()
    return token, nonce


def _form_action(page: str) -> str:
    import re

    found = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def _hidden_inputs(page: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
