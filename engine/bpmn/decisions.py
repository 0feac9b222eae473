"""Business rule tasks: which decision a task calls, in every dialect, and okno's own
evaluation of DMN decision tables in place of SpiffWorkflow's.

A task names its decision by ``camunda:decisionRef`` (Camunda 7, with
``camunda:resultVariable`` and ``camunda:mapDecisionResult``), ``zeebe:calledDecision
decisionId= resultVariable=`` (Camunda 8) or ``spiffworkflow:calledDecisionId``
(SpiffArena). The decision's required decisions are evaluated first and their outputs
are its variables, so a whole DRD runs; every DMN hit policy is evaluated.

Cells are okno's expressions (engine.bpmn.normalize translated the FEEL), evaluated by the
case's script engine under its budget, never as Python. A table evaluated under UNIQUE
and COLLECT gives exactly what SpiffWorkflow gave, so recorded histories replay byte for
byte: UNIQUE keeps SpiffWorkflow's first match, and without a result variable the
outputs are merged into the case data by name, as before."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.bpmn.decision_tables import DecisionTable, Rule, read_tables
from engine.bpmn.event_parser import OknoParser
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS
from engine.errors import ExpressionError

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # a '?' outside quotes, as SpiffWorkflow
_MAPPINGS = frozenset({"singleEntry", "singleResult", "collectEntries", "resultList"})


@dataclass(frozen=True)
class DecisionCall:
    decision_id: str
    result_variable: str | None
    dialect: str  # "camunda", "zeebe", "spiff"
    mapping: str | None = None  # camunda:mapDecisionResult


def decision_call(task: etree._Element) -> DecisionCall | None:
    b, c, z, s = f"{{{BPMN_NS}}}", f"{{{CAMUNDA_NS}}}", f"{{{ZEEBE_NS}}}", f"{{{SPIFF_NS}}}"
    called = task.find(f"{b}extensionElements/{z}calledDecision")
    if called is not None and called.get("decisionId"):
        return DecisionCall(str(called.get("decisionId")), called.get("resultVariable"), "zeebe")
    spiff = task.find(f"{b}extensionElements/{s}calledDecisionId")
    if spiff is not None and (spiff.text or "").strip():
        return DecisionCall((spiff.text or "").strip(), None, "spiff")
    # Camunda 7's last: the parser sets camunda:decisionRef on the others for SpiffWorkflow.
    if task.get(f"{c}decisionRef"):
        return DecisionCall(
            str(task.get(f"{c}decisionRef")),
            task.get(f"{c}resultVariable"),
            "camunda",
            task.get(f"{c}mapDecisionResult"),
        )
    return None


def call_problem(task: etree._Element) -> str | None:
    """Why a business rule task cannot run, if it cannot."""
    call = decision_call(task)
    if call is None:
        return (
            "businessRuleTask names no decision: set camunda:decisionRef, zeebe:calledDecision decisionId, "
            "or spiffworkflow:calledDecisionId"
        )
    if call.mapping is not None and call.mapping not in _MAPPINGS:
        return f"camunda:mapDecisionResult {call.mapping!r} is not one of {', '.join(sorted(_MAPPINGS))}"
    if call.result_variable is not None and not call.result_variable.isidentifier():
        return f"result variable {call.result_variable!r} is not a plain name"
    return None


class DecisionFailure(ExpressionError):
    """A decision that cannot give a result for this case's data (ANY with rules that
    disagree, singleEntry with several values)."""


class DecisionParser(OknoParser):
    """okno's parser (SpiffWorkflow's Camunda parser reading every start event), with
    okno's decisions: every decision of every DMN file, and business rule tasks of every
    dialect."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, DecisionTable] = {}

    def add_dmn_xml(self, node: etree._Element, filename: str | None = None) -> None:
        self.tables.update(read_tables(node))

    def add_bpmn_xml(self, bpmn: Any, filename: str | None = None) -> None:
        # SpiffWorkflow's business rule task parser reads camunda:decisionRef only.
        root = bpmn.getroot() if hasattr(bpmn, "getroot") else bpmn
        for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
            call = decision_call(task)
            if call is not None:
                task.set(f"{{{CAMUNDA_NS}}}decisionRef", call.decision_id)
        super().add_bpmn_xml(bpmn, filename)

    def get_engine(self, decision_ref: str, node: etree._Element) -> DecisionEngine:
        call = decision_call(node) or DecisionCall(decision_ref, None, "camunda")
        if decision_ref not in self.tables:
            from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

            raise ValidationException(f"no DMN decision {decision_ref!r} was deployed", node=node, file_name="")
        return DecisionEngine(call, self.tables)


