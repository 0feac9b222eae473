"""The authorization matrix: each role against each operation. Office staff (operators,
experts, supervisors) act only in their own office, and work only tasks of their role;
analysts deploy; auditors read every case's history; integrators open cases and deliver
messages; track needs no token."""

from __future__ import annotations

from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from tests.api.conftest import Server
from tests.api.test_end_to_end import open_property_case
from tests.conftest import FIXTURES

CALLERS = {
    "operator": ("operator", "LPK"),
    "other_office_operator": ("operator", "ELC"),
    "supervisor": ("supervisor", "LPK"),
    "expert": ("expert", "LPK"),
    "analyst": ("analyst", None),
    "auditor": ("auditor", None),
    "integrator": ("integrator", None),
    "anonymous": (None, None),
}
MUTATION_RESULT = "{ __typename ... on NotAllowedError { message } }"

# operation -> who may do it
ALLOWED: dict[str, set[str]] = {
    "openCase": {"operator", "supervisor", "integrator"},
    "claimTask": {"operator"},  # Task_Reception: the operator's (candidateGroups)
    "completeTask": {"operator"},
    "releaseTask": {"operator", "expert", "supervisor"},  # then refused only as unclaimed
    "reassignTask": {"supervisor"},
    "deliverMessage": {"integrator"},
    "withdrawCase": {"operator", "supervisor", "integrator"},
    "rateVisit": {"integrator"},
    "deployProcess": {"analyst"},
    "acknowledgeMessage": {"integrator"},
    "outbox": {"integrator", "auditor"},
    "retryIncident": {"supervisor"},
    "markNotificationSent": {"integrator"},
    "incidents": {"supervisor", "auditor"},
    "notifications": {"integrator"},
    "case": {"operator", "expert", "supervisor", "auditor", "integrator"},
    "case.history": {"operator", "expert", "supervisor", "auditor"},
    "case.applicant": {"operator", "expert", "supervisor", "auditor"},
    "cases": {"operator", "expert", "supervisor", "auditor", "integrator", "other_office_operator"},
    "tasks": {"operator", "expert", "supervisor"},
    "office.dashboard": {"operator", "expert", "supervisor", "auditor"},
    "statistics": {"supervisor", "auditor", "analyst"},
    "officeRanking": {"supervisor", "auditor", "analyst"},
    "rankingFormula": {"supervisor", "auditor", "analyst"},
    "track": set(CALLERS),
    "services": set(CALLERS),
    "slots": set(CALLERS),
    "appointment": {"operator", "supervisor", "integrator"},
    "queue": {"operator", "supervisor", "integrator"},
    # A citizen books without a token (api.citizens): refused then only for what it left out.
    "bookAppointment": {"operator", "supervisor", "integrator", "anonymous"},
    "cancelAppointment": {"operator", "supervisor", "integrator"},
    "rescheduleAppointment": {"operator", "supervisor", "integrator"},
    "issueTicket": {"operator", "supervisor", "integrator"},
    "callNextTicket": {"operator", "supervisor"},
    "endVisit": {"operator", "supervisor"},
}


