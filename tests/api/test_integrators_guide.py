"""docs/INTEGRATORS.md cannot drift from the API (issue 17's done-when): a property
registration is taken to `issued` by sending exactly the guide's GraphQL documents, by
operation name, over HTTP with gql, with the tokens the guide tells an administrator to
issue. Every form and every message payload is learnt from the API at run time; the only
knowledge written here is what people decide (the operator's choices) and what the
guide's prose says an external ГИС ГМП worker answers."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from gql import Client, gql
from graphql import OperationDefinitionNode, parse
from jsonschema import Draft202012Validator

from engine.store import parse_url
from okno.bootstrap import new_connectors, new_engine
from okno.workers.jobs import run_due
from projections.jobs import due_jobs
from projections.reader import Reader
from projections.runner import Projector
from tests.api.conftest import Server, ready
from tests.conftest import MASTER_KEY, ROOT, Entropy

GUIDE = ROOT / "docs" / "INTEGRATORS.md"
SERVICE = "rosreestr_ownership"
OFFICE = "LPK"

# What people decide, keyed by form field id: the guide names these choices; every other
# value is derived from the form the API publishes.
OPERATOR_DECIDES: dict[str, Any] = {"documents_complete": True, "handed_over": True}
# The documents the flow below sends: the guide must hold these and no others.
THE_FLOW_SENDS = {
    "ServiceContract",
    "OpenCase",
    "WorkList",
    "ClaimTask",
    "CompleteTask",
    "ActivateJobs",
    "CompleteJob",
    "Outbox",
    "AcknowledgeMessage",
    "CaseStatus",
    "DeliverMessage",
    "Track",
}


def fenced(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), flags=re.M | re.S)


def guide_documents() -> dict[str, str]:
    """The guide's GraphQL documents by their operation's name (each block holds one)."""
    documents: dict[str, str] = {}
    for text in fenced("graphql"):
        [operation] = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        assert operation.name is not None, f"an unnamed document in the guide:\n{text}"
        assert operation.name.value not in documents, f"two documents named {operation.name.value}"
        documents[operation.name.value] = text
    return documents


def guide_tokens(server: Server) -> dict[str, str]:
    """A token for each `okno token create` line of the guide, by its subject."""
    tokens: dict[str, str] = {}
    for line in "\n".join(fenced("sh")).splitlines():
        words = shlex.split(line, comments=True)
        if words[:3] != ["okno", "token", "create"]:
            continue
        options = dict(zip(words[3::2], words[4::2], strict=True))
        tokens[options["--subject"]] = server.tokens.issue(
            options["--subject"], options["--role"], options.get("--office"), datetime.now(UTC)
        )
    return tokens


class Guide:
    """Sends the guide's documents by name, each as a caller the guide names (None: no token)."""

    def __init__(self, server: Server) -> None:
        self.server, self.documents, self.tokens = server, guide_documents(), guide_tokens(server)
        self.sent: set[str] = set()

    def send(self, operation: str, caller: str | None, **variables: Any) -> dict[str, Any]:
        request = gql(self.documents[operation])
        request.variable_values = variables
        headers = {"Authorization": f"Bearer {self.tokens[caller]}"} if caller else {}
        with Client(transport=self.server.graphql_transport(headers)) as session:
            answer: dict[str, Any] = session.execute(request)
        self.sent.add(operation)
        return answer


def eventually(read: Callable[[], Any], seconds: float = 10) -> Any:
    """The read models follow the store within moments: read until there is an answer."""
    deadline = time.monotonic() + seconds
    while not (answer := read()):
        assert time.monotonic() < deadline, "never answered"
        time.sleep(0.1)
    return answer


def value_for(field: dict[str, Any]) -> Any:
    """A value the field allows, from its published type, allowed values and constraints alone."""
    if field["default"] is not None:
        return field["default"]
    constraints = field["constraints"] or {}
    kind = field["type"]
    if kind == "enum":
        return field["enumValues"][0]
    if kind == "enum_list":
        return field["enumValues"][:1]
    if kind in ("long", "number"):
        return constraints.get("min", 1)
    if kind == "boolean":
        return False
    if kind == "date":
        return date(2026, 11, 2).isoformat()
    if kind == "datetime":
        return "2026-11-02T10:00:00+03:00"
    if kind == "time":
        return "10:00"
    if kind == "list":
        return []
    if kind == "string":
        assert "pattern" not in constraints, f"no generic text for the pattern of {field['id']}"
        special = {"email": "applicant@example.org", "phone": "+79041234567"}
        if constraints.get("validationType") in special:
            return special[constraints["validationType"]]
        return "х" * max(int(constraints.get("minLength", 0)), min(int(constraints.get("maxLength", 12)), 12))
    return "значение"


