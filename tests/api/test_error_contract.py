"""Errors a client can branch on (issue 17, finding 8), over HTTP and the websocket.

Every mutation error implements ``Error`` (code, message, fields); every top-level error
carries ``extensions.code``; authentication fails in one documented shape per transport;
fields are named as the request spells them; no model expression reaches a client. The
codes are docs/ERRORS.md's table.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

import api
import engine
import projections
from api.error_codes import GRAPHQL_CODES
from engine.errors import OknoError
from tests.api.conftest import Server, serve_in_process
from tests.api.test_end_to_end import COMPLETE, open_property_case
from tests.conftest import ROOT

ANY_ERROR = "__typename ... on Error { code message fields { field message } }"


def post(server: Server, query: str, token: str | None = None, **variables: Any) -> tuple[int, dict[str, Any]]:
    """The raw answer: status and JSON body, as any HTTP client sees them."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = server.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return answer.status_code, answer.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body["errors"]]


# -- extensions.code on every top-level error ----------------------------------------------
def test_the_personal_data_refusal_carries_its_code(server: Server) -> None:
    number = open_property_case(server)["case"]["number"]
    query = "query($n: String!) { case(number: $n) { applicant { fullName } } }"
    status, body = post(server, query, server.token("integrator"), n=number)
    assert status == 200 and codes(body) == ["not_allowed"], body


def test_a_page_with_a_forged_cursor_carries_its_code(server: Server) -> None:
    status, body = post(server, '{ cases(after: "zzz") { edges { node { number } } } }', server.token("auditor"))
    assert status == 200 and codes(body) == ["invalid_cursor"], body
    status, body = post(server, "{ cases(first: 0) { edges { node { number } } } }", server.token("auditor"))
    assert status == 200 and codes(body) == ["validation"], body


def test_a_wrong_pin_and_the_lockout_after_it_carry_their_codes(server: Server) -> None:
    number = open_property_case(server)["case"]["number"]
    query = 'query($n: String!) { track(number: $n, pin: "000000") { number } }'
    seen = [codes(post(server, query, n=number)[1])[0] for _ in range(7)]
    assert seen[0] == "wrong_pin" and seen[-1] == "too_many_attempts", seen


def test_a_track_with_a_malformed_pin_names_the_argument_at_fault(server: Server) -> None:
    status, body = post(server, 'query { track(number: "LPK-1", pin: "12") { number } }')
    [error] = body["errors"]
    assert status == 200 and error["extensions"]["code"] == "validation"
    assert [f["field"] for f in error["extensions"]["fields"]] == ["pin"], error


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ cases { ", "query_syntax"),
        ("{ nosuch }", "query_invalid"),
        ("{ " + " ".join(f"a{i}: services {{ code }}" for i in range(20)) + " }", "query_limit"),
        ("{ services { code " + "code " * 2_100 + "} }", "query_limit"),
    ],
)
def test_a_document_that_fails_before_it_runs_carries_a_code(server: Server, document: str, code: str) -> None:
    status, body = post(server, document, server.token("auditor"))
    assert status == 200 and set(codes(body)) == {code}, body


def test_variables_of_the_wrong_type_carry_their_code(server: Server) -> None:
    status, body = post(server, "query($n: String!) { case(number: $n) { number } }", server.token("auditor"), n=5)
    assert status == 200 and codes(body) == ["invalid_variables"], body


@pytest.fixture
def broken_server(sqlite_url: str, seeded_sqlite: Path) -> Iterator[Server]:
    """A server with a bug: reading a case's events fails with internals in the message."""
    shutil.copyfile(seeded_sqlite, sqlite_url.removeprefix("sqlite:///"))

    def break_history(engine: Any) -> None:
        def case_events(number: str) -> Any:
            raise RuntimeError(f"disk /srv/okno/secret.sqlite is corrupt at {number}")

        engine.case_events = case_events

    yield from serve_in_process(sqlite_url, seeded=True, engine_hook=break_history)


def test_a_bug_is_internal_error_with_nothing_of_its_internals(broken_server: Server) -> None:
    number = open_property_case(broken_server)["case"]["number"]
    query = "query($n: String!) { case(number: $n) { history { version } } }"
    status, body = post(broken_server, query, broken_server.token("auditor"), n=number)
    [error] = body["errors"]
    assert error["message"] == "internal error" and error["extensions"] == {"code": "internal_error"}, error
    assert status == 200 and "secret" not in json.dumps(body)


