"""The СФР, ЗАГС and social protection flows (issue 19): each service runs its own agency's
process, services that share a flow differ by catalog data the flow understands, and the
regional measures are decided by the social_benefit_eligibility table."""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from engine.bpmn.library import compile_bundle
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from engine.run_model import run

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"

# Each flow's own agency as its stages name it, and the words that would name another.
OWN_AGENCY = {
    "sfr_snils": "Социальн фонд",
    "sfr_payment": "Социальн фонд",
    "zags_certificate": "ЗАГС",
    "zags_registration": "ЗАГС",
    "social_benefit": "социальной защиты",
}
AGENCY_WORDS = ["Росреестр", "МВД", "ФНС", "Социальн фонд", "ЗАГС", "социальной защиты", "администрац"]
# Which catalog parameter each shared flow reads, and the message contract key that lists its values.
FLOW_PARAMETER = {
    "zags_certificate": ("certificate_kind", "zags_certificate_package"),
    "zags_registration": ("act_kind", "zags_registration_package"),
}


def catalog() -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = tomllib.loads((PROCESSES / "catalog.toml").read_text(encoding="utf-8"))["service"]
    return services


def stages(process: str) -> list[str]:
    tree = ET.parse(PROCESSES / f"{process}.bpmn")
    return [p.get("value", "") for p in tree.iter(f"{CAMUNDA}property") if p.get("name") == "stage"]


def names(text: str, word: str) -> bool:
    """``word`` with ``Социальн фонд`` standing for any case ending of «Социальный фонд»."""
    if word == "Социальн фонд":
        return any(f"Социальн{ending} фонд" in text for ending in ("ый", "ом", "ого", "ому"))
    return word in text


@pytest.mark.parametrize("process", sorted(OWN_AGENCY))
def test_the_stages_of_a_social_flow_name_its_own_agency_and_no_other(process: str) -> None:
    shown = stages(process)
    own = OWN_AGENCY[process]
    assert any(names(stage, own) for stage in shown), shown
    for stage in shown:
        others = [w for w in AGENCY_WORDS if w != own and names(stage, w)]
        assert not others, (process, stage, others)


def test_the_child_benefit_stages_name_no_other_agency() -> None:
    # It showed «Межведомственные запросы в ФНС и ЗАГС» to an applicant of the social protection body.
    for stage in stages("child_benefit"):
        assert not [w for w in AGENCY_WORDS if names(stage, w)], stage


def test_every_service_of_the_social_flows_cites_its_sources_and_its_agency_runs_the_flow() -> None:
    services = [s for s in catalog() if s["process"] in {*OWN_AGENCY, "child_benefit"}]
    assert len(services) >= 40
    for service in services:
        sources = service.get("sources") or []
        assert sources and all(isinstance(x, str) and x.strip() for x in sources), service["code"]
        if service["process"] in OWN_AGENCY:
            agency = service["agency"]
            own = OWN_AGENCY[service["process"]]
            assert names(agency, own) or (own == "Социальн фонд" and agency == "Социальный фонд России"), service


@pytest.mark.parametrize("process", sorted(FLOW_PARAMETER))
def test_services_that_share_a_zags_flow_differ_by_a_parameter_its_contract_allows(process: str) -> None:
    key, message = FLOW_PARAMETER[process]
    contract = json.loads((PROCESSES / f"{process}.messages.json").read_text(encoding="utf-8"))
    allowed = contract["sends"][message]["payload"]["properties"][key]["enum"]
    services = [s for s in catalog() if s["process"] == process]
    assert len(services) > 1
    for service in services:
        assert service.get("parameters", {}).get(key) in allowed, service["code"]


def test_every_social_benefit_service_names_a_kind_of_measure_the_table_decides() -> None:
    table = (PROCESSES / "social_benefit_eligibility.dmn").read_text(encoding="utf-8")
    for service in (s for s in catalog() if s["process"] == "social_benefit"):
        kind = service.get("parameters", {}).get("benefit_kind")
        assert kind and f'"{kind}"' in table, service["code"]


# A one-task model that runs the shipped table, so the table is tested without the flows
# around it (their reception and hand-out are the common called processes).
TABLE_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="t">
  <bpmn:process id="eligibility_probe" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_Table" />
    <bpmn:businessRuleTask id="Task_Table" camunda:decisionRef="social_benefit_eligibility">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Table" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
FAMILY = {
    "resident_of_region": True,
    "interagency_found": True,
    "income_per_capita": 10_000,
    "children_count": 3,
    "category_confirmed": True,
}


@pytest.mark.parametrize(
    ("kind", "change", "eligible", "ground"),
    [
        ("income_tested", {}, True, None),
        ("income_tested", {"income_per_capita": 14_700}, False, "income_above_minimum"),
        ("income_tested", {"interagency_found": False}, False, "income_not_confirmed"),
        ("large_family", {"income_per_capita": 90_000}, True, None),
        ("large_family", {"children_count": 2}, False, "not_large_family"),
        ("category", {"children_count": 0}, True, None),
        ("category", {"category_confirmed": False}, False, "category_not_confirmed"),
        ("large_family", {"resident_of_region": False}, False, "not_resident"),
    ],
)
def test_the_eligibility_table_decides_each_kind_of_regional_measure(
    tmp_path: Path, kind: str, change: dict[str, Any], eligible: bool, ground: str | None
) -> None:
    (tmp_path / "eligibility_probe.bpmn").write_text(TABLE_MODEL, encoding="utf-8")
    sources = [
        SourceFile.read(tmp_path / "eligibility_probe.bpmn"),
        SourceFile.read(PROCESSES / "social_benefit_eligibility.dmn"),
    ]
    plan = validate(sources)
    assert plan.problems == []
    [bundle] = plan.bundles
    data = {**FAMILY, **change, "benefit_kind": kind}
    result = run(
        compile_bundle(bundle),
        {"data": data, "expect": {"completed": True, "data": {"eligible": eligible, "refusal_ground": ground}}},
    )
    assert result.ok, result.failures
