"""The systems around an МФЦ as the end-to-end test runs them: the treasury's payment
gateway (ГИС ГМП), the agencies answering through СМЭВ and the SMS gateway, in a thread
of their own that reaches okno only through its GraphQL API with an integrator's token
(activateJobs / completeJob / failJob, Case.awaitedMessages, deliverMessage), never
through okno's own worker. Each answer is given when the test asks for it, so the
citizen's page can be looked at between two stages."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from jsonschema import Draft202012Validator

T = TypeVar("T")
WAIT_SECONDS = 30  # for a job or an awaited message to show up in okno's read models

ACTIVATE = """mutation($type: String!, $worker: String!) {
  activateJobs(type: $type, worker: $worker, maxJobs: 10, lockSeconds: 60) {
    __typename
    ... on ActivatedJobsPayload { jobs { key type caseNumber element variables retries } }
    ... on Error { message code } } }"""
OUTCOME = "__typename ... on JobOutcomePayload { caseNumber caseStatus } ... on Error { message code }"
COMPLETE = f"""mutation($key: String!, $worker: String!, $variables: JSON) {{
  completeJob(key: $key, worker: $worker, variables: $variables) {{ {OUTCOME} }} }}"""
FAIL = f"""mutation($key: String!, $worker: String!, $error: String!) {{
  failJob(key: $key, worker: $worker, retries: 0, errorMessage: $error) {{ {OUTCOME} }} }}"""
AWAITED = """query($number: String!) { case(number: $number) {
  awaitedMessages { name direction payloadSchema } } }"""
DELIVER = """mutation($input: DeliverMessageInput!) { deliverMessage(input: $input) {
  __typename ... on CasePayload { case { stage } } ... on Error { message code } } }"""

TREASURY = "gis-gmp-gateway"
SMS_GATEWAY = "sms-gateway"


class ExternalWorker:
    """Another organisation's program: one thread, plain HTTP to /graphql."""

    def __init__(self, okno_url: str, integrator_token: str) -> None:
        self.http = httpx.Client(base_url=okno_url, headers={"Authorization": f"Bearer {integrator_token}"}, timeout=30)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="external-worker")

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        self.http.close()

    def do(self, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one step in the worker's thread and wait for its answer."""
        return self.thread.submit(step, *args, **kwargs).result(timeout=2 * WAIT_SECONDS)

    def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.http.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = answer.json()
        assert answer.status_code == 200 and not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    def job(self, job_type: str, number: str, worker: str) -> dict[str, Any]:
        """Activate the case's job of ``job_type`` once okno gives it out."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            answer = self.ask(ACTIVATE, type=job_type, worker=worker)["activateJobs"]
            assert answer["__typename"] == "ActivatedJobsPayload", answer
            jobs: list[dict[str, Any]] = answer["jobs"]
            assert all(job["caseNumber"] == number for job in jobs), f"another case's {job_type} job: {jobs}"
            if jobs:
                return jobs[0]
            time.sleep(0.2)
        raise AssertionError(f"no {job_type} job for case {number} within {WAIT_SECONDS} s")

    def pay_state_fee(self, number: str) -> int:
        """ГИС ГМП: the fee the job asks about is paid in full; the roubles paid."""
        job = self.job("payment_check", number, TREASURY)
        amount = int(job["variables"]["amount"])
        self.outcome(COMPLETE, key=job["key"], worker=TREASURY, variables={"fee_paid": True, "fee_paid_amount": amount})
        return amount

    def fail_state_fee(self, number: str) -> None:
        """ГИС ГМП is down and the gateway gives up: no retries left, an incident."""
        job = self.job("payment_check", number, TREASURY)
        self.outcome(FAIL, key=job["key"], worker=TREASURY, error="ГИС ГМП: сервис временно недоступен (503)")

    def send_sms(self, number: str) -> None:
        job = self.job("sms", number, SMS_GATEWAY)
        assert job["variables"]["template"] == "result_ready", job
        self.outcome(COMPLETE, key=job["key"], worker=SMS_GATEWAY, variables={})

    def outcome(self, mutation: str, **variables: Any) -> None:
        [answer] = self.ask(mutation, **variables).values()
        assert answer["__typename"] == "JobOutcomePayload", answer

    def answer(self, number: str, message: str, **chosen: Any) -> dict[str, Any]:
        """An agency's answer to a message the case waits for: built from the payload schema
        okno publishes for it (Case.awaitedMessages), ``chosen`` values where given; the
        payload sent."""
        deadline = time.monotonic() + WAIT_SECONDS
        schema: dict[str, Any] | None = None
        while schema is None:
            assert time.monotonic() < deadline, f"case {number} never waited for {message}"
            awaited = self.ask(AWAITED, number=number)["case"]["awaitedMessages"]
            schema = next((m["payloadSchema"] for m in awaited if m["name"] == message), None)
            if schema is None:
                time.sleep(0.2)
        payload = {name: chosen.get(name, example(schema["properties"][name])) for name in schema.get("required", [])}
        payload.update(chosen)
        Draft202012Validator(schema).validate(payload)
        delivered = self.ask(
            DELIVER,
            input={"caseNumber": number, "name": message, "payload": payload, "idempotencyKey": f"{number}-{message}"},
        )["deliverMessage"]
        assert delivered["__typename"] == "CasePayload", delivered
        return payload


def example(schema: dict[str, Any]) -> Any:
    """A value a property's schema allows: its first enum value, else one of its type."""
    if "enum" in schema:
        return schema["enum"][0]
    kinds = schema.get("type", "string")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    return {"boolean": True, "string": "да", "integer": 1, "number": 1, "object": {}, "array": []}[kind]
