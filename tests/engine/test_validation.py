"""Deploy-time validation: problems are reported as file:line: element: message, and
a hostile model is rejected without any of its code running."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import ModelWarning, validate
from tests.conftest import FIXTURES, mini_sources, shipped_sources

MINI = (FIXTURES / "mini.bpmn").read_text(encoding="utf-8")
MARKER = Path("/tmp/okno-hostile-marker")


def variant(old: str, new: str, name: str = "variant.bpmn") -> list[SourceFile]:
    assert old in MINI, old
    return [SourceFile(name, MINI.replace(old, new))]


def problems_of(sources: list[SourceFile]) -> list[str]:
    return [str(p) for p in validate(sources).problems]


def test_the_test_model_and_every_shipped_process_validate() -> None:
    assert problems_of(mini_sources()) == []
    plan = validate(shipped_sources())
    assert plan.problems == []
    assert {b.process_id for b in plan.bundles} >= {
        "property_registration",
        "foreign_passport",
        "migration_registration",
        "child_benefit",
    }


@pytest.mark.parametrize(
    ("old", "new", "element", "fragment"),
    [
        (
            "documents_complete == True",
            "__import__('os').system('touch /tmp/okno-hostile-marker')",
            "Flow_Ok",
            "is not allowed",
        ),
        ("documents_complete == True", "().__class__.__base__.__subclasses__()", "Flow_Ok", "is not allowed"),
        ("total += p", "total += ().__class__", "Script_Count", "attribute '__class__'"),
        ("for p in [1, 2, 3]:\n    total += p", "while True:\n    total += 1", "Script_Count", "while loop"),
        ('summary = {"total": total}', "import os", "Script_Count", "import"),
        ('"P30D"', "${execution.getProcessInstanceId()}", "Timer_Unclaimed", "is Camunda's Java API"),
        ('"P30D"', "= function(x) x + 1", "Timer_Unclaimed", "FEEL 'function' is not supported"),
        ('id="StartEvent_1"', 'id="Start"', "Start", "reserved"),
        (
            '<bpmn:scriptTask id="Script_Count" name="Счёт" scriptFormat="okno">',
            '<bpmn:scriptTask id="Script_Count" name="Счёт" scriptFormat="javascript">',
            "Script_Count",
            "javascript",
        ),
        (
            'camunda:candidateGroups="operator" camunda:formKey="Task_Reception"',
            'camunda:candidateGroups="operator"',
            "Task_Reception",
            "formKey",
        ),
        ('type="long"', 'type="float"', "Task_Reception", "has type 'float'"),
        ('messageRef="Message_answer"', 'messageRef="Message_nowhere"', "Event_Answer", "names no bpmn:message"),
    ],
)
def test_a_bad_model_is_reported_with_file_line_and_element(old: str, new: str, element: str, fragment: str) -> None:
    MARKER.unlink(missing_ok=True)
    found = problems_of(variant(old, new))
    assert found, "the model should have been refused"
    assert any(p.startswith("variant.bpmn:") and f": {element}: " in p and fragment in p for p in found), found
    line = int(found[0].split(":")[1])
    assert line > 1
    assert not MARKER.exists(), "hostile code ran"


def test_an_untyped_task_passes_through_with_a_warning() -> None:
    source = variant(
        '<bpmn:userTask id="Task_Handout" name="Выдача" camunda:candidateGroups="operator">',
        '<bpmn:task id="Task_Handout" name="Выдача">',
    )[0]
    source = SourceFile(
        source.name,
        source.text.replace("</bpmn:userTask>\n    <bpmn:boundaryEvent", "</bpmn:task>\n    <bpmn:boundaryEvent"),
    )
    plan = validate([source])
    assert plan.problems == []
    assert any(": Task_Handout: warning: an untyped task passes straight through" in str(w) for w in plan.warnings)


def test_a_user_task_without_a_role_is_a_warning_not_a_problem() -> None:
    plan = validate(
        variant(
            '<bpmn:userTask id="Task_Handout" name="Выдача" camunda:candidateGroups="operator">',
            '<bpmn:userTask id="Task_Handout" name="Выдача">',
        )
    )
    assert plan.problems == []
    assert any(": Task_Handout: warning: user task has no role" in str(w) for w in plan.warnings), plan.warnings


def test_malformed_xml_is_a_problem_not_a_crash() -> None:
    found = problems_of([SourceFile("broken.bpmn", MINI[:500])])
    assert len(found) == 1 and found[0].startswith("broken.bpmn:") and "not well-formed" in found[0]


def test_external_entities_are_never_resolved() -> None:
    hostile = MINI.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    hostile = hostile.replace('name="Приём"', 'name="&x;"')
    plan = validate([SourceFile("xxe.bpmn", hostile)])
    for bundle in plan.bundles:
        assert "root:" not in bundle.bpmn.text


def test_a_file_whose_processes_are_all_marked_not_executable_is_refused() -> None:
    second = (
        '<bpmn:process id="other" isExecutable="false"><bpmn:startEvent id="S2"/></bpmn:process>\n</bpmn:definitions>'
    )
    found = problems_of(variant('isExecutable="true"', 'isExecutable="false"'))
    assert found == []  # its only process: run, with a warning (tests/engine/test_structure.py)
    text = MINI.replace('isExecutable="true"', 'isExecutable="false"').replace("</bpmn:definitions>", second)
    found = problems_of([SourceFile("variant.bpmn", text)])
    assert any("is marked not executable" in p for p in found)


def test_a_business_rule_task_needs_its_decision_deployed_with_it() -> None:
    sources = [s for s in shipped_sources() if s.name == "child_benefit.bpmn"]
    found = problems_of(sources)
    assert any("child_benefit_eligibility" in p and "not in any DMN file" in p for p in found), found


def test_the_version_is_the_hash_of_the_content() -> None:
    first = validate(mini_sources()).bundles[0]
    again = validate(mini_sources()).bundles[0]
    changed = validate(variant("Приём", "Приём документов")).bundles[0]
    assert first.version == again.version
    assert first.version != changed.version


def test_the_same_files_validated_again_give_the_same_plan_with_lists_of_their_own() -> None:
    first = validate(shipped_sources())
    first.bundles.clear()  # what one deploy does with its plan is its own
    mine = ModelWarning("mine.bpmn", 1, "-", "added by this caller")
    first.warnings.append(mine)
    again = validate(shipped_sources())
    assert again.bundles and again == validate(shipped_sources())
    assert mine not in again.warnings
    changed = validate([SourceFile(s.name, s.text.replace('name="', 'name="x', 1)) for s in shipped_sources()])
    assert changed.bundles != again.bundles  # a changed byte is a new version: validated afresh
