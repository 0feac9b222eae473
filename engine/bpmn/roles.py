"""Who works a user or manual task: the role (an office's staff group) a model gives it,
in the dialects analysts' modelers write.

Camunda 7 ``camunda:candidateGroups``, Flowable ``flowable:candidateGroups``, Activiti
``activiti:candidateGroups`` and Camunda 8 ``zeebe:assignmentDefinition candidateGroups``
(a comma list, or a FEEL list literal ``=["a","b"]``) all name the groups; a task drawn
in a lane without one takes the lane's name. Several groups are kept as one
comma-joined role (``expert,supervisor``): the work list matches any of them. A task with
no role at all is open to any staff role of its office.

Assignees (``camunda:assignee``, ``flowable:assignee``, zeebe ``assignee``) are kept
for readers but never enforced: okno's staff are known by role, not by name.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.bpmn.sources import CAMUNDA_NS

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
