"""A service task asking okno's SMS or e-mail connector for a text is checked at deploy:
the template must exist and every input it names must be passed by the task."""

from __future__ import annotations

import pytest

from engine import notification_templates
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from tests.conftest import ROOT

HANDOUT = (ROOT / "processes" / "mfc_handout.bpmn").read_text(encoding="utf-8")
TEMPLATE_INPUT = '<camunda:inputParameter name="template">result_ready</camunda:inputParameter>'

ZEEBE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Defs" targetNamespace="http://okno.test">
  <bpmn:process id="notify_only" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_Sms" />
    <bpmn:serviceTask id="Task_Sms" name="SMS">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="sms" retries="3" />
        <zeebe:ioMapping>TEMPLATE</zeebe:ioMapping>
      </bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Sms" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def problems(text: str, name: str = "mfc_handout.bpmn") -> list[str]:
    return [str(p) for p in validate([SourceFile(name, text)]).problems]


def handout_with(template_input: str) -> str:
    assert TEMPLATE_INPUT in HANDOUT
    return HANDOUT.replace(TEMPLATE_INPUT, template_input)


def test_the_shipped_hand_out_passes_what_its_template_needs() -> None:
    assert problems(HANDOUT) == []


def test_a_template_needing_an_input_the_task_does_not_pass_is_refused_at_deploy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bug the 30-day demo found: result_ready named {decision}, the common hand-out
    # passes none, and every case of fifteen flows failed its SMS at run time.
    monkeypatch.setitem(
        notification_templates.TEMPLATES, "result_ready", "по заявлению {case} готов результат ({decision})"
    )
    found = problems(HANDOUT)
    assert len(found) == 1, found
    assert (
        ": Task_NotifyApplicant: template 'result_ready' needs input decision, which the task does not pass"
        in (found[0])
    )
    assert found[0].startswith("mfc_handout.bpmn:")


def test_a_template_okno_has_not_is_refused_at_deploy_with_the_ones_it_has() -> None:
    found = problems(handout_with('<camunda:inputParameter name="template">ready</camunda:inputParameter>'))
    assert (
        found
        and "Task_NotifyApplicant: unknown notification template 'ready'; templates: accepted, result_ready"
        in (found[0])
    )


def test_an_sms_task_without_a_template_is_refused_at_deploy() -> None:
    found = problems(handout_with(""))
    assert found and "the sms connector needs an input 'template'" in found[0]


def test_a_camunda_8_task_is_checked_the_same_way() -> None:
    good = '<zeebe:input source="=&quot;accepted&quot;" target="template" />'
    bad = '<zeebe:input source="=&quot;ready&quot;" target="template" />'
    assert problems(ZEEBE.replace("TEMPLATE", good), "notify.bpmn") == []
    found = problems(ZEEBE.replace("TEMPLATE", bad), "notify.bpmn")
    assert found and "Task_Sms: unknown notification template 'ready'" in found[0]


def test_a_template_chosen_from_the_case_data_is_left_to_the_connector_at_run_time() -> None:
    assert (
        problems(handout_with('<camunda:inputParameter name="template">${template_name}</camunda:inputParameter>'))
        == []
    )
    with pytest.raises(notification_templates.TemplateError, match="unknown notification template 'ready'"):
        notification_templates.render("ready", "LPK-1", {})


def test_the_decision_is_named_only_when_given() -> None:
    plain = notification_templates.render("result_ready", "LPK-1", {"service": "x"})
    named = notification_templates.render("result_ready", "LPK-1", {"decision": "registered"})
    assert "готов результат. " in plain and "готов результат (registered). " in named
