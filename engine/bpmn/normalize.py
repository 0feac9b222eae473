"""Rewrite a model's expressions into okno's language before anything else reads them.

Validation and compilation both start here, so what is checked at deploy is exactly
what runs: the dialect translation (engine.bpmn.dialects) is applied in place to the
parsed XML, and every text it cannot translate is reported against its element."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from engine.bpmn import links, signal_ends
from engine.bpmn.dialects import feel, feel_unary_test, normalize
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
    for tag in ("loopCardinality", "completionCondition"):
        for node in root.iter(f"{b}{tag}"):
            rewrite_text(node, tag)
    for node in root.iter(f"{b}multiInstanceLoopCharacteristics"):
        rewrite_attribute(node, f"{c}collection", "collection")
    return problems


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
