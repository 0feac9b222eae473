"""Bearer tokens as an attacker and an administrator meet them: office roles carry an
office and others do not, every token names its subject, none lives longer than the
configured maximum, and a revoked token is refused by the server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from eventsourcing.persistence import OperationalError

from api.auth import NotAllowed, NotAuthenticated, Tokens
from tests.api.conftest import Server
from tests.commands import okno
from tests.conftest import MASTER_KEY, EngineMaker

CASES = "{ cases(first: 5) { edges { node { number } } } }"


def signed(**claims: Any) -> str:
    """A token signed with the installation's real key, carrying whatever claims we like:
    what a leaked key, an old release or a hand-made token would present."""
    key = hmac.new(MASTER_KEY, b"okno-api-tokens", hashlib.sha256).digest()
    now = int(datetime.now(UTC).timestamp())
    body = {"iss": "okno", "iat": now, "exp": now + 3600, "jti": f"forged-{now}", **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="HS256")


def status_with(server: Server, token: str) -> int:
    response = server.http.post("/graphql", json={"query": CASES}, headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 200:
        assert "errors" not in response.json(), response.json()  # the cases were listed
    return response.status_code


def test_an_operator_token_without_an_office_is_refused_not_shown_every_office(server: Server) -> None:
    assert status_with(server, server.token("operator", "LPK")) == 200
    assert status_with(server, signed(sub="clerk", role="operator")) == 401
    assert status_with(server, signed(sub="boss", role="supervisor", office="")) == 401
    with pytest.raises(NotAllowed, match="needs --office"):
        server.tokens.issue("clerk", "operator", None, datetime.now(UTC))


def test_an_auditor_token_with_an_office_is_refused_at_issue_and_at_use(server: Server) -> None:
    with pytest.raises(NotAllowed, match="not tied to an office"):
        server.tokens.issue("inspector", "auditor", "LPK", datetime.now(UTC))
    assert status_with(server, signed(sub="inspector", role="auditor", office="LPK")) == 401
    assert status_with(server, signed(sub="inspector", role="auditor")) == 200


def test_every_token_names_its_subject(server: Server) -> None:
    for subject in ("", "  ", "a\u0000b"):
        with pytest.raises(NotAllowed, match="subject"):
            server.tokens.issue(subject, "integrator", None, datetime.now(UTC))
    assert status_with(server, signed(sub="", role="integrator")) == 401
    assert status_with(server, signed(role="integrator")) == 401
    assert status_with(server, signed(sub="portal", role="integrator", jti=None)) == 401, "a token with no id"


def test_a_token_lives_at_most_the_configured_hours(server: Server) -> None:
    now = datetime.now(UTC)
    with pytest.raises(NotAllowed, match="at most 12 h"):
        server.tokens.issue("portal", "integrator", None, now, timedelta(days=366))
    longer = Tokens(MASTER_KEY, None, max_lifetime=timedelta(hours=24))
    day_long = longer.issue("portal", "integrator", None, now, timedelta(hours=24))
    year = int(timedelta(days=366).total_seconds())
    assert status_with(server, signed(sub="portal", role="integrator", exp=int(now.timestamp()) + year)) == 401
    assert status_with(server, day_long) == 401, "signed under a longer limit than the server's"
    assert status_with(server, server.tokens.issue("portal", "integrator", None, now)) == 200


@pytest.mark.slow
def test_token_create_needs_a_subject_and_keeps_to_the_maximum_lifetime(tmp_path: Path) -> None:
    key = {"OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()}
    unnamed = okno("token", "create", "--role", "auditor", cwd=tmp_path, env=key)
    assert unnamed.returncode == 2 and "--subject" in unnamed.stderr, unnamed.stderr
    long = okno(
        "token", "create", "--role", "auditor", "--subject", "inspector", "--hours", "13", cwd=tmp_path, env=key
    )
    assert long.returncode == 2 and "at most 12 h" in long.stderr, long.stderr
    allowed = okno(
        "token",
        "create",
        "--role",
        "auditor",
        "--subject",
        "inspector",
        "--hours",
        "13",
        cwd=tmp_path,
        env={**key, "OKNO_TOKEN_MAX_HOURS": "24"},
    )
    assert allowed.returncode == 0, allowed.stderr
    claims = jwt.decode(allowed.stdout.strip(), options={"verify_signature": False})
    assert claims["sub"] == "inspector" and claims["exp"] - claims["iat"] == 13 * 3600 and claims["jti"]
    assert "office" not in claims


@pytest.mark.slow
def test_a_revoked_token_is_refused_by_the_server(server: Server, tmp_path: Path) -> None:
    by_token = server.token("integrator")
    by_id = server.token("auditor")
    assert status_with(server, by_token) == 200 and status_with(server, by_id) == 200
    env = {"OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(), "OKNO_DATABASE_URL": server.store_url}
    revoked = okno("token", "revoke", by_token, cwd=tmp_path, env=env)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    token_id = jwt.decode(by_id, options={"verify_signature": False})["jti"]
    again = okno("token", "revoke", "--id", token_id, cwd=tmp_path, env=env)
    assert again.returncode == 0 and f"revoked {token_id}" in again.stdout, again.stderr
    deadline = time.monotonic() + 30  # the server reads the revocations again within seconds
    while status_with(server, by_token) != 401 or status_with(server, by_id) != 401:
        assert time.monotonic() < deadline, "the server still accepts a revoked token"
        time.sleep(0.2)
    assert status_with(server, server.token("integrator")) == 200, "other tokens still work"


class CountingRevocations:
    """The real table, counting how often a verifier asks it."""

    def __init__(self, table: Any) -> None:
        self.table, self.reads = table, 0

    def revoke(self, token_id: str, expires_at: datetime, at: datetime, by: str) -> bool:
        return bool(self.table.revoke(token_id, expires_at, at, by))

    def current(self, now: datetime) -> frozenset[str]:
        self.reads += 1
        return frozenset(self.table.current(now))


def test_a_server_reads_the_revocations_once_per_interval_not_per_request(engines: EngineMaker) -> None:
    engine = engines()
    ticks = [0.0]
    counting = CountingRevocations(engine.revoked_tokens)
    server = Tokens(MASTER_KEY, counting, recheck=5.0, monotonic=lambda: ticks[0])
    elsewhere = Tokens(MASTER_KEY, engine.revoked_tokens)  # `okno token revoke` in another process
    token = server.issue("portal", "integrator", None, datetime.now(UTC))
    for _ in range(20):
        assert server.verify(token).subject == "portal"
    assert counting.reads == 1
    assert elsewhere.revoke(token, by="admin", now=datetime.now(UTC)).new
    assert not elsewhere.revoke(token, by="admin", now=datetime.now(UTC)).new, "revoking twice keeps the first"
    assert server.verify(token).subject == "portal", "within the interval the list in hand is used"
    ticks[0] = 5.0
    with pytest.raises(NotAuthenticated, match="revoked"):
        server.verify(token)
    assert counting.reads == 2
    with pytest.raises(NotAuthenticated, match="revoked"):
        elsewhere.verify(token)  # the process that revoked it refuses it at once


def test_revocations_of_expired_tokens_are_forgotten(engines: EngineMaker) -> None:
    engine = engines()
    now = datetime.now(UTC)
    engine.revoked_tokens.revoke("old", now - timedelta(hours=1), now - timedelta(hours=2), "admin")
    engine.revoked_tokens.revoke("live", now + timedelta(hours=1), now, "admin")
    assert engine.revoked_tokens.current(now) == {"live"}
    assert engine.revoked_tokens.forget_expired(now) == 1


class StoreAway(CountingRevocations):
    """The real table, until the store goes away."""

    away = False

    def current(self, now: datetime) -> frozenset[str]:
        if self.away:
            raise OperationalError("terminating connection due to administrator command")
        return super().current(now)


def test_while_the_store_is_away_a_server_keeps_refusing_the_tokens_it_knows_are_revoked(engines: EngineMaker) -> None:
    engine = engines()
    ticks = [0.0]
    store = StoreAway(engine.revoked_tokens)
    server = Tokens(MASTER_KEY, store, recheck=5.0, monotonic=lambda: ticks[0])
    revoked, valid = (server.issue(who, "integrator", None, datetime.now(UTC)) for who in ("stolen", "portal"))
    assert server.verify(revoked).subject == "stolen"  # the server has read the list once
    server.revoke(revoked, by="admin", now=datetime.now(UTC))
    store.away = True
    ticks[0] = 10.0
    with pytest.raises(NotAuthenticated, match="revoked"):
        server.verify(revoked)
    assert server.verify(valid).subject == "portal", "requests go on while the store is away"
    fresh = Tokens(MASTER_KEY, store)
    with pytest.raises(OperationalError):
        fresh.verify(valid)  # a server that never read the list cannot vouch for any token


SIGN_OUT = "mutation { signOut { revoked } }"


def sign_out(server: Server, token: str) -> httpx.Response:
    return server.http.post("/graphql", json={"query": SIGN_OUT}, headers={"Authorization": f"Bearer {token}"})


def test_signing_out_revokes_the_callers_own_token_and_no_other(server: Server) -> None:
    leaving, staying = server.token("operator", "LPK"), server.token("operator", "LPK")
    answer = sign_out(server, leaving)
    assert answer.status_code == 200 and answer.json() == {"data": {"signOut": {"revoked": True}}}, answer.text
    assert status_with(server, leaving) == 401, "the signed-out token still works on the server that revoked it"
    assert status_with(server, staying) == 200, "another token of the same person still works"
    assert sign_out(server, leaving).status_code == 401  # it is gone: nothing left to sign out with


def test_signing_out_without_a_token_is_refused_as_not_signed_in(server: Server) -> None:
    answer = server.http.post("/graphql", json={"query": SIGN_OUT})
    assert answer.json()["errors"][0]["extensions"]["code"] == "not_authenticated", answer.text
