"""An integrator broadcasts a BPMN signal over GraphQL: every case waiting for it takes it
once, a retry with the same key records nothing twice, and others may not broadcast."""

from __future__ import annotations

from engine.bpmn.sources import collect_sources
from engine.catalog import parse_catalog
from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.api.test_end_to_end import OPEN
from tests.conftest import FIXTURES, MASTER_KEY, ROOT, T0, Entropy
from tests.projections.test_signals import SERVICE

BROADCAST = """mutation($input: BroadcastSignalInput!) {
  broadcastSignal(input: $input) {
    __typename
    ... on BroadcastSignalPayload { reached passedOver }
    ... on ValidationError { message code }
    ... on NotAllowedError { message }
  } }"""
CASE = """query($number: String!) { case(number: $number) { number tasks { element } } }"""


def deploy_signal_model(server: Server) -> None:
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        assert engine.deploy(collect_sources([FIXTURES / "events" / "signal_wait.bpmn"]), T0).ok
        catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
        engine.publish_catalog([*catalog, SERVICE], T0)
    finally:
        engine.close()


def open_signal_case(server: Server, key: str) -> str:
    opened = server.run(
        "integrator",
        OPEN,
        input={
            "serviceCode": "signal_wait",
            "officeId": "LPK",
            "channel": "portal",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна"},
            "idempotencyKey": key,
        },
    )["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    return str(opened["case"]["number"])


def test_an_integrator_broadcasts_a_signal_to_every_waiting_case_once(server: Server) -> None:
    deploy_signal_model(server)
    numbers = sorted(open_signal_case(server, f"signal-{i}") for i in range(2))
    signal = {"name": "tariffs_changed", "payload": {"tariff": 350}, "idempotencyKey": "tariffs-2027"}
    sent = server.run("integrator", BROADCAST, input=signal)["broadcastSignal"]
    assert sent == {"__typename": "BroadcastSignalPayload", "reached": numbers, "passedOver": []}
    again = server.run("integrator", BROADCAST, input=signal)["broadcastSignal"]
    assert again["reached"] == [] and again["passedOver"] == []  # nobody waits for it any more
    for number in numbers:
        case = server.run("supervisor", CASE, office="LPK", number=number)["case"]
        assert [t["element"] for t in case["tasks"]] == ["Task_Recalculate"]
    refused = server.run("operator", BROADCAST, office="LPK", input=signal)["broadcastSignal"]
    assert refused["__typename"] == "NotAllowedError"
    bad = server.run("integrator", BROADCAST, input={**signal, "payload": [1], "idempotencyKey": "k"})
    assert bad["broadcastSignal"]["__typename"] == "ValidationError"
