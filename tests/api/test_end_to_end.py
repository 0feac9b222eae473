"""What integrators see, end to end over HTTP with a real GraphQL client: a property
registration from the portal to hand-out, tracked by the citizen, read by an auditor."""

from __future__ import annotations

from typing import Any

import pytest

from okno.bootstrap import new_engine
from tests.api.conftest import Server

OPEN = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    __typename
    ... on OpenCasePayload { pin case { id number status stage tasks { taskId element role state } } }
    ... on ValidationError { message code }
    ... on NotFoundError { message }
    ... on NotAllowedError { message }
  }
}"""
CLAIM = """
mutation Claim($input: TaskInput!) {
  claimTask(input: $input) {
    __typename
    ... on CasePayload { case { tasks { taskId state holder } } }
    ... on ValidationError { message code }
    ... on NotAllowedError { message }
  }
}"""
COMPLETE = """
mutation Complete($input: CompleteTaskInput!) {
  completeTask(input: $input) {
    __typename
    ... on CasePayload { case { stage status tasks { taskId element } } }
    ... on ValidationError { message code fields { field message } }
    ... on NotAllowedError { message }
    ... on NotFoundError { message }
  }
}"""
DELIVER = """
mutation Deliver($input: DeliverMessageInput!) {
  deliverMessage(input: $input) {
    __typename
    ... on CasePayload { case { stage tasks { taskId element } } }
    ... on ValidationError { message code }
    ... on NotAllowedError { message }
  }
}"""
TRACK = """
query Track($number: String!, $pin: String!) {
  track(number: $number, pin: $pin) { number service stage stages { stage since } expectedCompletion nextAction }
}"""
HISTORY = """
query History($number: String!) {
  case(number: $number) { number status outcome history { version kind actor input effects } }
}"""


def open_property_case(server: Server, key: str = "portal-1") -> dict[str, Any]:
    result: dict[str, Any] = server.run(
        "integrator",
        OPEN,
        input={
            "serviceCode": "rosreestr_ownership",
            "officeId": "LPK",
            "channel": "portal",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна", "document": "4215 654321"},
            "idempotencyKey": key,
        },
    )["openCase"]
    assert result["__typename"] == "OpenCasePayload", result
    return result


def test_a_property_registration_from_the_portal_to_hand_out(server: Server) -> None:
    opened = open_property_case(server)
    case = opened["case"]
    number, pin = case["number"], opened["pin"]
    assert case["stage"] == "Приём документов"
    assert open_property_case(server)["case"]["number"] == number, "a retry with the same key is the same case"
    reception = case["tasks"][0]
    assert (reception["element"], reception["role"], reception["state"]) == ("Task_Reception", "operator", "OPEN")

    claimed = server.run("operator", CLAIM, office="LPK", input={"caseNumber": number, "taskId": reception["taskId"]})[
        "claimTask"
    ]
    assert claimed["case"]["tasks"][0]["state"] == "CLAIMED"
    assert claimed["case"]["tasks"][0]["holder"] == "LPK/test-operator"

    refused = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_Reception", "data": {"documents_complete": "yes"}},
    )["completeTask"]
    assert refused["__typename"] == "ValidationError" and refused["code"] == "invalid_task_data"
    assert {f["field"] for f in refused["fields"]} >= {"input.data.documents_complete", "input.data.property_kind"}

    done = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "idempotencyKey": "reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"},
        },
    )
    assert done["completeTask"]["case"]["stage"] == "Приём документов"  # the state fee is being checked
    assert server.work_jobs().completed == 1  # ГИС ГМП: paid
    sent = server.run(
        "expert",  # the package to Росреестр is the expert's (candidateGroups)
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "Task_SendPackage", "data": {"package_number": "PKG-1"}},
    )
    assert sent["completeTask"]["case"]["stage"] == "Рассмотрение в Росреестре"

    answer = server.run(
        "integrator",
        DELIVER,
        input={
            "caseNumber": number,
            "name": "rosreestr_decision",
            "payload": {"decision": "registered"},
            "idempotencyKey": "rosreestr-answer-1",
        },
    )["deliverMessage"]
    assert answer["case"]["stage"] == "Рассмотрение в Росреестре"  # the SMS to the applicant goes first
    assert server.work_jobs().completed == 1
    again = server.run(
        "integrator",
        DELIVER,
        input={
            "caseNumber": number,
            "name": "rosreestr_decision",
            "payload": {"decision": "registered"},
            "idempotencyKey": "rosreestr-answer-1",
        },
    )["deliverMessage"]
    assert again["__typename"] == "CasePayload", "an answer delivered twice is recorded once"

    tracked = server.run(None, TRACK, number=number, pin=pin)["track"]
    assert tracked["stage"] == "Готово к выдаче" and "приходите" in tracked["nextAction"]
    assert "Кузнецова" not in str(tracked)

    history = server.run("auditor", HISTORY, number=number)["case"]["history"]
    assert [e["kind"] for e in history] == [
        "Opened",
        "TaskClaimed",
        "TaskCompleted",
        "ServiceTaskCompleted",
        "TaskCompleted",
        "MessageReceived",
        "ServiceTaskCompleted",
    ]
    # Auditors see a personal value sealed under the case key (issue 18); the rest as entered.
    assert set(history[2]["input"]["data"]["cadastral_number"]) == {"$sealed"}
    assert history[2]["input"]["data"]["property_kind"] == "flat"
    # ГИС ГМП is asked for the service's own fee (rosreestr_ownership: 4 000 ₽), and the treasury has it paid
    assert history[3]["input"]["result"] == {"fee_paid": True, "fee_paid_amount": 4000}
    assert history[6]["effects"]["tasks_opened"][0]["element"] == "Task_Handout"


def test_personal_data_is_shown_only_to_roles_that_need_it_and_every_read_is_recorded(server: Server) -> None:
    number = open_property_case(server, "pd")["case"]["number"]
    query = "query($n: String!) { case(number: $n) { applicant { fullName document } } }"
    shown = server.run("operator", query, office="LPK", n=number)["case"]["applicant"]
    assert shown == {"fullName": "Кузнецова Анна Сергеевна", "document": "4215 654321"}
    server.run("auditor", query, n=number)
    from gql.transport.exceptions import TransportQueryError

    with pytest.raises(TransportQueryError, match="may not"):
        server.run("integrator", query, n=number)
    with pytest.raises(TransportQueryError, match="office ELC may not act in office LPK"):
        server.run("operator", query, office="ELC", n=number)
    from engine.store import parse_url
    from tests.conftest import MASTER_KEY, Entropy

    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    reads = engine.personal_data_reads(number)
    assert [(r.role, r.purpose) for r in reads] == [
        ("operator", "graphql case.applicant"),
        ("auditor", "graphql case.applicant"),
    ]
    engine.close()


def test_limits_refuse_deep_aliased_oversized_requests_with_a_clear_message(server: Server) -> None:
    from gql.transport.exceptions import TransportQueryError

    deep = "{ cases(first: 1) { edges { node { office { dashboard { tasksByRole { role } } } service { code } } } } }"
    server.run("supervisor", deep, office="LPK")  # within the depth limit
    # The schema has no cycles yet, so no valid query is deeper than the depth limit (10);
    # the limiter guards the types to come. Aliases, tokens, page size and body size bite now.
    aliases = "{ " + " ".join(f"a{i}: services {{ code }}" for i in range(20)) + " }"
    with pytest.raises(TransportQueryError, match="aliases"):
        server.run(None, aliases)
    with pytest.raises(TransportQueryError, match="first must be from 1 to 100"):
        server.run("supervisor", "{ cases(first: 500) { edges { cursor } } }", office="LPK")

    huge = {"query": "{ services { code } }", "variables": {"pad": "x" * (3 * 1024 * 1024)}}
    response = server.http.post("/graphql", json=huge)
    assert response.status_code == 413 and "request body over" in response.text
    health = server.http.get("/healthz").json()
    assert health["status"] == "ok" and "cases" in health["read_models"]
    metrics = server.http.get("/metrics").text
    assert "okno_http_requests_total" in metrics


def test_auditors_see_who_read_personal_data_and_any_object_resolves_by_its_global_id(server: Server) -> None:
    opened = open_property_case(server, "node")
    number, case_id = opened["case"]["number"], opened["case"]["id"]
    server.run(
        "supervisor", "query($n: String!) { case(number: $n) { applicant { fullName } } }", office="LPK", n=number
    )
    reads = server.run(
        "auditor", "query($n: String!) { case(number: $n) { personalDataReads { actor role } } }", n=number
    )["case"]["personalDataReads"]
    assert reads == [{"actor": "LPK/test-supervisor", "role": "supervisor"}]
    node = server.run("auditor", "query($id: ID!) { node(id: $id) { id ... on Case { number } } }", id=case_id)["node"]
    assert node == {"id": case_id, "number": number}
    office = server.run(None, "{ offices { id code } }")["offices"][0]
    assert (
        server.run(None, "query($id: ID!) { node(id: $id) { ... on Office { code } } }", id=office["id"])["node"][
            "code"
        ]
        == office["code"]
    )


def test_a_page_of_cases_with_their_tasks_costs_a_bounded_number_of_queries(server: Server) -> None:
    import asyncio

    from api.auth import Principal, Tokens
    from api.context import Context, Services
    from api.graphql.cases import case_loaders
    from api.schema import schema
    from engine.store import parse_url
    from projections.reader import Reader
    from projections.runner import Projector
    from tests.conftest import MASTER_KEY, Entropy

    for i in range(30):
        open_property_case(server, f"page-{i}")
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    projector = Projector(engine)
    projector.catch_up()
    queries: list[str] = []

    class CountingReader(Reader):
        def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
            queries.append(sql)
            return super().rows(sql, params)

    reader = CountingReader(projector)
    services = Services(
        engine=engine,
        projector=projector,
        reader=reader,
        tokens=Tokens(MASTER_KEY, None),
        clock=lambda: __import__("datetime").datetime.now(__import__("datetime").timezone.utc),
    )
    context = Context(services=services, principal=Principal("a", "auditor"), loaders=case_loaders(reader))
    result = asyncio.run(
        schema.execute("{ cases(first: 100) { edges { node { number tasks { taskId } } } } }", context_value=context)
    )
    assert result.errors is None and len(result.data["cases"]["edges"]) == 30  # type: ignore[index]
    assert len(queries) == 2, queries  # one for the page, one for all its tasks
    engine.close()
