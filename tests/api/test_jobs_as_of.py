"""`case(number, asOf)` shows the case's jobs as they stood then, rebuilt from its events
like its tasks: a fee check the worker has since completed still shows as due then."""

from __future__ import annotations

import time
from datetime import timedelta

from tests.api.conftest import Server
from tests.api.test_end_to_end import COMPLETE, open_property_case

CASE_AS_OF = """query($n: String!, $asOf: DateTime) {
  case(number: $n, asOf: $asOf) { version jobs { element connector state failures } } }"""


def test_a_case_as_of_a_moment_shows_the_jobs_it_waited_on_then(server: Server) -> None:
    number = str(open_property_case(server, "jobs-as-of")["case"]["number"])
    done = server.run(
        "operator",
        COMPLETE,
        office="LPK",
        input={
            "caseNumber": number,
            "element": "Task_Reception",
            "data": {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:5"},
        },
    )
    assert done["completeTask"]["__typename"] == "CasePayload", done
    waiting = (server.now() + timedelta(seconds=1)).isoformat()
    server.clock_offset[0] = timedelta(minutes=5)  # the worker comes to it later
    assert server.work_jobs().completed == 1  # ГИС ГМП: paid

    for _ in range(100):  # the worker wrote from another process: the server's read models follow within a poll
        now = server.run("auditor", CASE_AS_OF, n=number, asOf=None)["case"]
        if not now["jobs"]:
            break
        time.sleep(0.1)
    assert now["jobs"] == [], "the fee check is done"
    then = server.run("auditor", CASE_AS_OF, n=number, asOf=waiting)["case"]
    assert then["version"] < now["version"]
    assert then["jobs"] == [{"element": "Task_CheckFee", "connector": "payment_check", "state": "due", "failures": 0}]
