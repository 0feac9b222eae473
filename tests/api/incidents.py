"""Incidents made as they happen in an office: a property case whose state-fee check an
external worker failed with no retries left (shared by the API's and the pages' tests)."""

from __future__ import annotations

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, open_property_case
from tests.api.test_external_workers import ACTIVATE, FAIL

OFFICE = "LPK"
INCIDENTS = """query($o: String) { incidents(officeId: $o) { caseNumber taskId } }"""
RETRY = """mutation($input: TaskInput!) { retryIncident(input: $input) { __typename } }"""
RECEPTION_DATA = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20"}


def make_incident(server: Server, key: str) -> dict[str, str]:
    """A case whose fee check an external worker failed with no retries left: an incident."""
    number = str(open_property_case(server, key)["case"]["number"])
    done = server.run(
        "operator",
        COMPLETE,
        office=OFFICE,
        input={"caseNumber": number, "element": "Task_Reception", "data": RECEPTION_DATA},
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    jobs = server.run("integrator", ACTIVATE, type="payment_check", worker="treasury", max=100, lock=60)
    [job] = [j for j in jobs["activateJobs"]["jobs"] if j["caseNumber"] == number]
    failed = server.run(
        "integrator", FAIL, key=job["key"], worker="treasury", retries=0, error="ГИС ГМП: 503", backoff=0
    )["failJob"]
    assert failed["__typename"] == "JobOutcomePayload", failed
    [incident] = [
        i
        for i in server.run("supervisor", INCIDENTS, office=OFFICE, o=OFFICE)["incidents"]
        if i["caseNumber"] == number
    ]
    shown: dict[str, str] = incident
    return shown
