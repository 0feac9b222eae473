"""DMN decisions as okno reads them: every decision of a file, its table, its hit
policy and the decisions it requires, with the deploy-time problems of each.

SpiffWorkflow 3.2 reads one decision per file and knows two hit policies; okno evaluates
decisions itself (engine.bpmn.decisions), so a file may hold a whole DRD, as Camunda's
invoice example does."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

SINGLE_HIT = frozenset({"UNIQUE", "FIRST", "ANY", "PRIORITY"})
MULTIPLE_HIT = frozenset({"COLLECT", "RULE ORDER", "OUTPUT ORDER"})
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})


@dataclass(frozen=True)
class Input:
    id: str
    label: str
    expression: str | None


@dataclass(frozen=True)
class Output:
    id: str
    name: str  # the variable it sets: its name, else its label
    values: tuple[str, ...]  # outputValues, highest priority first (PRIORITY, OUTPUT ORDER)


@dataclass(frozen=True)
class Rule:
    id: str
    row: int
    inputs: tuple[str | None, ...]  # None: '-' or empty, any value matches
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class DecisionTable:
    decision_id: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]
    required: tuple[str, ...]  # decisions evaluated first; their outputs are this one's variables

    @property
    def single_hit(self) -> bool:
        return self.hit_policy in SINGLE_HIT or self.aggregation is not None


@dataclass(frozen=True)
class TableProblem:
    element: etree._Element
    owner: str
    message: str


def _ns(root: etree._Element) -> str:
    return f"{{{etree.QName(root).namespace}}}"


def _text(node: etree._Element | None, n: str) -> str | None:
    if node is None:
        return None
    text = node.find(f"{n}text")
    return text.text if text is not None else None


def required_of(decision: etree._Element) -> tuple[str, ...]:
    n = _ns(decision)
    hrefs = (r.get("href") or "" for r in decision.findall(f"{n}informationRequirement/{n}requiredDecision"))
    return tuple(href.split("#", 1)[-1] for href in hrefs if href)


def read_tables(root: etree._Element) -> dict[str, DecisionTable]:
    """Every decision of a DMN document that has a decision table, by id."""
    n = _ns(root)
    tables: dict[str, DecisionTable] = {}
    for decision in root.iter(f"{n}decision"):
        table = decision.find(f"{n}decisionTable")
        ident = decision.get("id")
        if table is None or not ident:
            continue
        inputs = tuple(
            Input(str(i.get("id")), i.get("label") or "", _text(i.find(f"{n}inputExpression"), n))
            for i in table.findall(f"{n}input")
        )
        outputs = tuple(
            Output(str(o.get("id")), o.get("name") or o.get("label") or "", _output_values(o, n))
            for o in table.findall(f"{n}output")
        )
        rules = []
        for row, rule in enumerate(table.findall(f"{n}rule"), start=1):
            entries = [_text(e, n) for e in rule.findall(f"{n}inputEntry")]
            rules.append(
                Rule(
                    str(rule.get("id")),
                    row,
                    tuple(None if e is None or e.strip() in ("", "-") else e for e in entries),
                    tuple(_text(e, n) or "" for e in rule.findall(f"{n}outputEntry")),
                )
            )
        aggregation = table.get("aggregation")
        tables[ident] = DecisionTable(
            ident,
            (table.get("hitPolicy") or "UNIQUE").upper(),
            aggregation.upper() if aggregation else None,
            inputs,
            outputs,
            tuple(rules),
            required_of(decision),
        )
    return tables


def _output_values(output: etree._Element, n: str) -> tuple[str, ...]:
    text = _text(output.find(f"{n}outputValues"), n)
    if not text:
        return ()
    # "a","b","c" or a, b, c: a list of literals, highest priority first
    return tuple(v.strip() for v in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text) if v.strip())


def table_problems(root: etree._Element) -> list[TableProblem]:
    """What okno cannot evaluate in a DMN document, each against its decision."""
    n = _ns(root)
    problems: list[TableProblem] = []
    ids = {d.get("id") for d in root.iter(f"{n}decision")}
    tables = read_tables(root)
    for decision in root.iter(f"{n}decision"):
        ident = str(decision.get("id"))
        table = decision.find(f"{n}decisionTable")
        if table is None:
            problems.append(
                TableProblem(decision, ident, "decision has no decision table: okno evaluates decision tables only")
            )
            continue
        found = tables.get(ident)
        if found is None:
            continue
        policy, aggregation = found.hit_policy, found.aggregation
        if policy not in SINGLE_HIT | MULTIPLE_HIT:
            problems.append(TableProblem(table, ident, f"hit policy {policy!r} is not a DMN hit policy"))
        if aggregation is not None and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
            problems.append(
                TableProblem(
                    table,
                    ident,
                    f"aggregation {aggregation!r} needs hit policy COLLECT and one of SUM, MIN, MAX, COUNT",
                )
            )
        if aggregation is not None and len(found.outputs) != 1:
            problems.append(TableProblem(table, ident, f"aggregation {aggregation} needs exactly one output"))
        if policy in ("PRIORITY", "OUTPUT ORDER") and not any(o.values for o in found.outputs):
            problems.append(
                TableProblem(
                    table, ident, f"hit policy {policy} ranks rules by their outputs' outputValues, and none are given"
                )
            )
        if len(found.outputs) > 1 and any(not o.name for o in found.outputs):
            problems.append(TableProblem(table, ident, "a table with several outputs needs a name on each"))
        for rule in found.rules:
            if len(rule.inputs) != len(found.inputs) or len(rule.outputs) != len(found.outputs):
                problems.append(
                    TableProblem(table, ident, f"rule {rule.row} has not one entry per input and per output")
                )
        for required in found.required:
            if required not in ids:
                problems.append(
                    TableProblem(decision, ident, f"required decision {required!r} is not in this DMN file")
                )
    cycle = _cycle({k: t.required for k, t in tables.items()})
    if cycle:
        problems.append(TableProblem(root, cycle[0], f"decisions require each other in a cycle: {' -> '.join(cycle)}"))
    return problems


def _cycle(requires: Mapping[str, Iterable[str]]) -> list[str]:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for nxt in requires.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return []

    for start in sorted(requires):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return []


def with_required(refs: Iterable[str], requires: Mapping[str, Iterable[str]]) -> set[str]:
    """The decisions named, and every decision they require, transitively."""
    found: set[str] = set()
    todo = list(refs)
    while todo:
        ref = todo.pop()
        if ref not in found:
            found.add(ref)
            todo.extend(requires.get(ref, ()))
    return found
