"""The common called processes (processes/mfc_*.bpmn) inside a real case: a small agency
process built only from them (tests/fixtures/flows/mfc_caller.bpmn) is deployed with them,
opened for catalog services, and driven as staff, workers and agencies would; the citizen's
view (track, the cases read model) and the timer worker's (due timers) see the stages and
timers of the called processes as the case's own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.application import Engine
from engine.bpmn.library import CompiledProcess, compile_bundle
from engine.bpmn.sources import collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.connectors import ConnectorCall, ConnectorError
from engine.connectors.payments import payment_check
from engine.run_model import ScriptInvalid, load_script, run_services
from projections.case_queries import case_status
from projections.reader import Reader
from projections.runner import Projector
from projections.timers import due_timers
from tests.conftest import FIXTURES, OFFICE, ROOT, T0, EngineMaker, at

COMMON = sorted((ROOT / "processes").glob("mfc_*"))
CALLER = FIXTURES / "flows" / "mfc_caller.bpmn"
APPLICANT = {"full_name": "Петров Пётр Петрович", "document": "4210 654321"}
ACTOR = "LPK/operator"


def service(code: str, fee: int, agency: str = "ФНС России", **parameters: str) -> Service:
    return Service(
        code, f"Услуга {code}", agency, "federal", 5, ("Паспорт",), fee, "mfc_caller", parameters=dict(parameters)
    )


FREE = service("free_certificate", 0, kind="birth")
PAID = service("paid_registration", 300)


def caller() -> CompiledProcess:
    plan = validate(collect_sources([*COMMON, CALLER]))
    assert plan.problems == []
    [bundle] = [b for b in plan.bundles if b.process_id == "mfc_caller"]
    assert {c.name for c in bundle.called} == {
        "mfc_handout.bpmn",
        "mfc_interagency_request.bpmn",
        "mfc_reception.bpmn",
        "mfc_state_fee.bpmn",
    }
    return compile_bundle(bundle)


def test_the_common_processes_deploy_on_their_own_and_inside_a_caller_without_warnings() -> None:
    plan = validate(collect_sources([*COMMON, CALLER]))
    assert plan.problems == [] and plan.warnings == []
    assert {b.process_id for b in plan.bundles} == {
        "mfc_caller",
        "mfc_handout",
        "mfc_interagency_request",
        "mfc_reception",
        "mfc_state_fee",
    }


SCRIPT = """
process = "mfc_caller"
services = "catalog"

[[step]]
complete = "Task_Reception"
data = { applicant_present = true, documents_complete = true }

[[step]]
job = "Task_CheckFee"
result = { fee_paid = true, fee_paid_amount = 300 }
only_when = "state_fee > 0"

[[step]]
message = "smev_response"
payload = { found = true }

[[step]]
job = "Task_NotifyApplicant"
result = {}

[[step]]
complete = "Task_Handout"
data = { handed_over = true }

