"""A user task whose model names no role (a Flowable test's assignee-only task) is open to
any staff role of its office: over GraphQL it is on every role's work list, and an
operator or a supervisor of the office claims and completes it."""

from __future__ import annotations

import time
from typing import Any

from api.auth import ROLES
from engine.bpmn.sources import collect_sources
from engine.catalog import Service, parse_catalog
from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server
from tests.api.test_end_to_end import CLAIM, COMPLETE, OPEN
from tests.conftest import FIXTURES, MASTER_KEY, ROOT, T0, Entropy

WORK_LIST = """
query Work($wanted: Role) {
  tasks(officeId: "LPK", role: $wanted) { edges { node { caseNumber element role state } } }
}"""
UNMARKED = Service("flowable_report", "Отчёт", "Тестовое ведомство", "federal", 5, ("Паспорт",), 0, "flowable_unmarked")


def deploy_unmarked(server: Server) -> None:
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        assert engine.deploy(collect_sources([FIXTURES / "structure" / "flowable_unmarked.bpmn"]), T0).ok
        shipped = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
        engine.publish_catalog([*shipped, UNMARKED], T0)
    finally:
        engine.close()


def work_list(server: Server, role: str, number: str, element: str) -> list[dict[str, Any]]:
    """The office's work list filtered by ``role`` (read by its supervisor), once the read
    models show ``element``."""
    deadline = time.monotonic() + 30
    while True:
        edges = server.run("supervisor", WORK_LIST, office="LPK", wanted=role)["tasks"]["edges"]
        mine = [e["node"] for e in edges if e["node"]["caseNumber"] == number]
        if any(t["element"] == element for t in mine) or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def test_a_task_without_a_role_is_on_every_roles_list_and_any_staff_works_it(server: Server) -> None:
    deploy_unmarked(server)
    opened = server.run(
        "integrator",
        OPEN,
        input={
            "serviceCode": "flowable_report",
            "officeId": "LPK",
            "channel": "portal",
            "applicant": {"fullName": "Кузнецова Анна Сергеевна", "document": "4215 654321"},
            "idempotencyKey": "roles-1",
        },
    )["openCase"]
    assert opened["__typename"] == "OpenCasePayload", opened
    number = opened["case"]["number"]
    [report] = opened["case"]["tasks"]
    assert report["role"] == "accountancy"
    done = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "writeReportTask", "data": {}, "idempotencyKey": "roles-2"},
    )["completeTask"]
    assert done["__typename"] == "CasePayload", done
    [verify] = done["case"]["tasks"]  # the bare task between them passed straight through
    # The Role enum is api.auth.ROLES: the expert role is on it once tokens carry it (issue 17).
    for role in [r for r in ("operator", "expert", "supervisor") if r in ROLES]:
        assert [(t["element"], t["role"]) for t in work_list(server, role.upper(), number, "verifyReportTask")] == [
            ("verifyReportTask", None)
        ], role
    claimed = server.run(
        "supervisor",
        CLAIM,
        office="LPK",
        input={"caseNumber": number, "taskId": verify["taskId"], "idempotencyKey": "roles-3"},
    )["claimTask"]
    assert claimed["__typename"] == "CasePayload", claimed
    done = server.run(
        "supervisor",
        COMPLETE,
        office="LPK",
        input={"caseNumber": number, "element": "verifyReportTask", "data": {}, "idempotencyKey": "roles-4"},
    )["completeTask"]
    assert done["__typename"] == "CasePayload" and done["case"]["status"] == "COMPLETED", done