def attempt(server: Server, caller: str, operation: str, case: dict[str, Any], pin: str) -> bool:
    """True when the operation was allowed (whatever else it said), False when refused."""
    role, office = CALLERS[caller]
    number, task = case["number"], case["tasks"][0]["taskId"]
    mutations = {
        "openCase": (
            "openCase",
            {
                "serviceCode": "rosreestr_ownership",
                "officeId": "LPK",
                "channel": "window",
                "applicant": {"fullName": "Тест"},
            },
        ),
        "claimTask": ("claimTask", {"caseNumber": number, "taskId": task}),
        "releaseTask": ("releaseTask", {"caseNumber": number, "taskId": task}),
        "reassignTask": ("reassignTask", {"caseNumber": number, "taskId": task, "holder": "LPK/test-operator"}),
        "completeTask": ("completeTask", {"caseNumber": number, "element": "Task_Reception", "data": {}}),
        "deliverMessage": ("deliverMessage", {"caseNumber": number, "name": "rosreestr_decision", "payload": {}}),
        "withdrawCase": ("withdrawCase", {"caseNumber": number, "reason": "проверка прав"}),
        "rateVisit": (
            "rateVisit",
            {"caseNumber": number, "waitingTime": 9, "staff": 5, "premises": 5, "information": 5},
        ),
        "acknowledgeMessage": ("acknowledgeMessage", {"caseNumber": number, "message": 1, "reference": "R-1"}),
        "retryIncident": ("retryIncident", {"caseNumber": number, "taskId": task}),
        "markNotificationSent": ("markNotificationSent", {"key": "no-such-notification"}),
        "bookAppointment": (
            "bookAppointment",
            {
                "officeId": "LPK",
                "serviceCode": "rosreestr_ownership",
                "slotId": "LPK/40/2026-11-03T10:00",
                "channel": "portal",
            },
        ),
        "cancelAppointment": ("cancelAppointment", {"code": "LPK-20261103-001", "reason": "проверка прав"}),
        "rescheduleAppointment": (
            "rescheduleAppointment",
            {"code": "LPK-20261103-001", "slotId": "LPK/40/2026-11-03T11:00"},
        ),
        "issueTicket": ("issueTicket", {"officeId": "LPK", "serviceCode": "mvd_passport"}),
        "callNextTicket": ("callNextTicket", {"officeId": "LPK", "window": 1}),
        "endVisit": ("endVisit", {"ticketId": "LPK-20261103-А001", "outcome": "consultation"}),
        "deployProcess": (
            "deployProcess",
            {"files": [{"name": "mini.bpmn", "text": (FIXTURES / "mini.bpmn").read_text("utf-8")}]},
        ),
    }
    queries = {
        "case": ("query($n: String!) { case(number: $n) { number } }", {"n": number}),
        "case.history": ("query($n: String!) { case(number: $n) { history { version } } }", {"n": number}),
        "case.applicant": ("query($n: String!) { case(number: $n) { applicant { fullName } } }", {"n": number}),
        "cases": ("{ cases(first: 5) { edges { node { number } } } }", {}),
        "tasks": ('{ tasks(officeId: "LPK") { edges { node { taskId } } } }', {}),
        "office.dashboard": ('{ office(id: "LPK") { dashboard { openCases } } }', {}),
        "statistics": ('{ statistics(month: "2026-11") { service } }', {}),
        "officeRanking": ('{ officeRanking(since: "2026-11-01", until: "2026-11-30") { rank } }', {}),
        "rankingFormula": ("{ rankingFormula { priorWeight } }", {}),
        "track": ("query($n: String!, $p: String!) { track(number: $n, pin: $p) { stage } }", {"n": number, "p": pin}),
        "services": ("{ services { code } }", {}),
        "outbox": ("{ outbox { edges { node { message } } } }", {}),
        "incidents": ('{ incidents(officeId: "LPK") { taskId } }', {}),
        "notifications": ("{ notifications { edges { node { key } } } }", {}),
        "slots": (
            '{ slots(officeId: "LPK", serviceCode: "mvd_passport", from: "2026-11-03", to: "2026-11-03") { id } }',
            {},
        ),
        "appointment": ('{ appointment(code: "LPK-20261103-001") { code } }', {}),
        "queue": ('{ queue(officeId: "LPK") { done } }', {}),
    }
    if operation in mutations:
        name, payload = mutations[operation]
        input_type = {
            "openCase": "OpenCaseInput",
            "claimTask": "TaskInput",
            "releaseTask": "TaskInput",
            "reassignTask": "ReassignTaskInput",
            "completeTask": "CompleteTaskInput",
            "deliverMessage": "DeliverMessageInput",
            "withdrawCase": "WithdrawCaseInput",
            "rateVisit": "RateVisitInput",
            "deployProcess": "DeployProcessInput",
            "acknowledgeMessage": "AcknowledgeMessageInput",
            "retryIncident": "TaskInput",
            "markNotificationSent": "NotificationSentInput",
            "bookAppointment": "BookAppointmentInput",
            "cancelAppointment": "CancelAppointmentInput",
            "issueTicket": "IssueTicketInput",
            "rescheduleAppointment": "RescheduleAppointmentInput",
            "endVisit": "EndVisitInput",
            "callNextTicket": "CallNextTicketInput",
        }[name]
        query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {MUTATION_RESULT} }}"
        try:
            result = server.run(role, query, office=office, input=payload)[name]
        except TransportQueryError as error:
            assert "bearer token" in str(error), error
            return False
        return bool(result["__typename"] != "NotAllowedError")
    query, variables = queries[operation]
    try:
        server.run(role, query, office=office, **variables)
    except TransportQueryError as error:
        if "may not" in str(error) or "bearer token" in str(error):
            return False
        raise
    return True


# A case opened per caller per operation (8 × 35): the quick loop asks a few of each kind
# (a staff command, a read of personal data, an integrator's, an analyst's); the README's
# command asks them all.
QUICK = {"completeTask", "case", "issueTicket", "deployProcess"}


@pytest.mark.parametrize(
    "operation", [o if o in QUICK else pytest.param(o, marks=pytest.mark.slow) for o in sorted(ALLOWED)]
)
def test_each_role_may_do_exactly_what_it_needs(server: Server, operation: str) -> None:
    allowed = set()
    for caller in CALLERS:
        opened = open_property_case(server, key=f"{operation}-{caller}")
        if attempt(server, caller, operation, opened["case"], opened["pin"]):
            allowed.add(caller)
    assert allowed == ALLOWED[operation]