class DecisionEngine:
    """What SpiffWorkflow's business rule task calls: ``result(task)`` is merged into the
    task's data."""

    def __init__(self, call: DecisionCall, tables: Mapping[str, DecisionTable]) -> None:
        self.call = call
        self.tables = tables

    def result(self, task: Any) -> dict[str, Any]:
        variables: dict[str, Any] = {}
        for required in _order(self.call.decision_id, self.tables):
            variables.update(
                _outputs(self.tables[required], _matches(self.tables[required], task, variables), task, variables)
            )
        table = self.tables[self.call.decision_id]
        matched = _matches(table, task, variables)
        if self.call.result_variable is None:
            return _outputs(table, matched, task, variables)
        value = _shaped(self.call, table, matched, task, variables)
        # A result variable is replaced, not merged into what it held (SpiffWorkflow merges).
        task.data.pop(self.call.result_variable, None)
        return {self.call.result_variable: value}


def _order(decision_id: str, tables: Mapping[str, DecisionTable]) -> list[str]:
    """The decisions ``decision_id`` requires, each after those it requires (validation
    refused cycles)."""
    ordered: list[str] = []

    def visit(ident: str) -> None:
        for required in tables[ident].required:
            if required not in ordered:
                visit(required)
                ordered.append(required)

    visit(decision_id)
    return ordered


def _evaluate(task: Any, text: str, variables: Mapping[str, Any]) -> Any:
    return task.workflow.script_engine.evaluate(task, text, external_context=dict(variables))


def _matches(table: DecisionTable, task: Any, variables: Mapping[str, Any]) -> list[Rule]:
    matched: list[Rule] = []
    for rule in table.rules:
        if all(_test(table.inputs[i].expression, entry, task, variables) for i, entry in enumerate(rule.inputs)):
            matched.append(rule)
            if table.hit_policy in ("UNIQUE", "FIRST"):
                break  # SpiffWorkflow's UNIQUE: the first rule that matches
    return matched


def _test(input_expr: str | None, entry: str | None, task: Any, variables: Mapping[str, Any]) -> bool:
    """One input entry against its input, as SpiffWorkflow's DMN engine decides it."""
    if entry is None:
        return True
    script_engine = task.workflow.script_engine
    entry = _QUESTION_MARK.sub("dmninputexpr", entry)
    if "dmninputexpr" in entry:
        value = _evaluate(task, input_expr or "None", variables)
        return bool(_evaluate(task, entry, {**variables, "dmninputexpr": value}))
    script_engine.validate(input_expr)
    try:
        script_engine.validate(entry)
        expression = f"({input_expr}) == ({entry})"
    except SyntaxError:
        expression = f"{input_expr}{entry}"
    return bool(_evaluate(task, expression, variables))


