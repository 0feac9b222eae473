"""Record case histories to check in under tests/histories/.

Run by hand when a new scenario is added: ``python -m tests.histories.record``. Each
file holds the process version the case was pinned to (its BPMN/DMN content) and every
event's input and effects. The test suite replays them on every run, so a change that
makes the engine non-deterministic, or changes what an input does to a pinned version,
fails there. Never re-record to make a failing replay pass: find out what changed.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.application import Engine
from engine.catalog import Service
from engine.replay import opened_records
from tests.conftest import at, make_engine_factory, mini_sources, seeded, shipped_sources

HERE = Path(__file__).resolve().parent
Scenario = Callable[[Engine], str]


def open_case(engine: Engine, process: str, key: str) -> str:
    return engine.open_case(
        service=f"svc_{process}",
        office="LPK",
        channel="window",
        applicant={"full_name": "Сидоров С. С."},
        actor="LPK/operator",
        at=at(),
        idempotency_key=key,
    ).number


def mini_handed_out(engine: Engine) -> str:
    number = open_case(engine, "mini", "mini-handed-out")
    engine.complete_task(number, "Task_Reception", {"documents_complete": True, "pages": 3}, actor="op", at=at(12))
    engine.deliver_message(number, "agency_answer", {"decision": "ok"}, actor="agency", at=at(days=4))
    engine.complete_task(number, "Task_Handout", {}, actor="op", at=at(days=6))
    return number


def mini_unclaimed(engine: Engine) -> str:
    number = open_case(engine, "mini", "mini-unclaimed")
    engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(12))
    engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=4))
    engine.fire_timer(number, "Timer_Unclaimed", at=at(days=35))
    return number


def property_suspended_then_issued(engine: Engine) -> str:
    number = open_case(engine, "property_registration", "property-suspended")
    engine.complete_task(
        number,
        "Task_Reception",
        {
            "applicant_present": True,
            "documents_complete": True,
            "property_kind": "flat",
            "cadastral_number": "48:20:0012345:67",
            "fee_paid": True,
        },
        actor="LPK/operator",
        at=at(15),
    )
    engine.complete_task(
        number, "Task_SendPackage", {"package_number": "PKG-2026-0001"}, actor="LPK/expert", at=at(days=1)
    )
    engine.deliver_message(number, "rosreestr_decision", {"decision": "suspended"}, actor="rosreestr", at=at(days=4))
    engine.complete_task(
        number,
        "Task_Suspension",
        {"applicant_notified": True, "additional_documents_received": True},
        actor="LPK/operator",
        at=at(days=6),
    )
    engine.deliver_message(number, "rosreestr_decision", {"decision": "registered"}, actor="rosreestr", at=at(days=9))
    engine.complete_task(number, "Task_Handout", {"handed_over": True}, actor="LPK/operator", at=at(days=11))
    return number


def property_unclaimed_returned(engine: Engine) -> str:
    number = open_case(engine, "property_registration", "property-unclaimed")
    engine.complete_task(
        number,
        "Task_Reception",
        {"documents_complete": True, "property_kind": "land", "cadastral_number": "48:02:0000000:1"},
        actor="LPK/operator",
        at=at(15),
    )
    engine.complete_task(
        number, "Task_SendPackage", {"package_number": "PKG-2026-0002"}, actor="LPK/expert", at=at(days=1)
    )
    engine.deliver_message(number, "rosreestr_decision", {"decision": "registered"}, actor="rosreestr", at=at(days=5))
    engine.fire_timer(number, "Timer_Unclaimed", at=at(days=36))
    engine.complete_task(
        number, "Task_ReturnToAgency", {"return_register_number": "RET-17"}, actor="LPK/expert", at=at(days=37)
    )
    return number


def property_fee_incident_then_issued(engine: Engine) -> str:
    """Service tasks: the fee check fails through a treasury outage until it is an incident,
    a supervisor retries it, the check answers; the SMS fails once and then goes out."""
    number = open_case(engine, "property_registration", "property-fee-incident")
    case = engine.complete_task(
        number,
        "Task_Reception",
        {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:99"},
        actor="LPK/operator",
        at=at(15),
    )
    fee = case.open_jobs[0]["task"]
    for minutes in (16, 27, 48, 89, 170):
        engine.fail_job(
            number, fee, "ГИС ГМП: сервис временно недоступен (503)", actor="worker/payment_check", at=at(minutes)
        )
    engine.retry_incident(number, fee, actor="LPK/supervisor", at=at(days=1))
    engine.complete_job(
        number, fee, {"fee_paid": True, "fee_paid_amount": 2000}, actor="worker/payment_check", at=at(days=1, minutes=1)
    )
    engine.complete_task(
        number, "Task_SendPackage", {"package_number": "PKG-2026-0009"}, actor="LPK/expert", at=at(days=1, minutes=30)
    )
    case = engine.deliver_message(
        number, "rosreestr_decision", {"decision": "registered"}, actor="rosreestr", at=at(days=6)
    )
    sms = case.open_jobs[0]["task"]
    engine.fail_job(number, sms, "SMS gateway timed out", actor="worker/sms", at=at(days=6, minutes=1))
    engine.complete_job(number, sms, {"sms_sent": True}, actor="worker/sms", at=at(days=6, minutes=7))
    engine.complete_task(number, "Task_Handout", {"handed_over": True}, actor="LPK/operator", at=at(days=8))
    return number


def passport_unpaid_then_issued(engine: Engine) -> str:
    number = open_case(engine, "foreign_passport", "passport-unpaid")
    engine.complete_task(
        number,
        "Task_Reception",
        {
            "passport_kind": "biometric",
            "applicant_under_14": False,
            "payment_uin": "18810000000000000001",
            "photo_taken": True,
        },
        actor="LPK/operator",
        at=at(20),
    )
    engine.deliver_message(number, "gisgmp_payment_status", {"paid": False}, actor="gisgmp", at=at(30))
    engine.complete_task(
        number, "Task_RequestPayment", {"payment_uin": "18810000000000000002"}, actor="LPK/operator", at=at(days=1)
    )
    engine.deliver_message(number, "gisgmp_payment_status", {"paid": True}, actor="gisgmp", at=at(days=1, minutes=5))
    engine.deliver_message(number, "mvd_decision", {"decision": "issued"}, actor="mvd", at=at(days=20))
    engine.complete_task(
        number,
        "Task_Handout",
        {"handed_over": True, "old_passport_cancelled": True},
        actor="LPK/operator",
        at=at(days=22),
    )
    return number


def migration_registered(engine: Engine) -> str:
    number = open_case(engine, "migration_registration", "migration-registered")
    engine.complete_task(
        number,
        "Task_Reception",
        {
            "address": "г. Липецк, ул. Советская, д. 1, кв. 2",
            "owner_consent": True,
            "basis": "ownership",
            "persons_count": 2,
        },
        actor="LPK/operator",
        at=at(10),
    )
    engine.complete_task(number, "Task_SendPackage", {"package_number": "MVD-77"}, actor="LPK/expert", at=at(90))
    engine.deliver_message(number, "mvd_registration_decision", {"decision": "registered"}, actor="mvd", at=at(days=2))
    engine.complete_task(
        number, "Task_Handout", {"handed_over": True, "passport_stamped": True}, actor="LPK/operator", at=at(days=3)
    )
    return number


def child_benefit_granted(engine: Engine) -> str:
    number = open_case(engine, "child_benefit", "benefit-granted")
    engine.complete_task(
        number,
        "Task_Reception",
        {
            "children_count": 3,
            "family_income": 36_000,
            "family_size": 5,
            "youngest_child_age": 2,
            "resident_of_region": True,
        },
        actor="LPK/operator",
        at=at(25),
    )
    engine.deliver_message(number, "zags_birth_response", {"confirmed": True}, actor="zags", at=at(days=1))
    engine.deliver_message(number, "fns_income_response", {"income_confirmed": True}, actor="fns", at=at(days=2))
    engine.complete_task(
        number,
        "Task_Grant",
        {"decision_number": "СЗН-2026-15", "payment_start": "2026-12-01"},
        actor="LPK/expert",
        at=at(days=3),
    )
    return number


def child_benefit_refused(engine: Engine) -> str:
    number = open_case(engine, "child_benefit", "benefit-refused")
    engine.complete_task(
        number,
        "Task_Reception",
        {
            "children_count": 1,
            "family_income": 150_000,
            "family_size": 3,
            "youngest_child_age": 7,
            "resident_of_region": True,
        },
        actor="LPK/operator",
        at=at(25),
    )
    engine.deliver_message(number, "fns_income_response", {"income_confirmed": True}, actor="fns", at=at(days=1))
    engine.deliver_message(number, "zags_birth_response", {"confirmed": True}, actor="zags", at=at(days=2))
    engine.complete_task(
        number,
        "Task_Refuse",
        {"decision_number": "СЗН-2026-16", "refusal_reason": "income_above_minimum"},
        actor="LPK/expert",
        at=at(days=3),
    )
    return number


# The property scenarios before property_fee_incident_then_issued were recorded on the
# version without service tasks: their files pin that version and keep replaying it.
SCENARIOS: dict[str, Scenario] = {
    "property_fee_incident_then_issued": property_fee_incident_then_issued,
    "property_suspended_then_issued": property_suspended_then_issued,
    "property_unclaimed_returned": property_unclaimed_returned,
    "passport_unpaid_then_issued": passport_unpaid_then_issued,
    "migration_registered": migration_registered,
    "child_benefit_granted": child_benefit_granted,
    "child_benefit_refused": child_benefit_refused,
    "mini_handed_out": mini_handed_out,
    "mini_unclaimed": mini_unclaimed,
}


def record(scenarios: dict[str, Scenario], folder: Path) -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        make, made = make_engine_factory(f"sqlite:///{tmp}/okno.sqlite")
        engine = make()
        processes = {"mini", "property_registration", "foreign_passport", "migration_registration", "child_benefit"}
        services = [Service(f"svc_{p}", p, "Ведомство", "federal", 9, (), 0, p) for p in sorted(processes)]
        seeded(engine, mini_sources() + shipped_sources(), services)
        for name, scenario in scenarios.items():
            number = scenario(engine)
            events = list(engine.case_events(number))
            first: Any = events[0]
            history = {
                "scenario": name,
                "number": number,
                "case_id": str(first.originator_id),
                "process_version": first.process_version,
                "bundle": engine.steps.library.get(first.process_version).bundle.to_dict(),
                "events": [r.to_dict() for r in opened_records(engine.steps, events)[0]],  # checked in opened
            }
            path = folder / f"{name}.json"
            path.write_text(json.dumps(history, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            written.append(path)
        for each in made:
            each.close()
    return written


if __name__ == "__main__":
    import sys

    chosen = {name: SCENARIOS[name] for name in sys.argv[1:]} or SCENARIOS
    for path in record(chosen, HERE):
        print(path.relative_to(HERE.parent.parent))
