"""What the engine a model was written for fills in where the model says nothing.

Models that run as written on Camunda 7 and Flowable leave out things okno's
validation otherwise asks for. Both are rewritten here, in place, before validation
and compilation read the XML (engine.bpmn.normalize calls ``fill_engine_defaults``),
so what is checked is exactly what runs:

- a ``sequenceFlow`` without an id (Flowable's and Camunda 7's own test models draw
  them so; both engines accept them) gets one made from its ends, which is stable for
  the same file, so replaying a case finds the same flow;
- in a model written for Camunda 7, Flowable or Activiti (it declares their namespace),
  a flow out of an exclusive or inclusive gateway without a condition and not the
  gateway's default is taken as always true, as those engines' gateway behaviours do
  (``condition == null`` selects the flow; an exclusive gateway takes the first such
  flow in document order). Zeebe refuses such a model at deploy and SpiffWorkflow at
  parse, and a plain sketch (bpmn.io, an interchange file) labels its ways out for
  readers, so for all of those nothing is filled in and validation still reports the
  flow: taking "the first one" there would route cases silently;
- a subprocess without an end event ends where its paths end, as BPMN's implicit end
  says and Camunda 7 and Flowable run it (SpiffWorkflow, which okno runs on, asks for
  an end event): each flow node there with no way out gets its own end event;
- a data object declared twice alike in one process (SpiffArena's modeler leaves such
  copies behind; SpiffWorkflow keeps one data object per id) is declared once;
- in a Camunda 7, Flowable or Activiti model, an ``errorRef`` that names no
  ``bpmn:error`` is the error's code, as Flowable and Activiti read it: the error it
  means is declared, with that code.
"""

from __future__ import annotations

from lxml import etree

from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
# The engines that take an unconditioned flow as always true.
_LENIENT_NS = (CAMUNDA_NS, "http://flowable.org/bpmn", "http://activiti.org/bpmn")

# okno's expression for "always": evaluated by okno's interpreter like any condition.
ALWAYS = "True"

_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")


def fill_engine_defaults(root: etree._Element) -> None:
    _name_flows(root)
    if _written_for_camunda_7_or_flowable(root):
        _always_true_flows(root)
        _errors_by_code(root)
    _implicit_ends(root)
    _one_declaration_per_data_object(root)


def _b(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _name_flows(root: etree._Element) -> None:
    taken = {str(node.get("id")) for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for flow in root.iter(_b("sequenceFlow")):
        if flow.get("id"):
            continue
        base = f"Flow_{flow.get('sourceRef') or 'unknown'}_{flow.get('targetRef') or 'unknown'}"
        ident, count = base, 1
        while ident in taken:  # two flows between the same ends, or a clash with a drawn id
            count += 1
            ident = f"{base}_{count}"
        taken.add(ident)
        flow.set("id", ident)


def _written_for_camunda_7_or_flowable(root: etree._Element) -> bool:
    """Declares Camunda 7's, Flowable's or Activiti's namespace and is no Zeebe (Camunda 8)
    or SpiffWorkflow model: those engines refuse the flow (Camunda Modeler declares the
    Camunda 7 namespace in some Camunda 8 files too)."""
    declared = set(root.nsmap.values())
    used = {etree.QName(node).namespace for node in root.iter() if isinstance(node.tag, str)}
    for node in root.iter():
        if isinstance(node.tag, str):
            used.update(etree.QName(name).namespace for name in node.attrib)
    platform = (root.get(f"{{{MODELER_NS}}}executionPlatform") or "").strip().lower()
    if platform == "camunda cloud" or {ZEEBE_NS, SPIFF_NS} & (declared | used):
        return False
    return bool(set(_LENIENT_NS) & (declared | used))


def _always_true_flows(root: etree._Element) -> None:
    for container in root.iter(_b("process"), _b("subProcess"), _b("transaction")):
        flows = [child for child in container if child.tag == _b("sequenceFlow")]
        for gateway in container:
            if not isinstance(gateway.tag, str) or etree.QName(gateway).localname not in _GATEWAYS:
                continue
            ident, default = gateway.get("id"), gateway.get("default")
            outgoing = [flow for flow in flows if flow.get("sourceRef") == ident]
            if len(outgoing) < 2:
                continue  # one way out: nothing to choose
            for flow in outgoing:
                if flow.get("id") == default:
                    continue
                condition = flow.find(_b("conditionExpression"))
                if condition is None:
                    condition = etree.SubElement(flow, _b("conditionExpression"))
                elif (condition.text or "").strip():
                    continue
                condition.text = ALWAYS


# Flow nodes a path can stop at. Start events are left out (a path begins there) and so
# are event subprocesses (no flow leads into or out of them).
_ACTIVITIES = ("task", "subProcess", "callActivity", "transaction", "adHocSubProcess")
_EVENTS = ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")


def _stops(node: etree._Element) -> bool:
    if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS:
        return False
    local = etree.QName(node).localname
    if local == "subProcess" and (node.get("triggeredByEvent") or "").strip().lower() == "true":
        return False
    return local in _ACTIVITIES or local in _EVENTS or local.endswith("Task") or local.endswith("Gateway")


def _implicit_ends(root: etree._Element) -> None:
    for container in root.iter(_b("subProcess"), _b("transaction")):
        if container.find(_b("endEvent")) is not None:
            continue
        sources = {flow.get("sourceRef") for flow in container if flow.tag == _b("sequenceFlow")}
        for node in [child for child in container if _stops(child) and child.get("id") not in sources]:
            ident = str(node.get("id"))
            end = etree.SubElement(container, _b("endEvent"), id=f"{ident}_implicitEnd")
            end.tail = node.tail
            flow = etree.SubElement(
                container,
                _b("sequenceFlow"),
                id=f"{ident}_toImplicitEnd",
                sourceRef=ident,
                targetRef=f"{ident}_implicitEnd",
            )
            flow.tail = node.tail


def _one_declaration_per_data_object(root: etree._Element) -> None:
    for container in root.iter(_b("process"), _b("subProcess"), _b("transaction")):
        declared: dict[str, etree._Element] = {}
        for data in [child for child in container if child.tag == _b("dataObject")]:
            ident = str(data.get("id"))
            first = declared.setdefault(ident, data)
            if first is not data and _alike(first, data):
                container.remove(data)  # a second declaration that says nothing new


def _alike(one: etree._Element, other: etree._Element) -> bool:
    same: bool = dict(one.attrib.items()) == dict(other.attrib.items())
    return same and len(one) == 0 and len(other) == 0


def _errors_by_code(root: etree._Element) -> None:
    declared = {error.get("id") for error in root.iter(_b("error"))}
    for definition in list(root.iter(_b("errorEventDefinition"))):
        ref = (definition.get("errorRef") or "").strip()
        if ref and ref not in declared:
            # Declared first among the root's children, where bpmn:error elements belong.
            root.insert(0, etree.Element(_b("error"), id=ref, errorCode=ref))
            declared.add(ref)
