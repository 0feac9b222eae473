"""Who works a user task: the role (an office's staff group) a model gives it, in the
dialects analysts' modelers write."""

from __future__ import annotations

from lxml import etree

from engine.bpmn.sources import CAMUNDA_NS


def role_of(task: etree._Element, lanes: dict[str, str]) -> str | None:
    """Who works a user task: an explicit candidate group (Camunda 7 attribute or Camunda 8
    assignment definition), else the lane it is drawn in."""
    explicit = task.get(f"{{{CAMUNDA_NS}}}candidateGroups")
    if not explicit:
        for node in task.iter():
            if isinstance(node.tag, str) and etree.QName(node).localname == "assignmentDefinition":
                explicit = node.get("candidateGroups")
    return explicit or lanes.get(str(task.get("id")))
