"""Automatic persisted queries (Apollo's APQ protocol) over HTTP, as a client does the
handshake: the hash alone first; on PersistedQueryNotFound, the query with its hash; from
then on the hash alone, by POST or by GET (a GET a cache or CDN can keep)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.api.conftest import Server

QUERY = "query Services { services { code } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(sha: str = HASH) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def post(server: Server, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = server.http.post("/graphql", json=body, headers={"Accept": "application/json"}).json()
    return answer


def get(server: Server, params: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = server.http.get("/graphql", params=params, headers={"Accept": "application/json"}).json()
    return answer


def test_a_client_sends_the_hash_then_the_query_then_the_hash_alone(server: Server) -> None:
    miss = post(server, {"extensions": persisted()})
    assert miss["errors"][0]["message"] == "PersistedQueryNotFound"
    assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = post(server, {"query": QUERY, "extensions": persisted()})
    assert "errors" not in registered and registered["data"]["services"], registered
    again = post(server, {"extensions": persisted(), "operationName": "Services"})
    assert again == registered
    by_get = get(server, {"extensions": json.dumps(persisted()), "operationName": "Services"})
    assert by_get == registered


def test_a_query_is_registered_only_under_its_own_hash(server: Server) -> None:
    wrong = "0" * 64
    refused = post(server, {"query": QUERY, "extensions": persisted(wrong)})
    assert refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH", refused
    assert "data" not in refused or refused["data"] is None
    assert post(server, {"extensions": persisted(wrong)})["errors"][0]["message"] == "PersistedQueryNotFound"
    unknown = post(server, {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": HASH}}})
    assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED", unknown


def test_a_get_runs_no_mutation_even_persisted(server: Server) -> None:
    mutation = 'mutation { failJob(key: "x", worker: "w", retries: 0, errorMessage: "e") { __typename } }'
    sha = hashlib.sha256(mutation.encode()).hexdigest()
    post(server, {"query": mutation, "extensions": persisted(sha)})  # registered (refused to run: no token)
    response = server.http.get("/graphql", params={"extensions": json.dumps(persisted(sha))})
    assert response.status_code == 405, response.text
    assert "mutations are not allowed when using GET" in response.text
    plain = server.http.get("/graphql", params={"query": QUERY}, headers={"Accept": "application/json"})
    assert plain.status_code == 400, "a GET with query text is not a persisted query: refused as before"
