"""JUEL and FEEL as analysts write them (issue 16): translated at deploy into okno's
language and run by okno's own interpreter — never by a JUEL or FEEL engine, never as
Python — with what cannot run (Java beans, Groovy, regular expressions) refused at
deploy with ``file:line: element: message`` and the okno equivalent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.bpmn.dialects import normalize
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.catalog import Service
from engine.errors import ExpressionError
from engine.expressions import evaluate
from engine.replay import verify
from tests.conftest import FIXTURES, OFFICE, T0, BackendContract, EngineMaker, at

DATA: dict[str, Any] = {
    "name": "Anna",
    "items": [3, 1, 2],
    "empty_list": [],
    "nothing": None,
    "order": {"total": 1500, "lines": [{"qty": 2}, {"qty": 5}]},
    "born": "1990-05-20",
    "n": 4,
    "stamp": "2026-03-01T10:00:00",
}
CASE_TIME = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def run(written: str) -> Any:
    return evaluate(normalize(written), DATA, now=CASE_TIME)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("${empty empty_list && not empty name}", True),
        ("${empty nothing}", True),
        ("${name.length() > 3 && items.size() == 3}", True),
        ('${name.contains("nn") ? "yes" : "no"}', "yes"),
        ('${name.startsWith("An") and name.endsWith("a")}', True),
        ('${name.equals("Anna") || name.equalsIgnoreCase("x")}', True),
        ('${execution.getVariable("order").total >= 1000}', True),
        ("${order.total > 1000 ? (n > 3 ? 'both' : 'total') : 'none'}", "both"),
        ("${name.toUpperCase().trim()}", "ANNA"),
        ("${items.get(0) + order.lines.get(1).qty}", 8),
        ("${name.substring(1, 3)}", "nn"),
    ],
)
def test_juel_empty_ternary_and_methods_run_as_okno(written: str, value: Any) -> None:
    assert run(written) == value


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ('= if order.total > 1000 then "large" else "small"', "large"),
        ("= for line in order.lines return line.qty * 2", [4, 10]),
        ("= sum(for i in 1..n return i)", 10),
        ("= some x in items satisfies x > 2", True),
        ("= every x in items satisfies x > 2", False),
        ("= n between 1 and 4", True),
        ("= n in [1..3]", False),
        ("= n in (3..4]", True),
        ("= defined(order.total) and not(defined(order.missing)) and defined(nothing)", True),
        ("= string length(name) + count(items)", 7),
        ('= upper case(substring(name, 2, 2)) + lower case("X")', "NNx"),
        ('= substring before("a-b", "-") + substring after("a-b", "-")', "ab"),
        ('= contains(name, "nn") and starts with(name, "A") and ends with(name, "a")', True),
        ('= string join(split("a,b,c", ","), "+")', "a+b+c"),
        ('= replace("2026/01/01", "/", "-")', "2026-01-01"),
        ("= list contains(items, 2) and index of(items, 2) = [3]", True),
        ("= [min(items), max(items), sum(items), mean(items)]", [1, 3, 6, 2.0]),
        ("= append(items, 4)", [3, 1, 2, 4]),
        ("= concatenate(items, [9])", [3, 1, 2, 9]),
        ("= distinct values([1, 1, 2]) = [1, 2] and flatten([[1], [2, [3]]]) = [1, 2, 3]", True),
        ("= sort(items) = [1, 2, 3] and reverse(items) = [2, 1, 3]", True),
        ("= sublist(items, 2) = [1, 2] and sublist(items, -1, 1) = [2]", True),
        (
            "= [decimal(2.5, 0), floor(1.7), ceiling(1.2), abs(-3), modulo(-7, 3), round half up(2.5, 0)]",
            [2, 1, 2, 3, 2, 3],
        ),
        ("= date(stamp)", "2026-03-01"),
        ("= date(born) < today()", True),
        ("= years and months duration(date(born), today())", "P35Y9M"),
        ('= duration("P2D")', "P2D"),
        ('= date and time(date("2026-01-02"), "10:00:00")', "2026-01-02T10:00:00"),
        ("= if count(items) > 2 then for x in items return x + 1 else []", [4, 2, 3]),
        ('= [get or else(nothing, "-"), get or else(missing.x, 0), get or else(n, 0)]', ["-", 0, 4]),
        ("= is defined(order) and not(is defined(missing))", True),
        (
            '= {name: name, "total": order.total, lines: {n: count(order.lines)}}',
            {"name": "Anna", "total": 1500, "lines": {"n": 2}},
        ),
    ],
)
def test_feel_built_ins_and_forms_run_as_okno(written: str, value: Any) -> None:
    assert run(written) == value


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-50, 50))
def test_feel_ranges_between_and_conditionals_agree_with_their_meaning(x: int, a: int, b: int) -> None:
    names = {"x": x, "a": a, "b": b}

    def feel(text: str) -> Any:
        return evaluate(normalize(text), names)

    assert feel("= x between a and b") == (a <= x <= b)
    assert feel("= x in [a..b]") == (a <= x <= b)
    assert feel("= x in (a..b)") == (a < x < b)
    assert feel("= if x > a then x else a") == max(x, a)
    step = 1 if a <= b else -1
    assert feel("= for i in a..b return i * x") == [i * x for i in range(a, b + step, step)]
    assert feel("= every i in [a, b] satisfies i < x") == (a < x and b < x)
    assert evaluate(normalize("${x > a ? (x > b ? 'both' : 'a') : 'none'}"), names) == (
        ("both" if x > b else "a") if x > a else "none"
    )


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('= matches(name, "^A.*")', "regular expression"),
        ('= replace(name, "n+", "m")', "regular expression"),
        ("${orderService.check(order)}", "no Java beans"),
        ("${execution.getProcessInstanceId()}", "Java API"),
    ],
)
def test_what_cannot_run_is_refused_with_the_okno_way(written: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        run(written)


def test_expressions_that_translated_before_translate_exactly_as_before() -> None:
    # Recorded histories replay through today's translation: old texts must not move.
    assert normalize("${a > 1 && (b || !c)}") == "a > 1 and (b or not c)"
    assert normalize('= x in ["a", "b"] and y.z = null') == 'x in ["a", "b"] and y.z == None'
    assert normalize('= date("2026-01-01") < d') == '"2026-01-01" < d'


MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"/>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_1"/>
    <bpmn:exclusiveGateway id="Gateway_1" default="Flow_3"/>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Gateway_1" targetRef="Task_Script">
      <bpmn:conditionExpression>${creditService.approve(amount)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Gateway_1" targetRef="Task_Script"/>
    <bpmn:scriptTask id="Task_Script" scriptFormat="groovy">
      <bpmn:script>execution.setVariable("x", 1)</bpmn:script>
    </bpmn:scriptTask>
  </bpmn:process>
</bpmn:definitions>
"""


