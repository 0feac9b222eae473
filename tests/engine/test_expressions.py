"""okno's expression language: what it computes, and what it refuses to run."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ExpressionBudgetExceeded, ExpressionError
from engine.expressions import Budget, evaluate, execute

HOSTILE_EXPRESSIONS = [
    "().__class__.__base__.__subclasses__()",
    "__import__('os').system('touch /tmp/okno-pwned')",
    "open('/etc/passwd').read()",
    "eval('1')",
    "exec('x = 1')",
    "getattr(data, '__class__')",
    "data.__class__",
    "[c for c in ().__class__.__mro__]",
    "(lambda: 1)()",
    "globals()",
    "f'{data.__class__}'",
    "f'{1:>999999999}'",
    "'abc'.__len__()",
    "data.mro()",
    "'{0.__class__}'.format(data)",
    "data.items.append(1)",
    "b'bytes'",
]


@pytest.mark.parametrize("text", HOSTILE_EXPRESSIONS)
def test_hostile_expressions_are_refused_before_anything_runs(text: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(text, {"data": {"a": 1}})


@pytest.mark.parametrize(
    "script",
    [
        "import os\nos.system('id')",
        "from os import system",
        "while True:\n    pass",
        "def f():\n    return 1",
        "class A:\n    pass",
        "try:\n    x = 1\nexcept Exception:\n    pass",
        "del x.real",
        "del x[1:2]",
        "with open('f') as h:\n    pass",
        "x = ().__class__",
    ],
)
def test_hostile_scripts_are_refused(script: str) -> None:
    with pytest.raises(ExpressionError):
        execute(script, {"x": 1})


def test_a_script_that_loops_too_long_is_stopped_by_its_step_budget() -> None:
    script = "n = 0\nfor a in items:\n    for b in items:\n        n += 1"
    with pytest.raises(ExpressionBudgetExceeded):
        execute(script, {"items": list(range(1000))})


@pytest.mark.parametrize("text", ["'a' * 10**9", "[0] * 10**9", "9**9**9", "10**100000", "2**4097"])
def test_a_value_too_large_is_refused_before_it_is_built(text: str) -> None:
    with pytest.raises(ExpressionBudgetExceeded):
        evaluate(text, {})


def test_lookups_read_case_data_by_key_or_dotted_name() -> None:
    data = {"decision": {"outcome": "registered", "items": [1, 2, 3]}}
    assert evaluate("decision.outcome == 'registered'", data) is True
    assert evaluate("decision['items'][-1] + len(decision.items)", data) == 6
    assert evaluate("'x' if decision.outcome in ['refused'] else 'y'", data) == "y"
    assert evaluate("missing is None", {"missing": None}) is True


def test_an_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(ExpressionError, match="name 'decision' is not defined"):
        evaluate("decision == 'x'", {})


def test_scripts_assign_into_case_data() -> None:
    data: dict[str, object] = {"income": 90_000, "size": 3}
    execute(
        "per_capita = income // size\nif per_capita < 15000:\n    poor = True\nelse:\n    poor = False\n"
        "report = {'per_capita': per_capita}\nreport['ok'] = not poor",
        data,
    )
    assert data["per_capita"] == 30_000
    assert data["report"] == {"per_capita": 30_000, "ok": True}


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_arithmetic_and_comparison_agree_with_python(a: int, b: int) -> None:
    names = {"a": a, "b": b}
    assert evaluate("a + b * 2 - (a - b)", names) == a + b * 2 - (a - b)
    assert evaluate("a < b or a == b", names) == (a <= b)
    if b != 0:
        assert evaluate("a // b", names) == a // b
        assert evaluate("a % b", names) == a % b


def test_comprehensions_build_lists_records_and_distinct_values() -> None:
    data = {"people": [{"name": "Ann", "age": 34}, {"name": "Bob", "age": 15}, {"name": "Ann", "age": 34}]}
    assert evaluate("[p['name'] for p in people if p.age >= 18]", data) == ["Ann", "Ann"]
    assert evaluate("{p.name: p.age for p in people}", data) == {"Ann": 34, "Bob": 15}
    # a set comprehension keeps first-seen order: case data is JSON and replays identically
    assert evaluate("{p.name for p in people}", data) == ["Ann", "Bob"]
    assert evaluate("any(p.age < 18 for p in people)", data) is True
    assert evaluate("[x * y for x in [1, 2] for y in [10, 20]]", {}) == [10, 20, 20, 40]
    assert evaluate("[k + '=' + str(v) for k, v in {'a': 1, 'b': 2}.items()]", {}) == ["a=1", "b=2"]


def test_a_comprehension_keeps_its_loop_names_to_itself() -> None:
    data: dict[str, object] = {"xs": [1, 2, 3]}
    execute("doubled = [x * 2 for x in xs]", data)
    assert data == {"xs": [1, 2, 3], "doubled": [2, 4, 6]}


def test_a_comprehension_over_a_huge_range_is_stopped_by_the_budget() -> None:
    with pytest.raises(ExpressionBudgetExceeded):
        evaluate("[x * y for x in range(1000) for y in range(1000)]", {})
    with pytest.raises(ExpressionBudgetExceeded):  # skipped iterations cost too
        evaluate("[x for x in range(100000) for y in range(100) if False]", {})
    with pytest.raises(ExpressionError, match="exceeds"):
        evaluate("range(10**9)", {})


def test_every_comprehension_iteration_spends_budget() -> None:
    small, large = Budget(), Budget()
    evaluate("[x for x in range(10)]", {}, small)
    evaluate("[x for x in range(1000)]", {}, large)
    assert (Budget().steps - large.steps) - (Budget().steps - small.steps) >= 990


def test_f_strings_format_texts_and_numbers_with_simple_specs() -> None:
    data = {"name": "Ann", "fee": 1234.5, "n": 7}
    assert evaluate("f'{name}: {fee:,.2f} ₽, №{n:03d} {name!r}'", data) == "Ann: 1,234.50 ₽, №007 'Ann'"
    with pytest.raises(ExpressionError, match="not a list"):
        evaluate("f'{xs}'", {"xs": [1]})
    with pytest.raises(ExpressionError, match="written out"):
        evaluate("f'{fee:{n}}'", data)


def test_del_removes_a_name_or_a_key_or_an_item() -> None:
    data: dict[str, object] = {"tmp": 1, "record": {"a": 1, "b": 2}, "xs": [1, 2, 3]}
    execute("del tmp\ndel record['a']\ndel xs[0]", data)
    assert data == {"record": {"b": 2}, "xs": [2, 3]}
    with pytest.raises(ExpressionError, match="not defined"):
        execute("del missing", {})


def test_string_list_and_record_methods_run_on_their_own_types() -> None:
    data: dict[str, Any] = {"s": "  Hello, World ", "xs": [3, 1, 2], "d": {"a": 1}}
    assert evaluate("s.strip().lower().split(', ')", data) == ["hello", "world"]
    assert evaluate("'-'.join(['a', 'b']).upper().replace('-', '+')", data) == "A+B"
    assert evaluate("s.strip().startswith('Hello') and s.endswith(' ')", data) is True
    assert evaluate("[xs.index(2), xs.count(3), d.get('b', 0), d.keys(), d.items()]", data) == [
        2,
        1,
        0,
        ["a"],
        [["a", 1]],
    ]
    script = "xs.append(4)\nxs.sort(reverse=True)\nlast = xs.pop()\nd.update({'b': 2})\nd.setdefault('c', 3)"
    execute(script, data)
    assert data["xs"] == [4, 3, 2] and data["last"] == 1 and data["d"] == {"a": 1, "b": 2, "c": 3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("xs.append(1)", "changes its value"),  # an expression only reads
        ("s.format(1)", "method format"),
        ("n.bit_length()", "method bit_length"),
        ("xs.lower()", "a list has no method lower"),
        ("n.upper()", "int has no methods"),
        ("('a' * 50000).replace('a', 'aaaa')", "exceed"),
        ("sorted(xs, key=len)", "keyword"),
    ],
)
def test_methods_are_refused_off_their_allow_list(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(text, {"xs": [1], "s": "a", "n": 1})


def test_a_list_cannot_be_put_inside_itself() -> None:
    with pytest.raises(ExpressionError, match="inside itself"):
        execute("xs.append(xs)", {"xs": []})


@given(st.lists(st.integers(-1000, 1000), max_size=30), st.integers(-5, 5))
def test_comprehensions_and_methods_agree_with_python(xs: list[int], k: int) -> None:
    names = {"xs": xs, "k": k}
    assert evaluate("[x * k for x in xs if x % 2 == 0]", names) == [x * k for x in xs if x % 2 == 0]
    assert evaluate("{str(x): x for x in xs}", names) == {str(x): x for x in xs}
    assert evaluate("{x % 7 for x in xs}", names) == list(dict.fromkeys(x % 7 for x in xs))
    assert evaluate("f'{k:+d}/{len(xs)}'", names) == f"{k:+d}/{len(xs)}"
    assert evaluate("','.join([str(x) for x in xs]).split(',')", names) == ([str(x) for x in xs] if xs else [""])


def test_a_scripts_print_runs_and_changes_nothing() -> None:
    # SpiffArena's scripts print to the server's log as they go (spiff-arena samples,
    # e.g. timer-cycle.bpmn); okno keeps no such log, so print is a call without effect.
    variables: dict[str, Any] = {"coffee": 2}
    execute("print(f'coffee: {coffee}')\ncoffee = coffee + 1\nprint('refilled', coffee)", variables)
    assert variables == {"coffee": 3}
