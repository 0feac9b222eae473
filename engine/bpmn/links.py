"""Link events: a link throw event goes on at the link catch event of the same name in the
same process (or subprocess) level, like an off-page connector. SpiffWorkflow has no link
events, so before it reads a model each matched pair becomes what it means: the throw
event a plain (none) intermediate event with a sequence flow to the catch event, which
becomes a plain intermediate event too. Element ids stay, so a case's path and diagram
name the events the analyst drew."""

from __future__ import annotations

from lxml import etree

from engine.bpmn.sources import BPMN_NS

_LINK = f"{{{BPMN_NS}}}linkEventDefinition"
_THROW = f"{{{BPMN_NS}}}intermediateThrowEvent"
_CATCH = f"{{{BPMN_NS}}}intermediateCatchEvent"


def rewrite(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Join every link throw to its catch, in place; what cannot be joined, as problems."""
    problems: list[tuple[etree._Element, str]] = []
    containers = [*root.iter(f"{{{BPMN_NS}}}process"), *root.iter(f"{{{BPMN_NS}}}subProcess")]
    for container in containers:
        throws = [(n, d) for n in container.findall(_THROW) if (d := n.find(_LINK)) is not None]
        catches = [(n, d) for n in container.findall(_CATCH) if (d := n.find(_LINK)) is not None]
        if not throws and not catches:
            continue
        found = len(problems)
        by_name: dict[str, etree._Element] = {}
        for node, definition in catches:
            name = definition.get("name") or ""
            if name in by_name:
                problems.append(
                    (node, f"link {name!r} is caught twice in this process (also by {by_name[name].get('id')})")
                )
            by_name[name] = node
        for node, definition in throws:
            name = definition.get("name") or ""
            if name not in by_name:
                problems.append(
                    (node, f"link {name!r} is thrown here but no link catch event of this process catches it")
                )
        if len(problems) > found:  # left as drawn: validation reports why
            continue
        for node, definition in throws:
            target = by_name[definition.get("name") or ""]
            node.remove(definition)
            flow = etree.SubElement(container, f"{{{BPMN_NS}}}sequenceFlow")
            flow.set("id", f"{node.get('id')}_link_{target.get('id')}")
            flow.set("sourceRef", str(node.get("id")))
            flow.set("targetRef", str(target.get("id")))
        for node, definition in catches:
            node.remove(definition)
            node.tag = _THROW  # a none intermediate event: it passes the token on
    return problems