def _row(table: DecisionTable, rule: Rule, task: Any, variables: Mapping[str, Any]) -> dict[str, Any]:
    """A rule's outputs by name; a dotted name builds nested objects, as SpiffWorkflow's."""
    out: dict[str, Any] = {}
    for output, text in zip(table.outputs, rule.outputs, strict=True):
        value = _evaluate(task, text, variables) if text else ""
        parts = output.name.split(".")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _ranked(table: DecisionTable, rules: list[Rule], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by their outputs' priority (the order of each output's outputValues)."""

    def rank(row: dict[str, Any]) -> tuple[int, ...]:
        ranks = []
        for output in table.outputs:
            if output.values:
                literal = _literal(row.get(output.name))
                ranks.append(output.values.index(literal) if literal in output.values else len(output.values))
        return tuple(ranks)

    return sorted(rows, key=rank)  # stable: equal priority keeps rule order


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(table: DecisionTable, matched: list[Rule], task: Any, variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The result rows of a table's hit policy (before any aggregation)."""
    rows = [_row(table, rule, task, variables) for rule in matched]
    policy = table.hit_policy
    if policy == "ANY" and any(row != rows[0] for row in rows[1:]):
        differing = next(r for r, row in zip(matched, rows, strict=True) if row != rows[0])
        raise DecisionFailure(
            f"decision {table.decision_id}: hit policy ANY, but rules {matched[0].row} and {differing.row} "
            "give different outputs"
        )
    if policy in ("PRIORITY", "OUTPUT ORDER"):
        rows = _ranked(table, matched, rows)
    if policy in ("ANY", "PRIORITY"):
        return rows[:1]
    return rows


def _aggregate(table: DecisionTable, rows: list[dict[str, Any]]) -> Any:
    values = [row[table.outputs[0].name] for row in rows]
    if table.aggregation == "COUNT":
        return len(values)
    if not values:
        return None
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(values) and table.aggregation == "SUM":
        raise DecisionFailure(f"decision {table.decision_id}: SUM needs numbers, got {values!r}")
    if table.aggregation == "SUM":
        return sum(numbers)
    return min(values) if table.aggregation == "MIN" else max(values)


def _outputs(table: DecisionTable, matched: list[Rule], task: Any, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The table's result merged into case data by output name (no result variable)."""
    rows = _rows(table, matched, task, variables)
    if table.aggregation is not None:
        value = _aggregate(table, rows)
        return {} if value is None else {table.outputs[0].name: value}
    if table.hit_policy in ("UNIQUE", "FIRST", "ANY", "PRIORITY"):
        return rows[0] if rows else {}
    collected: dict[str, Any] = {}
    for row in rows:  # SpiffWorkflow's COLLECT: a list per output
        for key, value in row.items():
            collected.setdefault(key, []).append(value)
    return collected


def _shaped(
    call: DecisionCall, table: DecisionTable, matched: list[Rule], task: Any, variables: Mapping[str, Any]
) -> Any:
    """The value a result variable holds: Camunda 7's mapDecisionResult (resultList by
    default), or Camunda 8's: a single hit's value (or object of several outputs), a
    list of them for a multiple hit."""
    rows = _rows(table, matched, task, variables)
    if table.aggregation is not None:
        aggregated = _aggregate(table, rows)
        rows = [] if aggregated is None else [{table.outputs[0].name: aggregated}]
    if call.dialect == "camunda":
        mapping = call.mapping or "resultList"
        if mapping == "resultList":
            return rows
        if mapping == "collectEntries":
            return [_single_entry(table, row) for row in rows]
        if len(rows) > 1:
            raise DecisionFailure(f"decision {table.decision_id}: {mapping} needs at most one result, got {len(rows)}")
        if not rows:
            return None
        return _single_entry(table, rows[0]) if mapping == "singleEntry" else rows[0]
    entries: list[Any] = [next(iter(row.values())) if len(row) == 1 else row for row in rows]
    if table.single_hit:
        return entries[0] if entries else None
    return entries


def _single_entry(table: DecisionTable, row: dict[str, Any]) -> Any:
    if len(row) != 1:
        raise DecisionFailure(f"decision {table.decision_id}: an entry of one output was asked for, it has {len(row)}")
    return next(iter(row.values()))
