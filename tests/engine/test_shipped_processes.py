"""The shipped services behave as their regulations say, through the real engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.application import Engine
from engine.catalog import parse_catalog
from engine.errors import InvalidTaskData
from tests.conftest import ROOT, EngineMaker, at, seeded, shipped_sources, work_jobs


@pytest.fixture
def engine(engines: EngineMaker) -> Iterator[Engine]:
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    yield seeded(engines(), shipped_sources(), catalog)


def open_case(engine: Engine, service: str) -> str:
    return engine.open_case(
        service=service, office="LPK", channel="window", applicant={"full_name": "А. Б."}, actor="LPK/operator", at=at()
    ).number


def test_the_catalog_names_at_least_thirty_services_and_several_share_a_process() -> None:
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    assert len(catalog) >= 30
    assert all(len([s for s in catalog if s.process == s0.process]) > 1 for s0 in catalog)
    assert {s.process for s in catalog} >= {
        "property_registration",
        "foreign_passport",
        "migration_registration",
        "child_benefit",
        "rosreestr_extract",
        "mvd_passport",
        "mvd_certificate",
        "fns_registration",
        "fns_request",
        "sfr_snils",
        "sfr_payment",
        "zags_certificate",
        "zags_registration",
        "social_benefit",
        "municipal_land",
        "municipal_permit",
        "municipal_housing",
        "municipal_archive",
        "partner_service",
    }


def test_data_taken_at_reception_reaches_the_package_sent_the_next_day(engine: Engine) -> None:
    number = open_case(engine, "rosreestr_ownership")
    engine.complete_task(
        number,
        "Task_Reception",
        {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:20:0012345:67"},
        actor="op",
        at=at(10),
    )
    work_jobs(engine, at(11))  # the state fee is found paid in ГИС ГМП
    case = engine.complete_task(number, "Task_SendPackage", {"package_number": "P-1"}, actor="expert", at=at(days=1))
    sent = case.last_effects["messages_sent"]
    assert sent[0]["name"] == "rosreestr_package"
    assert sent[0]["payload"]["cadastral_number"] == "48:20:0012345:67"
    assert sent[0]["payload"]["fee_paid"] is True
    assert case.awaiting == ["rosreestr_decision"]
    assert case.stage == "Рассмотрение в Росреестре"


def test_an_enum_field_takes_only_its_options(engine: Engine) -> None:
    number = open_case(engine, "rosreestr_ownership")
    with pytest.raises(InvalidTaskData, match="property_kind: must be one of flat, house, land, nonresidential"):
        engine.complete_task(
            number,
            "Task_Reception",
            {"documents_complete": True, "property_kind": "castle", "cadastral_number": "1"},
            actor="op",
            at=at(10),
        )


def test_the_child_benefit_asks_two_agencies_at_once_and_decides_by_its_table(engine: Engine) -> None:
    service = next(
        s.code
        for s in parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
        if s.process == "child_benefit"
    )
    number = open_case(engine, service)
    case = engine.complete_task(
        number,
        "Task_Reception",
        {
            "children_count": 3,
            "family_income": 30_000,
            "family_size": 5,
            "youngest_child_age": 1,
            "resident_of_region": True,
        },
        actor="op",
        at=at(10),
    )
    assert sorted(m["name"] for m in case.last_effects["messages_sent"]) == ["fns_income_request", "zags_birth_request"]
    assert case.awaiting == ["fns_income_response", "zags_birth_response"]
    engine.deliver_message(number, "fns_income_response", {"income_confirmed": True}, actor="fns", at=at(days=1))
    case = engine.deliver_message(number, "zags_birth_response", {"confirmed": True}, actor="zags", at=at(days=2))
    assert [t["element"] for t in case.open_tasks] == ["Task_Grant"]
    assert case.open_tasks[0]["role"] == "expert"


def test_an_unpaid_fee_sends_the_applicant_back_to_pay(engine: Engine) -> None:
    number = open_case(engine, "mvd_foreign_passport_biometric")
    engine.complete_task(
        number,
        "Task_Reception",
        {"passport_kind": "biometric", "applicant_under_14": False, "payment_uin": "1"},
        actor="op",
        at=at(10),
    )
    case = engine.deliver_message(number, "gisgmp_payment_status", {"paid": False}, actor="gisgmp", at=at(20))
    assert [t["element"] for t in case.open_tasks] == ["Task_RequestPayment"]


def test_the_package_must_leave_within_two_working_days_and_rosreestr_is_reminded_after_nine(engine: Engine) -> None:
    from projections.case_queries import work_list
    from projections.reader import Reader
    from projections.runner import Projector

    number = open_case(engine, "rosreestr_ownership")  # opened on Monday 2 November 2026
    case = engine.complete_task(
        number,
        "Task_Reception",
        {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:1"},
        actor="op",
        at=at(10),
    )
    work_jobs(engine, at(11))
    case = engine.get_case(number)
    assert case.open_tasks[0]["element"] == "Task_SendPackage"
    assert case.open_tasks[0]["due"] == "2026-11-05"  # 4 November is a holiday
    projector = Projector(engine)
    projector.catch_up()
    assert work_list(Reader(projector), "LPK").rows[0].due_day == "2026-11-05"
    case = engine.complete_task(number, "Task_SendPackage", {"package_number": "P-1"}, actor="op", at=at(20))
    assert case.timers[0]["element"] == "Timer_DecisionOverdue"
    assert case.timers[0]["due"].startswith("2026-11-16")  # 9 working days later
    case = engine.fire_timer(number, "Timer_DecisionOverdue", at=at(days=14, minutes=30))
    assert [m["name"] for m in case.last_effects["messages_sent"]] == ["rosreestr_reminder"]
    assert case.awaiting == ["rosreestr_decision"] and case.stage == "Рассмотрение в Росреестре"
    engine.deliver_message(number, "rosreestr_decision", {"decision": "registered"}, actor="rosreestr", at=at(days=15))
    work_jobs(engine, at(days=15, minutes=1))  # the applicant is told by SMS
    case = engine.get_case(number)
    assert case.stage == "Готово к выдаче" and case.timers[0]["element"] == "Timer_Unclaimed"


# The fields of the shipped forms that are an applicant's personal data (issue 18): what
# identifies the person, their home or property, their family and their payments. The
# rest (yes/no checks of the office, enums of kinds and grounds, the agency's own register
# and decision numbers) is the process's record, which auditors keep after shredding.
PERSONAL_FIELDS = {
    "child_benefit": {
        "Task_Reception": {
            "children_count",
            "family_income",
            "family_size",
            "youngest_child_age",
            "resident_of_region",
        },
    },
    "foreign_passport": {
        "Task_Reception": {"applicant_under_14", "payment_uin"},
        "Task_RequestPayment": {"payment_uin"},
    },
    "migration_registration": {"Task_Reception": {"address", "persons_count"}},
    "social_benefit": {
        "Task_Application": {"family_size", "family_income", "children_count", "resident_of_region"},
    },
    "property_registration": {"Task_Reception": {"cadastral_number"}},
}


@pytest.mark.parametrize("process", sorted(PERSONAL_FIELDS))
def test_the_shipped_forms_mark_the_applicants_personal_fields(engine: Engine, process: str) -> None:
    marked = {
        task.id: {f.id for f in task.form.fields if f.personal}
        for task in engine.user_tasks(process)
        if task.form is not None and any(f.personal for f in task.form.fields)
    }
    assert marked == PERSONAL_FIELDS[process]
