"""Who works a user or manual task: the role (an office's staff group) a model gives it,
in the dialects analysts' modelers write.

Camunda 7 ``camunda:candidateGroups``, Flowable ``flowable:candidateGroups``, Activiti
``activiti:candidateGroups`` and Camunda 8 ``zeebe:assignmentDefinition candidateGroups``
(a comma list, or a FEEL list literal ``=["a","b"]``) all name the groups; a task drawn
in a lane without one takes the lane's name. Several groups are kept as one
comma-joined role (``expert,supervisor``): the work list matches any of them. A task with
no role at all is open to any staff role of its office.

Validation checks each group a task names, and the name of the lane it takes its role from,
against the staff roles okno knows (engine.staff.STAFF_ROLES): a name that is a known role
written wrong (``operatr``, ``Expert``) is a problem, since the task would not reach the
staff it was drawn for; any other name (a foreign model's ``accountancy``) is a warning
saying what it means. An expression (``${groups}``, ``=groupsOf(x)``) is decided at run time
and is not checked.

Assignees (``camunda:assignee``, ``flowable:assignee``, zeebe ``assignee``) are kept
for readers but never enforced: okno's staff are known by role, not by name.
"""

from __future__ import annotations

import re
from difflib import get_close_matches

from lxml import etree

from engine.bpmn.sources import CAMUNDA_NS
from engine.staff import STAFF_ROLES

FLOWABLE_NS = "http://flowable.org/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
# Every namespace whose candidateGroups / assignee attributes mean what Camunda 7's do.
_ATTRIBUTE_DIALECTS = (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
_FEEL_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _groups(text: str | None) -> list[str]:
    """The group names in an attribute's text: ``a, b``, or Zeebe's ``=["a","b"]`` / ``="a"``.
    Any other FEEL expression is decided only at run time, so it names no role here."""
    if text is None:
        return []
    value = text.strip()
    if value.startswith("="):
        literal = value[1:].strip()
        if literal.startswith("[") and literal.endswith("]"):
            return [g.strip() for g in _FEEL_STRING.findall(literal) if g.strip()]
        whole = _FEEL_STRING.fullmatch(literal)
        return [whole.group(1).strip()] if whole and whole.group(1).strip() else []
    found: list[str] = []
    for group in value.split(","):
        name = group.strip()
        if name and name not in found and not name.startswith(("${", "#{")):
            found.append(name)
    return found


def _zeebe_assignment(task: etree._Element) -> etree._Element | None:
    for node in task.iter():
        if isinstance(node.tag, str) and etree.QName(node).localname == "assignmentDefinition":
            return node
    return None


def candidate_groups(task: etree._Element) -> list[str]:
    """The groups a task names itself, in order, without repeats (no lane considered)."""
    found: list[str] = []
    for namespace in _ATTRIBUTE_DIALECTS:
        found += _groups(task.get(f"{{{namespace}}}candidateGroups"))
    assignment = _zeebe_assignment(task)
    if assignment is not None:
        found += _groups(assignment.get("candidateGroups"))
    return list(dict.fromkeys(found))


def role_of(task: etree._Element, lanes: dict[str, str]) -> str | None:
    """Who works a task: its candidate groups (comma-joined), else the lane it is drawn
    in, else None (open to any staff role of its office)."""
    groups = candidate_groups(task)
    if groups:
        return ",".join(groups)
    return lanes.get(str(task.get("id"))) or None


def assignee_of(task: etree._Element) -> str | None:
    """The assignee a model names (kept, never enforced)."""
    for namespace in _ATTRIBUTE_DIALECTS:
        assignee = task.get(f"{{{namespace}}}assignee")
        if assignee and assignee.strip():
            return assignee.strip()
    assignment = _zeebe_assignment(task)
    if assignment is not None:
        assignee = (assignment.get("assignee") or "").strip()
        if assignee:
            return assignee[1:].strip().strip('"') if assignee.startswith("=") else assignee
    return None


def role_findings(task: etree._Element, lanes: dict[str, str]) -> tuple[list[str], list[str]]:
    """The problems and warnings about the roles a task names: each candidate group, or
    the lane it is drawn in when it names none, checked against the known staff roles."""
    groups = candidate_groups(task)
    lane = lanes.get(str(task.get("id"))) if not groups else None
    named = [(f"candidate group {group!r}", group) for group in groups]
    if lane:
        named.append((f"lane {lane!r} (the role of the tasks drawn in it)", lane))
    known = ", ".join(STAFF_ROLES)
    problems: list[str] = []
    warnings: list[str] = []
    for what, name in named:
        if name in STAFF_ROLES:
            continue
        meant = get_close_matches(name.strip().lower(), STAFF_ROLES, n=1, cutoff=0.75)
        if meant:
            problems.append(f"{what} is not a staff role (did you mean {meant[0]!r}?); the roles are {known}")
        else:
            effect = (
                "the task is open to every staff role of its office"
                if not any(group in STAFF_ROLES for group in groups)
                else "only the staff roles it also names work it"
            )
            warnings.append(f"{what} is not a staff role okno issues ({known}): {effect}")
    return problems, warnings