# -- authentication: one shape per transport (docs/ERRORS.md) ------------------------------
def test_over_http_a_token_that_does_not_verify_is_a_401_in_the_error_shape(server: Server) -> None:
    answer = server.http.post(
        "/graphql", json={"query": "{ services { code } }"}, headers={"Authorization": "Bearer x"}
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert codes(answer.json()) == ["not_authenticated"]


def test_over_http_a_missing_token_is_a_top_level_not_authenticated_for_mutations_and_queries(
    server: Server,
) -> None:
    number = open_property_case(server)["case"]["number"]
    mutation = f"""mutation($input: RateVisitInput!) {{ rateVisit(input: $input) {{ {ANY_ERROR} }} }}"""
    scores = {"waitingTime": 5, "staff": 5, "premises": 5, "information": 5}
    status, body = post(server, mutation, input={"caseNumber": number, **scores})
    assert status == 200 and body["data"] is None and codes(body) == ["not_authenticated"], body
    status, body = post(server, "query($n: String!) { case(number: $n) { number } }", n=number)
    assert status == 200 and codes(body) == ["not_authenticated"], body


def _ws_url(server: Server) -> str:
    return server.url.replace("http://", "ws://") + "/graphql"


@pytest.mark.socket
def test_over_the_websocket_a_token_that_does_not_verify_closes_it_with_4403(server: Server) -> None:
    with connect(_ws_url(server), subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


@pytest.mark.socket
def test_over_the_websocket_a_subscription_without_a_token_is_an_error_with_its_code(server: Server) -> None:
    with connect(_ws_url(server), subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
        query = 'subscription { taskListChanged(officeId: "LPK") { taskId } }'
        socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(socket.recv(timeout=10))
    # The subscription started and failed at once: graphql-transport-ws sends that as `next` with errors.
    assert answer["type"] == "next" and answer["payload"]["data"] is None, answer
    assert [e["extensions"]["code"] for e in answer["payload"]["errors"]] == ["not_authenticated"], answer


@pytest.mark.socket
@pytest.mark.parametrize(
    ("query", "kind", "code"),
    [
        ('subscription { caseStatusChanged(number: "LPK-NOPE") { number } }', "next", "not_found"),
        ('subscription { taskListChanged(officeId: "ELC") { taskId } }', "next", "not_allowed"),
        ("subscription { nosuch }", "error", "query_invalid"),
    ],
)
def test_over_the_websocket_every_error_carries_its_code(server: Server, query: str, kind: str, code: str) -> None:
    token = server.token("operator", "LPK")
    with connect(_ws_url(server), subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
        socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(socket.recv(timeout=10))
    errors = answer["payload"]["errors"] if kind == "next" else answer["payload"]
    assert answer["type"] == kind and [e["extensions"]["code"] for e in errors] == [code], answer


# -- one Error interface, fields as the input spells them ----------------------------------
def test_every_mutation_error_answers_one_fragment_with_its_code_and_fields(server: Server) -> None:
    opened = open_property_case(server)
    number = opened["case"]["number"]
    open_case = f"mutation($input: OpenCaseInput!) {{ openCase(input: $input) {{ {ANY_ERROR} }} }}"
    applicant = {"fullName": "Кузнецова Анна Сергеевна"}
    unknown = {"serviceCode": "no_such", "officeId": "LPK", "channel": "portal", "applicant": applicant}
    found = server.run("integrator", open_case, input=unknown)["openCase"]
    assert (found["__typename"], found["code"]) == ("NotFoundError", "not_found")
    assert [f["field"] for f in found["fields"]] == ["input.serviceCode"]
    channel = {**unknown, "serviceCode": "rosreestr_ownership", "channel": "pigeon"}
    refused = server.run("integrator", open_case, input=channel)["openCase"]
    assert (refused["__typename"], [f["field"] for f in refused["fields"]]) == ("ValidationError", ["input.channel"])
    elsewhere = server.run("operator", open_case, office="ELC", input={**channel, "channel": "window"})["openCase"]
    assert (elsewhere["__typename"], elsewhere["code"]) == ("NotAllowedError", "not_allowed")

    rate = f"mutation($input: RateVisitInput!) {{ rateVisit(input: $input) {{ {ANY_ERROR} }} }}"
    scores = {"caseNumber": number, "waitingTime": 9, "staff": 5, "premises": 0, "information": 5}
    rated = server.run("integrator", rate, input=scores)["rateVisit"]
    assert rated["code"] == "validation"
    assert sorted(f["field"] for f in rated["fields"]) == ["input.premises", "input.waitingTime"], rated

    deliver = f"mutation($input: DeliverMessageInput!) {{ deliverMessage(input: $input) {{ {ANY_ERROR} }} }}"
    unnamed = server.run("integrator", deliver, input={"name": "rosreestr_decision", "payload": {}})["deliverMessage"]
    assert [f["field"] for f in unnamed["fields"]] == ["input.caseNumber"], unnamed

    complete = COMPLETE.replace("__typename", ANY_ERROR)
    data = {"caseNumber": number, "element": "Task_Reception", "data": {"documents_complete": "yes"}}
    wrong = server.run("operator", complete, office="LPK", input=data)["completeTask"]
    assert wrong["code"] == "invalid_task_data"
    assert {"input.data.documents_complete", "input.data.property_kind"} <= {f["field"] for f in wrong["fields"]}


def test_every_result_union_is_its_payload_and_errors_that_implement_error(server: Server) -> None:
    """Introspected, so a mutation added later cannot bring an error type without the interface."""
    query = "{ __schema { types { kind name possibleTypes { name } interfaces { name } } } }"
    types = server.run(None, query)["__schema"]["types"]
    implementing = {t["name"] for t in types if t["kind"] == "OBJECT" and {"name": "Error"} in t["interfaces"]}
    unions = [t for t in types if t["kind"] == "UNION"]
    assert unions
    for union in unions:
        others = [m["name"] for m in union["possibleTypes"] if m["name"] not in implementing]
        assert len(others) == 1, (union["name"], others)
    assert {"ValidationError", "NotFoundError", "NotAllowedError", "ConflictError", "DeployProblems"} <= implementing


def test_deploy_problems_name_the_file_they_are_in(server: Server) -> None:
    deploy = f"mutation($input: DeployProcessInput!) {{ deployProcess(input: $input) {{ {ANY_ERROR} }} }}"
    files = [{"name": "good.bpmn", "text": "<x/>"}, {"name": "bad.bpmn", "text": "not xml"}]
    refused = server.run("analyst", deploy, input={"files": files})["deployProcess"]
    assert (refused["__typename"], refused["code"]) == ("DeployProblems", "model_invalid"), refused
    assert refused["fields"] and all(f["field"].startswith("input.files[") for f in refused["fields"]), refused


# -- no model expression to clients ---------------------------------------------------------
def test_an_answer_missing_what_the_model_tests_is_refused_by_its_contract_without_quoting_the_model(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """Before message contracts, an answer without its decision reached the gateway and failed
    there (a process_failure naming the element and variable); the contract now refuses it
    first, naming the payload's field, and neither message quotes the model's expression."""
    number = open_property_case(server)["case"]["number"]
    complete = COMPLETE.replace("__typename", ANY_ERROR)
    data = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"}
    server.run(
        "operator", complete, office="LPK", input={"caseNumber": number, "element": "Task_Reception", "data": data}
    )
    assert server.work_jobs().completed == 1
    package = {"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": "PKG-1"}}
    server.run("expert", complete, office="LPK", input=package)
    deliver = f"mutation($input: DeliverMessageInput!) {{ deliverMessage(input: $input) {{ {ANY_ERROR} }} }}"
    with caplog.at_level(logging.INFO, logger="okno.api"):
        failed = server.run(
            "integrator", deliver, input={"caseNumber": number, "name": "rosreestr_decision", "payload": {}}
        )["deliverMessage"]
    assert failed["code"] == "message_payload", failed
    assert [f["field"] for f in failed["fields"]] == ["input.payload.decision"], failed
    assert "rosreestr_decision[" not in failed["message"] and "==" not in failed["message"], failed


# -- one table of codes ---------------------------------------------------------------------
def _subclasses(cls: type[OknoError]) -> Iterator[type[OknoError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_docs_errors_lists_every_code_a_client_can_meet() -> None:
    import pkgutil

    for package in (api, engine, projections):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            __import__(module.name)
    engine_codes = {cls.code for cls in _subclasses(OknoError)}
    table = (ROOT / "docs" / "ERRORS.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))
    expected = engine_codes | set(GRAPHQL_CODES) | {"model_invalid"}
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in expected), expected
    assert listed == expected, (sorted(expected - listed), sorted(listed - expected))


def test_the_depth_limit_is_a_query_limit() -> None:
    """No path of the schema nests deeper than the limit (and introspection is not counted),
    so the depth limiter's own error is coded here as it would be over HTTP."""
    from graphql import GraphQLError

    from api.error_codes import code
    from api.schema import MAX_DEPTH

    error = GraphQLError(f"'deep' exceeds maximum operation depth of {MAX_DEPTH}")
    code(error)
    assert error.extensions == {"code": "query_limit"}


def test_an_expression_error_that_reaches_a_client_quotes_nothing_of_the_model() -> None:
    from api.graphql.errors import as_problem
    from engine.errors import ExpressionError

    quoted = ExpressionError("cannot compare str with int: 'x' > 5 in rosreestr_decision['decision'] > 5")
    missing = ExpressionError.no_key("decision")
    assert "rosreestr_decision" not in as_problem(quoted).message
    assert as_problem(missing).message.endswith("the case has no value for 'decision'")