[expect]
outcome = "issued"
"""


def test_a_catalog_script_runs_once_per_service_with_its_fee_agency_and_parameters() -> None:
    other = Service("other", "Другая", "МВД России", "federal", 5, ("Паспорт",), 0, "foreign_passport")
    runs = run_services(caller(), load_script(SCRIPT, "s.toml"), [FREE, other, PAID], "s.toml")
    assert [code for code, _ in runs] == ["free_certificate", "paid_registration"]
    for code, result in runs:
        assert result.ok, (code, result.failures, result.lines)
    free, paid = (result.lines for _, result in runs)
    assert not any("Проверка оплаты" in line for line in free), "no fee stage shows for a free service"
    assert any("step 2 skipped: only_when 'state_fee > 0' is false" in line for line in free)
    assert any("payment_check {'amount': 300" in line for line in paid)
    assert "service_parameters={'kind': 'birth'}" in free[-1] and "state_fee=0" in free[-1]
    assert "agency='ФНС России'" in paid[-1] and "term_days=5" in paid[-1]


def test_a_catalog_script_without_a_catalog_or_without_services_of_its_process_is_refused() -> None:
    with pytest.raises(ScriptInvalid, match=r'services = "catalog" needs a catalog\.toml'):
        run_services(caller(), load_script(SCRIPT, "s.toml"), None, "s.toml")
    with pytest.raises(ScriptInvalid, match="no catalog service runs process 'mfc_caller'"):
        run_services(caller(), load_script(SCRIPT, "s.toml"), [], "s.toml")


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ('only_when = "state_fee >"', "only_when 'state_fee >'"),
        ('only_when = "__import__(1)"', "only_when"),
        ("only_when = 3", "only_when must be an expression"),
    ],
)
def test_a_step_condition_that_is_not_an_okno_expression_is_refused_with_the_step(step: str, problem: str) -> None:
    with pytest.raises(ScriptInvalid, match=f"s.toml: step 1: {problem}"):
        load_script(f'[[step]]\nwait = "P1D"\n{step}\n', "s.toml")


def test_services_must_be_catalog_or_a_list_of_codes() -> None:
    with pytest.raises(ScriptInvalid, match='services must be "catalog" or a list of service codes'):
        load_script('services = "all"\n', "s.toml")


def test_a_step_condition_naming_unknown_data_fails_the_run_and_names_the_step() -> None:
    script = load_script('process = "mfc_caller"\n[[step]]\nwait = "P1D"\nonly_when = "missing > 1"\n', "s.toml")
    [(_, result)] = run_services(caller(), script, None)
    assert not result.ok and "step 1: only_when 'missing > 1' could not be evaluated" in result.failures[0]


def driven(engine: Engine, svc: Service) -> str:
    report = engine.deploy(collect_sources([*COMMON, CALLER]), T0)
    assert report.ok, report.problems
    engine.publish_catalog([FREE, PAID], T0)
    engine.register_offices([OFFICE], T0)
    return engine.open_case(
        service=svc.code, office="LPK", channel="window", actor=ACTOR, at=at(), applicant=APPLICANT
    ).number


def track(engine: Engine) -> Reader:
    projector = Projector(engine)
    projector.catch_up()
    assert projector.parked() == []
    return Reader(projector)


def test_stages_and_timers_of_the_called_processes_show_in_track_and_the_timer_worker(engines: EngineMaker) -> None:
    engine = engines()
    number = driven(engine, PAID)
    assert engine.get_case(number).stage == "Приём документов"
    engine.complete_task(
        number, "Task_Reception", {"applicant_present": True, "documents_complete": True}, actor=ACTOR, at=at(5)
    )
    case = engine.get_case(number)
    assert case.stage == "Проверка оплаты государственной пошлины"
    [job] = case.open_jobs
    assert job["element"] == "Task_CheckFee" and job["input"]["amount"] == 300
    engine.complete_job(number, job["task"], {"fee_paid": True, "fee_paid_amount": 300}, actor="worker", at=at(6))
    status = case_status(track(engine), number)
    assert status is not None and status.stage == "Межведомственный запрос"
    assert [s.stage for s in status.stages][-2:] == [
        "Проверка оплаты государственной пошлины",
        "Межведомственный запрос",
    ]
    # The reminder timer of the called request is the case's: the timer worker finds it
    # (Monday 2 November + 2 working days: Thursday the 5th, the 4th is a holiday).
    after_term = at(days=4)
    [timer] = [t for t in due_timers(track(engine), after_term) if t.case_number == number]
    assert timer.element == "Timer_AnswerOverdue"
    engine.fire_timer(number, "Timer_AnswerOverdue", at=after_term)
    case = engine.deliver_message(
        number, "smev_response", {"found": True}, actor="gateway", at=after_term + timedelta(hours=1)
    )
    assert case.stage == "Готово к выдаче"
    deadline_before = status.expected_completion
    [job] = engine.get_case(number).open_jobs
    engine.complete_job(number, job["task"], {}, actor="worker", at=at(days=4, minutes=90))
    month = at(days=40)
    [unclaimed] = [t for t in due_timers(track(engine), month) if t.case_number == number]
    assert unclaimed.element == "Timer_Unclaimed"
    engine.fire_timer(number, "Timer_Unclaimed", at=month)
    status = case_status(track(engine), number)
    assert status is not None
    assert (status.status, status.outcome, status.stage) == (
        "completed",
        "unclaimed",
        "Возврат невостребованного результата",
    )
    assert status.expected_completion == deadline_before, "a late interagency answer never moves the case's deadline"


def test_a_refusal_at_reception_shows_the_callers_refusal_stage(engines: EngineMaker) -> None:
    engine = engines()
    number = driven(engine, FREE)
    data: dict[str, Any] = {"applicant_present": False, "documents_complete": True, "refusal_reason": "Не явился"}
    case = engine.complete_task(number, "Task_Reception", data, actor=ACTOR, at=at(5))
    assert (case.status, case.outcome, case.stage) == ("completed", "refused_at_reception", "Отказ в приёме документов")
    status = case_status(track(engine), number)
    assert status is not None and status.stage == "Отказ в приёме документов"


def test_a_free_service_asks_no_fee_and_shows_no_fee_stage(engines: EngineMaker) -> None:
    engine = engines()
    number = driven(engine, FREE)
    data = {"applicant_present": True, "documents_complete": True}
    case = engine.complete_task(number, "Task_Reception", data, actor=ACTOR, at=at(5))
    assert case.open_jobs == [] and case.stage == "Межведомственный запрос"
    status = case_status(track(engine), number)
    assert status is not None
    assert "Проверка оплаты государственной пошлины" not in [s.stage for s in status.stages]


class FixedTreasury:
    def __init__(self, paid: int | None) -> None:
        self.paid = paid
        self.asked: list[int] = []

    def paid_amount(self, case_number: str, purpose: str, service: str, amount: int) -> int | None:
        self.asked.append(amount)
        return self.paid


def check(treasury: FixedTreasury, job_input: dict[str, Any]) -> dict[str, Any]:
    call = ConnectorCall("LPK-1", "LPK", "t", "Task_CheckFee", "payment_check", job_input, 1, "k")
    return dict(payment_check(treasury)(call))


@pytest.mark.parametrize(
    ("paid", "amount", "fee_paid"),
    [(300, 300, True), (2000, 300, True), (300, 2000, False), (None, 300, False), (0, 0, False), (350, None, True)],
)
def test_the_fee_counts_as_paid_only_when_at_least_the_amount_due_is_paid(
    paid: int | None, amount: int | None, fee_paid: bool
) -> None:
    treasury = FixedTreasury(paid)
    job_input: dict[str, Any] = {"service": "x", "purpose": "state_fee"}
    if amount is not None:
        job_input["amount"] = amount
    assert check(treasury, job_input) == {"fee_paid": fee_paid, "fee_paid_amount": paid or 0}
    assert treasury.asked == [amount or 0]


@pytest.mark.parametrize("amount", [-1, "много", True, 2.5])
def test_an_amount_that_is_not_whole_roubles_fails_the_attempt_in_words(amount: object) -> None:
    with pytest.raises(ConnectorError, match="amount must be a whole number of roubles"):
        check(FixedTreasury(300), {"amount": amount})


def test_the_demo_treasury_pays_the_amount_asked_and_leaves_one_case_in_twelve_unpaid() -> None:
    from okno.demo.connectors import SimulatedTreasury

    treasury = SimulatedTreasury(seed=7, clock=T0.replace(hour=18))
    answers = [treasury.paid_amount(f"LPK-{n}", "state_fee", "mvd_passport_issue", 300) for n in range(1200)]
    assert set(answers) == {300, None}
    assert 60 <= answers.count(None) <= 140


def test_the_shipped_scenarios_of_the_common_processes_pass() -> None:
    """In process, for speed; tests/engine/test_analysts.py runs them through `okno run-model`."""
    plan = validate(collect_sources([ROOT / "processes"]))
    compiled = {b.process_id: b for b in plan.bundles}
    for path in sorted((ROOT / "processes" / "scenarios").glob("mfc_*.toml")):
        script = load_script(path.read_text(encoding="utf-8"), path.name)
        [(_, result)] = run_services(compile_bundle(compiled[str(script["process"])]), script, None, path.name)
        assert result.ok, (path.name, result.failures)
