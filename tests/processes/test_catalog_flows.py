"""The catalog at scale: every service runs to each of its outcomes, and shows only its own
agency (issue 19).

Every scenario of processes/scenarios/ is run, in process (engine.run_model, as `okno
run-model` runs it), once for each catalog service it stands for (``services = "catalog"``:
every service of its process; a list: those), with the variables a case of that service
opens with. Then, per service:

(a) each outcome its process can end with (the ``outcome`` of its end events) is reached by
    some scenario run for it, and every run passes its own expectations;
(b) no stage any of its runs shows names another agency: a construction permit must not
    say "Рассмотрение в МВД", a land plot "Рассмотрение в Росреестре".
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.bpmn.library import CompiledProcess, compile_bundle
from engine.bpmn.sources import collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service, parse_catalog
from engine.run_model import load_script, service_scripts
from engine.run_model import run as run_script
from tests.conftest import ROOT
from tests.processes.agencies import agencies_named, foreign_agencies

# Slow: every scenario runs for every catalog service (seconds per test process); the README's command runs them.
pytestmark = pytest.mark.slow

PROCESSES = ROOT / "processes"
CATALOG: list[Service] = parse_catalog((PROCESSES / "catalog.toml").read_text(encoding="utf-8"))


@dataclass
class ServiceRuns:
    """What the scenarios showed of one service."""

    outcomes: dict[str, list[str]] = field(default_factory=dict)  # outcome -> scenarios reaching it
    stages: dict[str, list[str]] = field(default_factory=dict)  # stage text -> scenarios showing it
    failures: list[str] = field(default_factory=list)


@dataclass
class CatalogRuns:
    services: dict[str, ServiceRuns]
    process_outcomes: dict[str, set[str]]
    runs: int
    seconds: float


def outcomes_of(process: CompiledProcess) -> set[str]:
    """The outcomes a process can end with: its end events' (a called process's end events
    carry none; the caller's say what the case ended with)."""
    return {e.outcome for e in process.elements.values() if e.kind == "endEvent" and e.outcome}


@functools.cache
def catalog_runs() -> CatalogRuns:
    """Every scenario for every catalog service it stands for, once per test process."""
    started = time.perf_counter()
    plan = validate(collect_sources([PROCESSES]))
    assert plan.problems == [], plan.problems
    compiled = {b.process_id: compile_bundle(b) for b in plan.bundles}
    found = {s.code: ServiceRuns() for s in CATALOG}
    runs = 0
    for path in sorted((PROCESSES / "scenarios").glob("*.toml")):
        script = load_script(path.read_text(encoding="utf-8"), path.name)
        process_id = str(script.get("process") or path.stem.split("-", 1)[0])
        if process_id not in compiled:
            raise AssertionError(f"{path.name}: process {process_id!r} is not among the shipped processes")
        for code, one in service_scripts(script, process_id, CATALOG, path.name):
            if code is None or code not in found:
                continue  # a scenario of no catalog service (a common process on its own)
            runs += 1
            result = run_script(compiled[process_id], one)
            seen = found[code]
            seen.failures.extend(f"{path.name}: {failure}" for failure in result.failures)
            if result.outcome:
                seen.outcomes.setdefault(result.outcome, []).append(path.name)
            for stage in result.stages:
                seen.stages.setdefault(stage, []).append(path.name)
    outcomes = {process_id: outcomes_of(process) for process_id, process in compiled.items()}
    return CatalogRuns(found, outcomes, runs, time.perf_counter() - started)


def services() -> list[object]:
    return [pytest.param(s, id=s.code) for s in CATALOG]


@pytest.mark.parametrize("service", services())
def test_the_service_runs_to_each_outcome_of_its_process(service: Service) -> None:
    everything = catalog_runs()
    seen = everything.services[service.code]
    assert not seen.failures, f"{service.code}: scenarios failed for it:\n" + "\n".join(seen.failures)
    missing = sorted(everything.process_outcomes[service.process] - set(seen.outcomes))
    assert not missing, (
        f"{service.code} (process {service.process}): no scenario reaches outcome(s) {', '.join(missing)}; "
        f'add processes/scenarios/{service.process}-<outcome>.toml with services = "catalog"'
    )


