"""Issue 19: the roles a model names are checked against the staff roles okno knows, in every
dialect, lanes included; a misspelt role is a problem naming the known roles, an expression
is not a role to check."""

from __future__ import annotations

import pytest

from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from engine.staff import STAFF_ROLES
from tests.conftest import FIXTURES

MINI = (FIXTURES / "mini.bpmn").read_text(encoding="utf-8")
LANES = (FIXTURES / "structure" / "lanes_manual.bpmn").read_text(encoding="utf-8")
NAMESPACES = (
    'xmlns:flowable="http://flowable.org/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
)


def with_reception(attributes: str, body: str = "") -> SourceFile:
    """mini.bpmn with its reception task's candidate groups written as ``attributes``/``body``."""
    text = MINI.replace(
        'camunda:candidateGroups="operator" camunda:formKey="Task_Reception"',
        f'{attributes} camunda:formKey="Task_Reception"',
    )
    text = text.replace('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"', NAMESPACES, 1)
    if body:
        text = text.replace("<camunda:formData>", f"{body}<camunda:formData>", 1)
    assert text != MINI
    return SourceFile("mini.bpmn", text)


def messages(source: SourceFile) -> tuple[list[str], list[str]]:
    plan = validate([source])
    return [str(p) for p in plan.problems], [str(w) for w in plan.warnings]


@pytest.mark.parametrize(
    "attributes",
    [
        'camunda:candidateGroups="operatr"',
        'camunda:candidateGroups="expert, supervsor"',  # one of several groups
        'flowable:candidateGroups="Operator"',  # roles are matched exactly
    ],
)
def test_a_misspelt_candidate_group_is_a_problem_naming_the_known_roles(attributes: str) -> None:
    problems, _ = messages(with_reception(attributes))
    [problem] = problems
    assert ": Task_Reception: candidate group " in problem
    assert "is not a staff role (did you mean " in problem
    assert f"the roles are {', '.join(STAFF_ROLES)}" in problem


def test_a_misspelt_camunda_8_assignment_is_a_problem() -> None:
    body = '<zeebe:assignmentDefinition candidateGroups="=[&quot;expert&quot;,&quot;exprt&quot;]"/>'
    problems, _ = messages(with_reception("", body))
    assert [p.split(": ", 2)[2] for p in problems] == [
        "candidate group 'exprt' is not a staff role (did you mean 'expert'?); "
        "the roles are operator, expert, supervisor"
    ]


@pytest.mark.parametrize(
    "attributes",
    [
        'camunda:candidateGroups="${reviewers}"',
        'camunda:candidateGroups="#{groupsOf(case)}, expert"',
        'camunda:candidateGroups="operator, supervisor"',
    ],
)
def test_expressions_and_known_roles_pass(attributes: str) -> None:
    problems, warnings = messages(with_reception(attributes))
    assert problems == []
    assert not any("staff role" in w for w in warnings)


def test_a_zeebe_feel_expression_is_not_a_role_to_check() -> None:
    problems, _ = messages(with_reception("", '<zeebe:assignmentDefinition candidateGroups="=groupsOf(x)"/>'))
    assert problems == []


def test_a_foreign_group_is_a_warning_saying_who_works_the_task() -> None:
    problems, warnings = messages(with_reception('flowable:candidateGroups="accountancy"'))
    assert problems == []
    assert any(
        ": Task_Reception: warning: candidate group 'accountancy' is not a staff role okno issues "
        "(operator, expert, supervisor): the task is open to every staff role of its office" in w
        for w in warnings
    ), warnings


def test_a_misspelt_lane_is_a_problem_for_the_tasks_drawn_in_it_manual_tasks_too() -> None:
    problems, _ = messages(SourceFile("lanes_manual.bpmn", LANES.replace('name="supervisor"', 'name="supervisr"')))
    [problem] = problems
    assert ": Task_Sign: lane 'supervisr' (the role of the tasks drawn in it) is not a staff role" in problem
    assert "(did you mean 'supervisor'?)" in problem
