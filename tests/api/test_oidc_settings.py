"""Staff sign-in's configuration (OKNO_OIDC_*) and a server without it: sign-in off, said so
in Russian, and nothing else changed."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import httpx
import pytest

from api.auth import Tokens
from api.oidc.routes import SignIn
from api.oidc.settings import (
    DEFAULT_ROLE_CLAIMS,
    SignInMisconfigured,
    SignInSettings,
    parse_role_map,
    settings_from_environment,
)
from tests.api.conftest import Server
from tests.conftest import MASTER_KEY

KEYCLOAK = {
    "OKNO_OIDC_ISSUER": "https://sso.example.ru/realms/mfc",
    "OKNO_OIDC_CLIENT_ID": "okno",
    "OKNO_OIDC_CLIENT_SECRET": "s3cret",
}


def test_without_an_issuer_sign_in_is_off() -> None:
    assert settings_from_environment({}) is None
    assert settings_from_environment({"OKNO_OIDC_CLIENT_ID": "okno", "OKNO_OIDC_ISSUER": "  "}) is None


def test_a_keycloak_realm_needs_only_its_issuer_and_client() -> None:
    settings = settings_from_environment(KEYCLOAK)
    assert settings is not None
    assert settings.discovery_url == "https://sso.example.ru/realms/mfc/.well-known/openid-configuration"
    assert settings.role_claims == DEFAULT_ROLE_CLAIMS == ("realm_access.roles", "roles")
    assert settings.office_claim == "office" and "openid" in settings.scopes.split()
    assert settings.okno_role("operator") == "operator" and settings.okno_role("uma_authorization") is None


def test_the_claims_and_role_names_can_be_the_provider_s_own() -> None:
    settings = settings_from_environment(
        {
            **KEYCLOAK,
            "OKNO_OIDC_ROLE_CLAIMS": "resource_access.okno.roles, groups",
            "OKNO_OIDC_OFFICE_CLAIM": "mfc.office",
            "OKNO_OIDC_ROLE_MAP": "mfc-operator=operator, mfc-head=supervisor",
        }
    )
    assert settings is not None
    assert settings.role_claims == ("resource_access.okno.roles", "groups")
    assert settings.office_claim == "mfc.office"
    assert settings.okno_role("mfc-head") == "supervisor"
    assert settings.okno_role("operator") is None  # with a map, only the mapped names count


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"OKNO_OIDC_CLIENT_SECRET": ""}, "OKNO_OIDC_CLIENT_SECRET"),
        ({"OKNO_OIDC_ISSUER": "sso.example.ru"}, "https://"),
        ({"OKNO_OIDC_ISSUER": "http://sso.example.ru/realms/mfc"}, "https"),
        ({"OKNO_OIDC_SCOPES": "profile email"}, "openid"),
        ({"OKNO_OIDC_ROLE_MAP": "mfc-operator=clerk"}, "not an okno role"),
        ({"OKNO_OIDC_ROLE_MAP": "mfc-operator"}, "provider-role=okno-role"),
        ({"OKNO_OIDC_ROLE_CLAIMS": "realm_access..roles"}, "not a claim path"),
    ],
)
def test_a_half_configured_provider_is_refused_at_start_up(changes: dict[str, str], says: str) -> None:
    with pytest.raises(SignInMisconfigured, match=says):
        settings_from_environment({**KEYCLOAK, **changes})


def test_several_provider_roles_may_stand_for_one_okno_role() -> None:
    assert parse_role_map("a=operator,b=operator,,") == {"a": "operator", "b": "operator"}


def test_a_server_without_a_provider_says_sign_in_is_off_and_still_takes_its_own_tokens(server: Server) -> None:
    off = server.http.get("/auth/login?next=/ui/")
    assert off.status_code == 404
    assert "Вход для сотрудников не настроен" in off.text and "OKNO_OIDC_ISSUER" in off.text
    assert "default-src 'self'" in off.headers["content-security-policy"]
    assert server.http.get("/auth/callback?code=x&state=y").status_code == 404
    out = server.http.get("/auth/logout", follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/ui/signed-out.html")
    machine = server.run("operator", '{ queue(officeId: "LPK") { officeId } }', office="LPK")
    assert machine["queue"]["officeId"] == "LPK"


def test_a_provider_that_cannot_be_reached_gets_a_page_saying_so() -> None:
    nowhere = SignInSettings(issuer="http://127.0.0.1:9", client_id="okno", client_secret="s")
    sign_in = SignIn(nowhere, Tokens(MASTER_KEY, None), lambda: datetime.now(UTC))

    async def login() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sign_in.app), base_url="http://okno.test"
        ) as client:
            return await client.get("/login?next=/ui/")  # the routes as /auth mounts them

    answer = anyio.run(login)
    assert answer.status_code == 503
    assert "Служба входа недоступна" in answer.text