def test_java_beans_and_groovy_are_refused_at_their_line_naming_the_okno_way() -> None:
    problems = [str(problem) for problem in validate([SourceFile("beans.bpmn", MODEL)]).problems]
    assert any(p.startswith("beans.bpmn:9: Flow_2: condition") and "no Java beans" in p for p in problems), problems
    assert any(
        p.startswith("beans.bpmn:12: Task_Script: scriptFormat 'groovy'") and "okno's language" in p for p in problems
    ), problems


class TestZeebeScripts(BackendContract):
    def test_a_camunda_8_script_task_runs_its_feel_expression_into_the_result_variable(
        self, engines: EngineMaker
    ) -> None:
        engine = engines()
        assert engine.deploy(collect_sources([FIXTURES / "zeebe_script.bpmn"]), T0).ok
        service = Service("zeebe_script", "zeebe_script", "Ведомство", "federal", 5, ("Паспорт",), 0, "zeebe_script")
        engine.publish_catalog([service], T0)
        engine.register_offices([OFFICE], T0)
        members = [{"age": 40}, {"age": 12}, {"age": 35}]
        case = engine.open_case(
            service="zeebe_script",
            office="LPK",
            channel="window",
            actor="LPK/operator",
            at=at(),
            applicant={"full_name": "Петров Пётр Петрович", "document": "4210 654321"},
            data={"members": members},
        )
        assert case.status == "completed"
        data = json.loads(case.state)["workflow"]["data"]
        assert data["fee"] == 700 and data["note"] == "К оплате: 700 ₽ за 3"
        assert verify(engine.steps, list(engine.case_events(case.number))).ok
