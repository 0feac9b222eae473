"""The API's edge over a real server: text with NUL, control characters or lone
surrogates, over-long values and forged cursors get a typed answer naming what is
wrong — never "internal error" — and nothing is written (issue 14, #1 and #8)."""

from __future__ import annotations

import base64
import json
from typing import Any

from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.api.test_outbox import ACK, sent_package
from tests.conftest import MASTER_KEY, Entropy

ACK_FIELDS = """mutation($input: AcknowledgeMessageInput!) {
  acknowledgeMessage(input: $input) {
    __typename ... on ValidationError { message code fields { field message } } } }"""


def stored_head(server: Server) -> int:
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        return int(engine.store.recorder.max_notification_id() or 0)
    finally:
        engine.close()


def send(server: Server, role: str | None, query: str, office: str | None = None, **variables: Any) -> dict[str, Any]:
    """A request as any client may send it. JSON's ``\\ud800`` escape is how a lone
    surrogate travels; gql encodes variables as raw UTF-8, which cannot carry one."""
    headers = {"Content-Type": "application/json"}
    if role:
        headers["Authorization"] = f"Bearer {server.token(role, office)}"
    body = json.dumps({"query": query, "variables": variables})  # ensure_ascii: surrogates as escapes
    answer = server.http.post("/graphql", content=body.encode(), headers=headers)
    assert answer.status_code == 200, answer.text[:500]
    result: dict[str, Any] = answer.json()
    return result


def refusal(server: Server, role: str | None, query: str, office: str | None = None, **variables: Any) -> str:
    """The GraphQL error a query is refused with (it must be refused)."""
    errors = send(server, role, query, office, **variables).get("errors") or []
    assert len(errors) == 1, errors
    return str(errors[0]["message"])


def test_an_acknowledgement_with_a_nul_reference_is_refused_naming_the_field_and_stores_nothing(server: Server) -> None:
    number = sent_package(server, "nul")
    head = stored_head(server)
    refused = server.run(
        "integrator", ACK_FIELDS, input={"caseNumber": number, "message": 1, "reference": "REF\u0000X"}
    )["acknowledgeMessage"]
    assert refused["__typename"] == "ValidationError"
    assert refused["code"] == "input_refused"
    assert refused["fields"] == [
        {"field": "input.reference", "message": "contains the control character U+0000 at position 3"}
    ]
    assert stored_head(server) == head
    # The read models were not stopped: later commands answer with their case.
    done = server.run("integrator", ACK, input={"caseNumber": number, "message": 1, "reference": "RR-1/2026"})
    assert done["acknowledgeMessage"]["__typename"] == "CasePayload"
    again = sent_package(server, "after-nul")
    assert again != number


def test_every_kind_of_bad_text_in_a_mutation_is_a_validation_error_naming_its_field(server: Server) -> None:
    number = sent_package(server, "text")
    head = stored_head(server)
    for reference, message in [
        ("x\ud800", "contains a lone surrogate U+D800 at position 1 (not valid Unicode text)"),
        ("\x1b[2J", "contains the control character U+001B at position 0"),
        ("two\nlines", "contains the control character U+000A at position 3"),
        ("R" * 501, "must be 1 to 500 characters long, not 501"),
    ]:
        refused = send(
            server, "integrator", ACK_FIELDS, input={"caseNumber": number, "message": 1, "reference": reference}
        )["data"]["acknowledgeMessage"]
        assert refused["fields"] == [{"field": "input.reference", "message": message}], reference
    assert stored_head(server) == head


def cursor_of(value: Any, of: Any = "cases") -> str:
    """A cursor of the connection ``of`` holding the key ``value``, as this API writes them."""
    return base64.urlsafe_b64encode(json.dumps({"of": of, "key": value}).encode()).decode()


CASES = "query($after: String) { cases(first: 2, after: $after) { edges { cursor } } }"
OUTBOX = "query($after: String) { outbox(first: 2, after: $after) { edges { cursor } } }"


def test_a_cursor_that_is_not_one_we_handed_out_is_an_invalid_cursor_not_an_internal_error(server: Server) -> None:
    for forged in [
        "%%%",
        base64.b64encode(b"\xff\xfe").decode(),
        cursor_of({"opened_at": 1}),
        cursor_of("x"),
        cursor_of([1, 2]),
        cursor_of(["2026-11-02", {"a": 1}]),
        cursor_of(["2026\u0000", "LPK-1"]),
        cursor_of(["2026-11-02", "LPK-\ud800"]),
        cursor_of(["a", "b", "c"]),
        cursor_of([True, "x"]),
        cursor_of(["2026-11-02", "LPK-1"], of="\u0000"),
        cursor_of(["2026-11-02", "LPK-1"], of=5),
        cursor_of(["2026-11-02", "LPK-1"], of="x" * 500),
        base64.urlsafe_b64encode(json.dumps(["2026-11-02", "LPK-1"]).encode()).decode(),  # untagged
        "W10=" * 300,
    ]:
        message = refusal(server, "auditor", CASES, after=forged)
        assert "invalid cursor" in message or "input refused" in message, (forged, message)
    # The outbox's key ends in a message number: text there is as wrong as a dict.
    for forged in [
        cursor_of(["2026-11-02", "LPK-1", "1"], of="outbox"),
        cursor_of(["2026-11-02", "LPK-1", 2**70], of="outbox"),
        cursor_of(["2026-11-02", "LPK-1", 1.5], of="outbox"),
    ]:
        assert "invalid cursor" in refusal(server, "integrator", OUTBOX, after=forged)
    assert (
        server.run("integrator", OUTBOX, after=cursor_of(["2026-11-02", "LPK-1", 1], of="outbox"))["outbox"]["edges"]
        == []
    )


def test_query_arguments_with_nul_surrogates_or_huge_text_are_refused_not_internal_errors(server: Server) -> None:
    track = 'query($n: String!) { track(number: $n, pin: "0000") { number } }'
    for number in ["LPK-\u0000", "LPK-\udc00", "LPK-" + "7" * 100_000]:
        message = refusal(server, None, track, n=number)
        assert message.startswith("input refused: number: "), message
    case = "query($n: String!) { case(number: $n) { number } }"
    assert "input refused" in refusal(server, "auditor", case, n="\u0000")
    tasks = "query($o: String!) { tasks(officeId: $o) { edges { cursor } } }"
    assert "input refused" in refusal(server, "operator", tasks, office="LPK", o="LPK\u0000")
    node = "query($id: ID!) { node(id: $id) { id } }"
    forged_id = base64.urlsafe_b64encode("Case:LPK-\u0000".encode()).decode()
    assert refusal(server, "auditor", node, id=forged_id) == "the id is not an okno global id"
    slots = 'query($o: String!) { slots(officeId: $o, serviceCode: "x", from: "2026-11-02", to: "2026-11-03") { id } }'
    assert "input refused" in refusal(server, None, slots, o="\ud83d")