def fill(form: dict[str, Any]) -> dict[str, Any]:
    """completeTask's data for a form: the operator's decisions where the form asks for them,
    a value for every other required field; checked against the form's JSON Schema first."""
    data: dict[str, Any] = {}
    for field in form["fields"]:
        if field["id"] in OPERATOR_DECIDES:
            data[field["id"]] = OPERATOR_DECIDES[field["id"]]
        elif field["required"]:
            data[field["id"]] = value_for(field)
    Draft202012Validator(form["jsonSchema"], format_checker=Draft202012Validator.FORMAT_CHECKER).validate(data)
    return data


def okno_worker(server: Server) -> int:
    """`okno worker` with no treasury configured: it sends the SMS, and leaves the state-fee
    check to the external ГИС ГМП worker. Answers how many jobs it completed."""
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        at = server.now()
        projector = Projector(engine)
        projector.catch_up()
        connectors = new_connectors(engine, lambda: at, None)
        return run_due(engine, due_jobs(Reader(projector), at, types=connectors.names()), connectors, at).completed
    finally:
        engine.close()


def work_list(guide: Guide, caller: str, role: str) -> Iterator[dict[str, Any]]:
    """The office's open tasks for a role, a page of one at a time (paging as the guide says)."""
    after, seen, total = None, 0, None
    while True:
        page = guide.send("WorkList", caller, officeId=OFFICE, role=role, state="OPEN", first=1, after=after)["tasks"]
        total = page["totalCount"] if total is None else total
        for edge in page["edges"]:
            seen += 1
            yield edge["node"]
        if not page["pageInfo"]["hasNextPage"]:
            assert seen == total, "the pages hold the list's totalCount"
            return
        after = page["pageInfo"]["endCursor"]


def work_task(guide: Guide, caller: str, number: str, element: str) -> dict[str, Any]:
    """A member of staff finds the case's task in the work list, claims it, fills its form, completes it."""
    role = next(t["role"] for t in guide_case(guide, number)["tasks"] if t["element"] == element)
    task = eventually(
        lambda: next((t for t in work_list(guide, caller, role.upper()) if t["caseNumber"] == number), None)
    )
    assert task["element"] == element and task["form"] is not None, task
    claimed = guide.send("ClaimTask", caller, input={"caseNumber": number, "taskId": task["taskId"]})["claimTask"]
    assert claimed["__typename"] == "CasePayload", claimed
    [held] = [t for t in claimed["case"]["tasks"] if t["taskId"] == task["taskId"]]
    assert held["state"] == "CLAIMED" and held["holder"] == f"{OFFICE}/{caller}"
    completed = guide.send(
        "CompleteTask",
        caller,
        input={
            "caseNumber": number,
            "element": element,
            "taskId": task["taskId"],
            "data": fill(task["form"]),
            "idempotencyKey": f"{element}-{number}",
        },
    )["completeTask"]
    assert completed["__typename"] == "CasePayload", completed
    case: dict[str, Any] = completed["case"]
    return case


def guide_case(guide: Guide, number: str) -> dict[str, Any]:
    case: dict[str, Any] = guide.send("CaseStatus", "portal", number=number)["case"]
    return case


def the_open_task(guide: Guide, number: str) -> str:
    """The element of the case's one open task, once the case has moved on to it."""
    tasks = eventually(lambda: [t for t in guide_case(guide, number)["tasks"] if t["state"] != "COMPLETED"])
    [task] = tasks
    return str(task["element"])


