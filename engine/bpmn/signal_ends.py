"""Signal end events: SpiffWorkflow 3.2 reads no signal on an end event (it would end the
path silently, and the cases waiting for the signal would wait forever). Before it reads
the model, each becomes what it means: an intermediate signal throw event under the same
id, followed by a plain end event ``<id>_end`` that carries the end event's properties
(its outcome), so the path, the diagram and the outcome stay as the analyst drew them."""

from __future__ import annotations

from lxml import etree

from engine.bpmn.sources import BPMN_NS

_END = f"{{{BPMN_NS}}}endEvent"
_SIGNAL = f"{{{BPMN_NS}}}signalEventDefinition"


def rewrite(root: etree._Element) -> None:
    for end in list(root.iter(_END)):
        if end.find(_SIGNAL) is None:
            continue
        container = end.getparent()
        if container is None:
            continue
        ident = str(end.get("id"))
        end.tag = f"{{{BPMN_NS}}}intermediateThrowEvent"
        plain = etree.SubElement(container, _END)
        plain.set("id", f"{ident}_end")
        properties = end.find(f"{{{BPMN_NS}}}extensionElements")
        if properties is not None:
            plain.append(properties)  # moves it: the outcome belongs to the end
        flow = etree.SubElement(container, f"{{{BPMN_NS}}}sequenceFlow")
        flow.set("id", f"{ident}_to_end")
        flow.set("sourceRef", ident)
        flow.set("targetRef", f"{ident}_end")
