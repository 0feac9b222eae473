"""External job workers over HTTP (issue 16's done-when): a worker written with a real
GraphQL client (gql) activates the jobs of a Camunda 8 model (zeebe:taskDefinition types
okno has no connector for, a FEEL input mapping), completes them, fails one with retries
and then succeeds, throws a BPMN error an error boundary event catches, and loses a job
whose lock expired to another worker."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.bpmn.sources import collect_sources
from engine.catalog import Service, parse_catalog
from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server, seed, serve_in_process
from tests.conftest import FIXTURES, MASTER_KEY, ROOT, T0, Entropy

ORDER = Service("order_process", "Заказ", "Магазин", "federal", 5, (), 0, "order_process")
OPEN = """mutation($input: OpenCaseInput!) { openCase(input: $input) {
  __typename ... on OpenCasePayload { case { number } } ... on ValidationError { message } } }"""
ACTIVATE = """mutation($type: String!, $worker: String!, $max: Int!, $lock: Int!) {
  activateJobs(type: $type, worker: $worker, maxJobs: $max, lockSeconds: $lock) {
    __typename
    ... on ActivatedJobsPayload { jobs { key type caseNumber element variables retries deadline worker } }
    ... on ValidationError { message code } ... on NotAllowedError { message } } }"""
OUTCOME = """__typename ... on JobOutcomePayload { key caseNumber caseStatus caseVersion }
  ... on ValidationError { message code } ... on NotAllowedError { message } ... on NotFoundError { message }"""
COMPLETE = f"""mutation($key: String!, $worker: String!, $variables: JSON, $idem: String) {{
  completeJob(key: $key, worker: $worker, variables: $variables, idempotencyKey: $idem) {{ {OUTCOME} }} }}"""
FAIL = f"""mutation($key: String!, $worker: String!, $retries: Int!, $error: String!, $backoff: Int!) {{
  failJob(key: $key, worker: $worker, retries: $retries, errorMessage: $error, retryBackoffSeconds: $backoff) {{
  {OUTCOME} }} }}"""
THROW = f"""mutation($key: String!, $worker: String!, $code: String!, $message: String!, $variables: JSON) {{
  throwJobError(key: $key, worker: $worker, errorCode: $code, errorMessage: $message, variables: $variables) {{
  {OUTCOME} }} }}"""
CASE = """query($n: String!) { case(number: $n) { status jobs { element connector state failures } } }"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, sqlite_url: str, seeded_sqlite: Path) -> Iterator[Server]:
    """The seeded store (SQLite, and PostgreSQL when configured) with the order process
    deployed and in the catalog, served in process."""
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
        seed(url)
    else:
        url = sqlite_url
        shutil.copyfile(seeded_sqlite, url.removeprefix("sqlite:///"))
    engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        assert engine.deploy(collect_sources([FIXTURES / "order_process.bpmn"]), T0).ok
        catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
        engine.publish_catalog([*catalog, ORDER], T0)
    finally:
        engine.close()
    yield from serve_in_process(url, seeded=True)


class Worker:
    """An external job worker as an integrator writes one: a gql client over HTTP."""

    def __init__(self, server: Server, name: str) -> None:
        self.server, self.name = server, name

    def activate(self, job_type: str, lock_seconds: int = 60, max_jobs: int = 5) -> list[dict[str, Any]]:
        answer = self.server.run(
            "integrator", ACTIVATE, type=job_type, worker=self.name, max=max_jobs, lock=lock_seconds
        )["activateJobs"]
        assert answer["__typename"] == "ActivatedJobsPayload", answer
        jobs: list[dict[str, Any]] = answer["jobs"]
        return jobs

    def complete(self, key: str, variables: dict[str, Any], idem: str | None = None) -> dict[str, Any]:
        done: dict[str, Any] = self.server.run(
            "integrator", COMPLETE, key=key, worker=self.name, variables=variables, idem=idem
        )["completeJob"]
        return done

    def fail(self, key: str, retries: int, error: str, backoff: int) -> dict[str, Any]:
        failed: dict[str, Any] = self.server.run(
            "integrator", FAIL, key=key, worker=self.name, retries=retries, error=error, backoff=backoff
        )["failJob"]
        return failed

    def throw(self, key: str, code: str, message: str, variables: dict[str, Any]) -> dict[str, Any]:
        thrown: dict[str, Any] = self.server.run(
            "integrator", THROW, key=key, worker=self.name, code=code, message=message, variables=variables
        )["throwJobError"]
        return thrown