@pytest.mark.parametrize("service", services())
def test_track_shows_only_the_services_own_agency(service: Service) -> None:
    seen = catalog_runs().services[service.code]
    assert seen.stages, f"{service.code}: no scenario runs it, so nothing shows what track would say"
    wrong = [
        f"stage {stage!r} (in {', '.join(sorted(set(scripts)))}) names {', '.join(named)}"
        for stage, scripts in seen.stages.items()
        if (named := foreign_agencies(stage, service.agency))
    ]
    assert not wrong, f"{service.code} (agency {service.agency!r}):\n" + "\n".join(wrong)


def test_every_catalog_service_is_run_by_some_scenario() -> None:
    everything = catalog_runs()
    idle = sorted(code for code, seen in everything.services.items() if not seen.outcomes)
    assert not idle, "no scenario runs these services: " + ", ".join(idle)


def test_the_agency_table_knows_every_agency_of_the_catalog() -> None:
    unknown = sorted({s.agency for s in CATALOG if not agencies_named(s.agency)})
    assert not unknown, "add these agencies' name forms to tests/processes/agencies.py: " + ", ".join(unknown)


def test_today_s_construction_permit_is_caught_showing_the_mvd() -> None:
    """The check catches issue 19's own example: a stage of the migration process, run for a
    municipal permit, names МВД."""
    assert foreign_agencies("Рассмотрение в МВД", "Администрация городского округа") == ["МВД"]
    assert foreign_agencies("Рассмотрение в Росреестре", "Администрация городского округа") == ["Росреестр"]
    assert foreign_agencies("Межведомственные запросы в ФНС и ЗАГС", "Социальный фонд России") == ["ФНС", "ЗАГС"]
    assert foreign_agencies("Проверка оплаты государственной пошлины", "МВД России") == []
    assert foreign_agencies("Запрос в ГИС ГМП", "Росреестр") == [], "the treasury's system is no agency stage"
    assert foreign_agencies("Передача документов в Росреестр", "Управление Росреестра по Липецкой области") == []


def test_okno_run_model_runs_a_catalog_script_per_service_with_the_catalog_beside_the_models(tmp_path: Path) -> None:
    """The same, as analysts run it: `okno run-model` on BPMN files given one by one, the
    catalog.toml beside them, a script for every service of its process."""
    from tests.commands import okno

    models = tmp_path / "models"
    models.mkdir()
    for source in [*sorted(PROCESSES.glob("mfc_*")), ROOT / "tests" / "fixtures" / "flows" / "mfc_caller.bpmn"]:
        (models / source.name).write_bytes(source.read_bytes())
    entry = (
        '[[service]]\ncode = "{code}"\ntitle = "Услуга"\nagency = "ФНС России"\nlevel = "federal"\n'
        'term_days = 5\ndocuments = ["Паспорт"]\nfee = {fee}\nprocess = "mfc_caller"\n'
        'sources = ["Федеральный закон от 27.07.2010 № 210-ФЗ"]\n'
    )
    catalog = entry.format(code="free_one", fee=0) + entry.format(code="paid_one", fee=800)
    (models / "catalog.toml").write_text(catalog, encoding="utf-8")
    script = tmp_path / "caller-refused.toml"
    script.write_text(
        'process = "mfc_caller"\nservices = "catalog"\n'
        '[[step]]\ncomplete = "Task_Reception"\ndata = { applicant_present = true, documents_complete = true }\n'
        '[[step]]\njob = "Task_CheckFee"\nresult = { fee_paid = false }\nonly_when = "state_fee > 0"\n'
        '[[step]]\ncomplete = "Task_AwaitFee"\ndata = { fee_paid = false }\nonly_when = "state_fee > 0"\n'
        '[expect]\noutcome = "refused"\n',
        encoding="utf-8",
    )
    bpmn = [str(p) for p in sorted(models.glob("*.bpmn"))]
    result = okno("run-model", *bpmn, "--inputs", str(script), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # the free service is not refused
    assert "with caller-refused.toml for free_one" in result.stdout
    assert "with caller-refused.toml for paid_one" in result.stdout
    assert "payment_check {'amount': 800" in result.stdout
    assert "FAILED: expected outcome = 'refused', got None" in result.stdout  # free_one waits at the request
    assert result.stdout.count("FAILED") == 1
