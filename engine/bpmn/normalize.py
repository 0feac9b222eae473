"""Rewrite a model's expressions into okno's language before anything else reads them.

Validation and compilation both start here, so what is checked at deploy is exactly
what runs: the dialect translation (engine.bpmn.dialects) is applied in place to the
parsed XML, and every text it cannot translate is reported against its element."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from engine.bpmn import links, multi_instance, signal_ends
from engine.bpmn.dialects import feel, feel_unary_test, normalize
from engine.bpmn.engine_defaults import fill_engine_defaults
from engine.bpmn.service_tasks import jobs_as_service_tasks
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS
from engine.errors import ExpressionError


@dataclass(frozen=True)
class Untranslatable:
    element: etree._Element
    owner: str
    message: str


def _owner(node: etree._Element) -> str:
    current: etree._Element | None = node
    while current is not None:
        ident = current.get("id")
        if ident:
            return ident
        current = current.getparent()
    return "-"


def normalize_bpmn(root: etree._Element) -> list[Untranslatable]:
    problems: list[Untranslatable] = []
    b, c = f"{{{BPMN_NS}}}", f"{{{CAMUNDA_NS}}}"
    jobs_as_service_tasks(root)  # a send or business rule task with a job worker is a job (issue 16)
    fill_engine_defaults(root)  # flow ids and unconditioned gateway flows, as Camunda 7 and Flowable read them

    def rewrite_text(node: etree._Element, what: str, timer: bool = False) -> None:
        if node.text is None or not node.text.strip():
            return
        try:
            node.text = normalize(node.text, timer=timer)
        except ExpressionError as error:
            problems.append(Untranslatable(node, _owner(node), f"{what} {node.text.strip()!r}: {error}"))

    def rewrite_attribute(node: etree._Element, name: str, what: str) -> None:
        value = node.get(name)
        if value is None:
            return
        try:
            node.set(name, normalize(value))
        except ExpressionError as error:
            problems.append(Untranslatable(node, _owner(node), f"{what} {value!r}: {error}"))

    problems.extend(Untranslatable(node, _owner(node), message) for node, message in links.rewrite(root))
    signal_ends.rewrite(root)
    for node in root.iter(f"{b}conditionExpression"):
        rewrite_text(node, "condition")
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for node in root.iter(f"{b}{tag}"):
            rewrite_text(node, "timer", timer=True)
    for node in root.iter(f"{b}messageEventDefinition"):
        rewrite_attribute(node, f"{c}expression", "message payload")
    for tag in ("loopCardinality", "completionCondition", "loopCondition"):
        for node in root.iter(f"{b}{tag}"):
            rewrite_text(node, tag)
    for node in root.iter(f"{b}multiInstanceLoopCharacteristics"):
        rewrite_attribute(node, f"{c}collection", "collection")
    for element, message in multi_instance.standardize(root):
        problems.append(Untranslatable(element, _owner(element), message))
    for node in root.iter(f"{b}scriptTask"):
        problems.extend(_zeebe_script(node))
    return problems


_ZEEBE_NS = multi_instance.ZEEBE_NS
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _zeebe_script(task: etree._Element) -> list[Untranslatable]:
    """Camunda 8's script task is a FEEL expression and the variable it lands in
    (``zeebe:script expression="= a + b" resultVariable="total"``): written as the okno
    script ``total = a + b``, so it is checked and run like any script task."""
    b = f"{{{BPMN_NS}}}"
    script = task.find(f"{b}extensionElements/{{{_ZEEBE_NS}}}script")
    if script is None or task.find(f"{b}script") is not None:
        return []
    expression, result = script.get("expression") or "", script.get("resultVariable") or ""
    if not _NAME.match(result):
        return [Untranslatable(script, _owner(task), f"zeebe:script resultVariable {result!r} must name one variable")]
    try:
        translated = feel(expression.strip()[1:]) if expression.strip().startswith("=") else normalize(expression)
    except ExpressionError as error:
        return [Untranslatable(script, _owner(task), f"zeebe:script expression {expression.strip()!r}: {error}")]
    body = etree.SubElement(task, f"{b}script")
    body.text = f"{result} = {translated}"
    task.set("scriptFormat", "python")
    return []


def normalize_dmn(root: etree._Element) -> list[Untranslatable]:
    """DMN cells: input expressions and output entries in FEEL (which okno's simple
    expressions already are), input entries as FEEL unary tests — or okno tests that use
    ``?`` for the input."""
    problems: list[Untranslatable] = []
    namespace = etree.QName(root).namespace
    for tag, translate in (("inputExpression", feel), ("outputEntry", feel), ("inputEntry", _input_entry)):
        for node in root.iter(f"{{{namespace}}}{tag}"):
            text = node.find(f"{{{namespace}}}text")
            if text is None or text.text is None or not text.text.strip():
                continue
            try:
                text.text = translate(text.text)
            except ExpressionError as error:
                problems.append(Untranslatable(node, _owner(node), f"{tag} {text.text.strip()!r}: {error}"))
    return problems


def _input_entry(text: str) -> str:
    return text.strip() if "?" in text else feel_unary_test(text)