def open_order(server: Server, total: int = 1250) -> str:
    opened = server.run(
        "integrator",
        OPEN,
        input={
            "serviceCode": "order_process",
            "officeId": "LPK",
            "channel": "portal",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна"},
            "data": {"order_total": total},
        },
    )["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    return str(opened["case"]["number"])


def test_a_worker_completes_fails_with_retries_and_then_succeeds_over_http(server: Server) -> None:
    number = open_order(server)
    inventory, payments, shipping = Worker(server, "inventory"), Worker(server, "payments"), Worker(server, "shipping")

    [check] = inventory.activate("checkInventory")
    assert (check["type"], check["caseNumber"], check["element"], check["retries"]) == (
        "checkInventory",
        number,
        "Task_CheckInventory",
        3,
    )
    assert check["variables"]["order_total"] == 1250, "a task with no input mapping gets the case's variables"
    assert inventory.activate("checkInventory") == [], "a locked job is not given out twice"
    done = inventory.complete(check["key"], {"in_stock": True}, idem="inventory-1")
    assert (done["__typename"], done["caseStatus"]) == ("JobOutcomePayload", "OPEN")
    again = inventory.complete(check["key"], {"in_stock": True}, idem="inventory-1")
    assert again["caseVersion"] == done["caseVersion"], "a resent outcome is recorded once"

    [charge] = payments.activate("chargePayment")
    assert charge["variables"] == {"amount": 1250, "currency": "RUB"}, "the zeebe:ioMapping input"
    failed = payments.fail(charge["key"], retries=2, error="card processor timeout", backoff=30)
    assert failed["__typename"] == "JobOutcomePayload", failed
    assert payments.activate("chargePayment") == [], "not before its backoff"
    server.clock_offset[0] = timedelta(seconds=31)
    [retry] = payments.activate("chargePayment")
    assert (retry["key"], retry["retries"]) == (charge["key"], 2)
    assert payments.complete(retry["key"], {"receipt": "R-1"})["__typename"] == "JobOutcomePayload"

    [ship] = shipping.activate("shipItems")
    assert ship["variables"]["receipt"] == "R-1"
    assert shipping.complete(ship["key"], {})["caseStatus"] == "COMPLETED"
    case = server.run("integrator", CASE, n=number)["case"]
    assert case == {"status": "COMPLETED", "jobs": []}


def test_a_bpmn_error_thrown_by_a_worker_is_caught_by_the_boundary_event(server: Server) -> None:
    number = open_order(server)
    worker = Worker(server, "inventory")
    [check] = worker.activate("checkInventory")
    thrown = worker.throw(check["key"], "OUT_OF_STOCK", "the book is sold out", {"missing": ["book"]})
    assert (thrown["__typename"], thrown["caseStatus"]) == ("JobOutcomePayload", "COMPLETED")
    assert Worker(server, "payments").activate("chargePayment") == [], "the order ended on the error path"
    assert server.run("integrator", CASE, n=number)["case"] == {"status": "COMPLETED", "jobs": []}


def test_an_error_no_boundary_catches_is_an_incident(server: Server) -> None:
    number = open_order(server)
    worker = Worker(server, "inventory")
    [check] = worker.activate("checkInventory")
    assert worker.throw(check["key"], "UNKNOWN", "no such code", {})["caseStatus"] == "OPEN"
    case = server.run("supervisor", CASE, office="LPK", n=number)["case"]
    assert case["jobs"] == [
        {"element": "Task_CheckInventory", "connector": "checkInventory", "state": "incident", "failures": 1}
    ]


def test_an_expired_lock_gives_the_job_to_a_second_worker(server: Server) -> None:
    open_order(server)
    first, second = Worker(server, "first"), Worker(server, "second")
    [job] = first.activate("checkInventory", lock_seconds=10)
    assert second.activate("checkInventory") == []
    server.clock_offset[0] = timedelta(seconds=11)
    [taken] = second.activate("checkInventory")
    assert taken["key"] == job["key"] and taken["worker"] == "second"
    refused = first.complete(job["key"], {})
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "job_not_held")
    assert second.complete(taken["key"], {})["__typename"] == "JobOutcomePayload"


def test_only_integrators_work_jobs(server: Server) -> None:
    open_order(server)
    refused = server.run("operator", ACTIVATE, office="LPK", type="checkInventory", worker="w", max=1, lock=60)
    assert refused["activateJobs"]["__typename"] == "NotAllowedError"
    bad = server.run("integrator", COMPLETE, key="no-slash", worker="w", variables={}, idem=None)["completeJob"]
    assert bad["__typename"] == "ValidationError"