@pytest.mark.socket  # real HTTP, as an integrator's client talks to okno
def test_a_property_registration_driven_only_by_the_guides_documents_is_issued(server: Server) -> None:
    ready(server.http)  # a load balancer sends nothing before /healthz says the read models are up
    guide = Guide(server)

    contract = guide.send("ServiceContract", None, code=SERVICE)["service"]
    assert {"RECEIVES", "SENDS"} <= {m["direction"] for m in contract["messages"]}
    assert all(t["form"] for t in contract["userTasks"]), "each user task publishes its form"

    application = {
        "serviceCode": SERVICE,
        "officeId": OFFICE,
        "channel": "portal",
        "applicant": {
            "fullName": "Кузнецова Анна Сергеевна",
            "phone": "+7 904 123-45-67",
            "passportSeries": "4215",
            "passportNumber": "654321",
        },
        "idempotencyKey": "portal-application-80311",
    }
    opened = guide.send("OpenCase", "portal", input=application)["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    number, pin = opened["case"]["number"], opened["pin"]
    retried = guide.send("OpenCase", "portal", input=application)["openCase"]
    assert retried["case"]["number"] == number, "a retry with the same key is the same case"

    refused = guide.send(
        "CompleteTask",
        "ivanova",
        input={"caseNumber": number, "element": the_open_task(guide, number), "data": {}},
    )["completeTask"]
    assert refused["code"] == "invalid_task_data" and refused["fields"], "one Error fragment reads the refusal"

    reception = the_open_task(guide, number)
    case = work_task(guide, "ivanova", number, reception)
    assert case["status"] == "OPEN"

    assert okno_worker(server) == 0, "okno's own worker leaves the state-fee check to the external worker"
    jobs = eventually(
        lambda: guide.send(
            "ActivateJobs", "gis-gmp", type="payment_check", worker="gis-gmp", maxJobs=10, lockSeconds=60
        )["activateJobs"]["jobs"]
    )
    [job] = [j for j in jobs if j["caseNumber"] == number]
    assert job["variables"]["purpose"] == "state_fee" and job["variables"]["service"] == SERVICE
    paid = {"fee_paid": True, "fee_paid_amount": contract["fee"]}
    done = guide.send(
        "CompleteJob", "gis-gmp", key=job["key"], worker="gis-gmp", variables=paid, idempotencyKey=job["key"]
    )
    assert done["completeJob"]["__typename"] == "JobOutcomePayload", done
    again = guide.send(
        "CompleteJob", "gis-gmp", key=job["key"], worker="gis-gmp", variables=paid, idempotencyKey=job["key"]
    )
    assert again == done, "a retried completion answers what the first did"

    package = the_open_task(guide, number)
    work_task(guide, "petrov", number, package)

    sent = eventually(
        lambda: guide.send("Outbox", "rosreestr-gateway", names=None, caseNumber=number, first=20, after=None)[
            "outbox"
        ]["edges"]
    )
    [message] = [edge["node"] for edge in sent]
    assert message["payload"]["package_number"], message
    acknowledged = guide.send(
        "AcknowledgeMessage",
        "rosreestr-gateway",
        input={"caseNumber": number, "message": message["message"], "reference": "RR-2026-80311"},
    )["acknowledgeMessage"]
    assert acknowledged["__typename"] == "CasePayload", acknowledged
    eventually(
        lambda: (
            not guide.send("Outbox", "rosreestr-gateway", names=None, caseNumber=number, first=20, after=None)[
                "outbox"
            ]["totalCount"]
        )
    )

    [awaited] = [m for m in guide_case(guide, number)["awaitedMessages"] if m["direction"] == "RECEIVES"]
    decisions = awaited["payloadSchema"]["properties"]["decision"]["enum"]
    assert "registered" in decisions, decisions
    misspelt = {"caseNumber": number, "name": awaited["name"], "payload": {"decision": "Registered"}}
    refused = guide.send("DeliverMessage", "rosreestr-gateway", input=misspelt)["deliverMessage"]
    assert (refused["code"], [f["field"] for f in refused["fields"]]) == ("message_payload", ["input.payload.decision"])
    assert all(decision in refused["message"] for decision in decisions), "the refusal lists the allowed values"
    answer = {"decision": "registered"}
    Draft202012Validator(awaited["payloadSchema"]).validate(answer)
    delivery = {"caseNumber": number, "name": awaited["name"], "payload": answer, "idempotencyKey": "rr-answer-80311"}
    delivered = guide.send("DeliverMessage", "rosreestr-gateway", input=delivery)["deliverMessage"]
    assert delivered["__typename"] == "CasePayload", delivered
    assert guide.send("DeliverMessage", "rosreestr-gateway", input=delivery)["deliverMessage"] == delivered

    assert okno_worker(server) == 1, "okno's worker sends the applicant the SMS"
    handout = the_open_task(guide, number)
    closed = work_task(guide, "ivanova", number, handout)
    assert (closed["status"], closed["outcome"]) == ("COMPLETED", "issued"), closed

    final = eventually(lambda: (c := guide_case(guide, number))["status"] == "COMPLETED" and c)
    assert final["outcome"] == "issued" and final["awaitedMessages"] == []
    tracked = guide.send("Track", None, number=number, pin=pin)["track"]
    assert (tracked["status"], tracked["outcome"]) == ("COMPLETED", "issued"), tracked
    assert tracked["stages"][-1]["stage"] == tracked["stage"] == final["stage"], tracked
    assert guide.sent == THE_FLOW_SENDS


def test_the_guide_holds_only_named_documents_the_flow_sends() -> None:
    assert set(guide_documents()) == THE_FLOW_SENDS
    assert len(fenced("graphql")) == len(THE_FLOW_SENDS), "each block holds one named document"


def test_the_citizens_track_states_the_case_as_the_case_query_does(server: Server) -> None:
    """A portal compares the track with the case: both speak the CaseState enum (the track
    answered "open" where the case answers OPEN)."""
    guide = Guide(server)
    application = {
        "serviceCode": SERVICE,
        "officeId": OFFICE,
        "channel": "portal",
        "applicant": {"fullName": "Кузнецова Анна Сергеевна"},
    }
    opened = guide.send("OpenCase", "portal", input=application)["openCase"]
    tracked = guide.send("Track", None, number=opened["case"]["number"], pin=opened["pin"])["track"]
    assert tracked["status"] == opened["case"]["status"] == "OPEN"
