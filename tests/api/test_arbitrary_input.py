"""Arbitrary input through every mutation and query, and through every engine command:
any Unicode (NUL and lone surrogates included), empty and huge text, deep and odd JSON.
Every answer is typed — never "internal error" — and afterwards every read model has
folded every stored event (lag 0, nothing parked), on SQLite and PostgreSQL.

The GraphQL side runs the real schema in process (``schema.execute_sync``) over a real
store with a real Context; which mutations and queries exist, and what their arguments
are, is read from the schema, so a new one is driven without touching this file. The
engine side reads each command's declared argument rules (engine.input_checks.checked).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api.auth import Principal
from api.context import Context, Services
from api.schema import schema
from engine.application import Engine
from engine.errors import OknoError
from engine.input_checks import Items, Json, Mapped, Maybe, Record, Rule, Text, Whole
from engine.reception_desk import Reception
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import T0, BackendContract, EngineMaker, seeded

# -- hostile values -------------------------------------------------------------------------
ODD = "\x00\ud800\udfff\udc80\n\t\r\x1b\x7f\x85\u202e\u200b\ufeff\uffff😀яЁ A-/_.:"
HOSTILE_TEXT = st.one_of(
    st.text(max_size=24),
    st.text(alphabet=st.sampled_from(ODD), max_size=16),
    st.just(""),
    st.builds(
        lambda before, poison, after: before + poison + after,
        st.text(max_size=6),  # one bad character
        st.sampled_from(["\x00", "\ud800", "\udfff", "\x1b", "\n", "\x7f"]),
        st.text(max_size=6),
    ),
    st.builds(
        lambda piece, times: piece * times,
        st.sampled_from(["x", "я", "\x00", "😀", "\ud800"]),
        st.sampled_from([65, 129, 201, 501, 4_001, 10_001, 100_000]),
    ),
)
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), HOSTILE_TEXT
)
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)),
    max_leaves=12,
)


def nested(depth: int, leaf: Any) -> Any:
    for index in range(depth):
        leaf = {"a": leaf} if index % 2 else [leaf]
    return leaf


DEEP_JSON = st.builds(nested, st.integers(10, 120), JSON_LEAF)
ODD_JSON = st.one_of(
    JSON_ANY,
    DEEP_JSON,
    st.dictionaries(HOSTILE_TEXT, st.one_of(JSON_ANY, DEEP_JSON), max_size=3),
    st.builds(lambda n: {"many": list(range(n))}, st.sampled_from([10, 6_000])),
)


# -- the world the examples share -----------------------------------------------------------
@dataclass
class World:
    engine: Engine
    projector: Projector
    services: Services
    now: list[datetime] = field(default_factory=lambda: [T0])
    numbers: list[str] = field(default_factory=list)

    def clock(self) -> datetime:
        self.now[0] += timedelta(seconds=20)  # every read moves on: commands never go back in time
        return self.now[0]

    def task_ids(self) -> list[str]:
        return [t["id"] for n in self.numbers for t in self.engine.get_case(n).open_tasks if "id" in t] or ["t"]

    def plausible(self, name: str) -> list[Any]:
        """Values a command accepts, so that commands also record events (which must fold)."""
        day = self.now[0].date()
        return {
            "caseNumber": self.numbers,
            "number": self.numbers,
            "case_number": self.numbers,
            "element": ["Task_Reception", "Task_Handout", "Timer_Unclaimed"],
            "taskId": self.task_ids(),
            "task": self.task_ids(),
            "serviceCode": ["mini_service"],
            "service": ["mini_service"],
            "officeId": ["LPK"],
            "office": ["LPK"],
            "channel": ["window", "portal"],
            "name": ["agency_answer"],
            "reference": ["RR-77/2026", "Реф. «№ 5» 😀"],
            "reason": ["Передумал.\r\n\tСовсем.", "x"],
            "topic": ["other", "staff"],
            "fullName": ["Иванов Иван 😀"],
            "full_name": ["Иванов Иван"],
            "category": ["general", "priority"],
            "outcome": ["consultation", "no_show"],
            "code": [f"LPK-{day:%Y%m%d}-001"],
            "ticketId": [f"LPK-{day:%Y%m%d}-А001"],
            "ticket": [f"LPK-{day:%Y%m%d}-А001"],
            "slotId": [f"LPK/1/{day + timedelta(days=1)}T10:00"],
            "error": ["СМЭВ: нет ответа\n(таймаут)"],
            "actor": ["LPK/op", "gateway"],
        }.get(name, [])

    def plausible_json(self, name: str) -> list[Any]:
        values: dict[str, list[Any]] = {
            "data": [{"documents_complete": True, "pages": 3}, {"documents_complete": False}, {}],
            "payload": [{"decision": "approved", "note": "Тест\n😀"}],
            "result": [{"paid": 2000}],
        }
        return values.get(name, [])


def world_on(engine: Engine) -> World:
    seeded(engine)
    projector = Projector(engine)
    world = World(engine, projector, None)  # type: ignore[arg-type]
    world.services = Services(
        engine=engine,
        projector=projector,
        reader=Reader(projector),
        tokens=None,  # type: ignore[arg-type]
        clock=world.clock,
    )
    for index in range(3):
        case = engine.open_case(
            service="mini_service",
            office="LPK",
            channel="window",
            applicant={"full_name": f"Заявитель {'АБВ'[index]}."},  # a name has no digits
            actor="LPK/op",
            at=world.clock(),
        )
        world.numbers.append(case.number)
    engine.complete_task(
        world.numbers[0], "Task_Reception", {"documents_complete": True, "pages": 2}, actor="LPK/op", at=world.clock()
    )  # it has sent its request: message 1
    return world


def settled(world: World) -> None:
    """Every stored event folded into every read model: all at the head, none parked."""
    world.projector.catch_up()
    behind = {s.name: s.lag for s in world.projector.status() if s.lag}
    assert not behind, f"read models behind the log: {behind}"
    parked = getattr(world.projector, "parked", None)  # cases a model could not fold, where models park them
    if parked is not None:
        assert not parked(), f"cases parked: {parked()}"


# -- GraphQL: every mutation and query, from the schema -------------------------------------
def graphql_value(world: World, type_: Any, name: str) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLNonNull):
        return _graphql_value(world, type_.of_type, name)
    return st.one_of(st.none(), _graphql_value(world, type_, name))


def _graphql_value(world: World, type_: Any, name: str) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLList):
        return st.lists(graphql_value(world, type_.of_type, name), max_size=3)
    if isinstance(type_, GraphQLInputObjectType):
        required = {
            n: graphql_value(world, f.type, n) for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)
        }
        optional = {
            n: graphql_value(world, f.type, n)
            for n, f in type_.fields.items()
            if not isinstance(f.type, GraphQLNonNull)
        }
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(list(type_.values))
    assert isinstance(type_, GraphQLScalarType), type_
    if type_.name in ("String", "ID"):
        return likely(world.plausible(name), HOSTILE_TEXT)
    if type_.name == "Int":
        return st.one_of(st.sampled_from([1, 2, 3, 5]), st.integers(-(2**31), 2**31 - 1))
    if type_.name == "Float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if type_.name == "Boolean":
        return st.booleans()
    if type_.name == "JSON":
        return likely(world.plausible_json(name), ODD_JSON)
    if type_.name == "Date":
        return st.dates().map(str)
    if type_.name == "DateTime":
        return st.datetimes(timezones=st.just(T0.tzinfo)).map(lambda d: d.isoformat())
    return HOSTILE_TEXT  # a scalar this file does not know: any text must still be answered


def likely(pool: list[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value a command accepts (so events are recorded, and must fold), often an odd one."""
    if not pool:
        return odd
    return st.integers(0, 3).flatmap(lambda roll: odd if roll == 0 else st.sampled_from(pool))


def operation(kind: str, field_name: str, definition: GraphQLField) -> str:
    arguments = list(definition.args.items())
    declared = ", ".join(f"${name}: {arg.type}" for name, arg in arguments)
    passed = ", ".join(f"{name}: ${name}" for name, _ in arguments)
    named = get_named_type(definition.type)
    selection = "" if is_leaf_type(named) else " { __typename }"
    head = f"{kind}({declared})" if declared else kind
    call = f"{field_name}({passed})" if passed else field_name
    return f"{head} {{ {call}{selection} }}"


ROLES = [
    Principal("fuzz", "integrator"),
    Principal("fuzz", "operator", "LPK"),
    Principal("fuzz", "supervisor", "LPK"),
    Principal("fuzz", "analyst"),
    Principal("fuzz", "auditor"),
    None,
]


STAFF = ("operator", "supervisor")
ALLOWED = {
    "openCase": ("integrator", *STAFF),
    "claimTask": STAFF,
    "releaseTask": STAFF,
    "completeTask": STAFF,
    "deliverMessage": ("integrator",),
    "withdrawCase": ("integrator", *STAFF),
    "acknowledgeMessage": ("integrator",),
    "rateVisit": ("integrator",),
    "retryIncident": ("supervisor",),
    "markNotificationSent": ("integrator",),
    "deployProcess": ("analyst",),
    "bookAppointment": ("integrator", *STAFF),
    "cancelAppointment": ("integrator", *STAFF),
    "rescheduleAppointment": ("integrator", *STAFF),
    "issueTicket": ("integrator", *STAFF),
    "callNextTicket": STAFF,
    "endVisit": STAFF,
}


def drive_graphql(world: World, kind: str, root: GraphQLObjectType, examples_each: int) -> None:
    """Arbitrary calls of each of ``root``'s fields, ``examples_each`` apiece."""
    for name in sorted(root.fields):
        drive_field(world, kind, name, root.fields[name], examples_each)


def drive_field(world: World, kind: str, name: str, definition: GraphQLField, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        variables = {arg: data.draw(graphql_value(world, a.type, arg), label=arg) for arg, a in definition.args.items()}
        principal = data.draw(
            likely([p for p in ROLES if p and p.role in ALLOWED.get(name, ())], st.sampled_from(ROLES)), label="caller"
        )
        result = schema.execute_sync(
            operation(kind, name, definition),
            variable_values=variables,
            context_value=Context(services=world.services, principal=principal),
        )
        for error in result.errors or []:
            assert error.message != "internal error", (name, variables, error.original_error)
            assert error.original_error is None or isinstance(error.original_error, OknoError | type(error)), (
                name,
                error.original_error,
            )
        answer = (result.data or {}).get(name)
        typename = answer.get("__typename") if isinstance(answer, dict) else None
        event(f"{name}: {typename or ('error' if result.errors else 'answered')}")
        world.projector.catch_up()

    example()


class TestArbitraryInput(BackendContract):
    @pytest.mark.slow
    def test_every_mutation_answers_arbitrary_input_typed_and_every_stored_event_folds(
        self, engines: EngineMaker
    ) -> None:
        world = world_on(engines())
        mutations = schema._schema.mutation_type
        assert mutations is not None
        drive_graphql(world, "mutation", mutations, examples_each=20)
        settled(world)

    def test_every_query_answers_arbitrary_arguments_typed(self, engines: EngineMaker) -> None:
        world = world_on(engines())
        drive_graphql(world, "query", schema._schema.query_type, examples_each=8)  # type: ignore[arg-type]
        settled(world)

    @pytest.mark.slow
    def test_every_engine_command_refuses_or_records_and_every_stored_event_folds(self, engines: EngineMaker) -> None:
        """The API's edge refuses most bad text before a command sees it; the CLI and the
        workers have no such edge. Each command, called directly, must refuse as typed or
        record an event every read model folds."""
        world = world_on(engines())
        reception = Reception(world.engine)
        commands = list(declared_commands(world.engine)) + list(declared_commands(reception))
        assert len(commands) >= 25, [c.name for c in commands]

        for command in commands:
            drive_command(world, command, examples=12)
        settled(world)


def drive_command(world: World, command: Declared, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        arguments = {name: data.draw(rule_value(world, rule, name), label=name) for name, rule in command.rules.items()}
        if "at" in command.parameters:
            arguments["at"] = world.clock()
        try:
            result = command.run(**arguments)
            if inspect.isgenerator(result):
                list(result)
            event(f"{command.name}: done")
        except OknoError as refused:
            event(f"{command.name}: {refused.code}")
        world.projector.catch_up()

    example()


@dataclass(frozen=True)
class Declared:
    name: str
    run: Callable[..., Any]
    rules: dict[str, Rule]
    parameters: frozenset[str]


def declared_commands(owner: object) -> Iterator[Declared]:
    for name, member in inspect.getmembers(owner, callable):
        rules = getattr(member, "input_rules", None)
        if rules is not None:
            parameters = frozenset(inspect.signature(member).parameters)
            yield Declared(f"{type(owner).__name__}.{name}", member, rules, parameters)


def rule_value(world: World, rule: Rule, name: str) -> st.SearchStrategy[Any]:
    if isinstance(rule, Maybe):
        return st.one_of(st.none(), rule_value(world, rule.rule, name))
    if isinstance(rule, Text):
        return likely(world.plausible(name), HOSTILE_TEXT)
    if isinstance(rule, Whole):
        return st.one_of(st.integers(1, 5), st.integers(-(2**70), 2**70), st.floats(), st.booleans(), HOSTILE_TEXT)
    if isinstance(rule, Json):
        return likely(world.plausible_json(name), ODD_JSON)
    if isinstance(rule, Mapped):
        mapped: dict[str, list[Any]] = {
            "applicant": [{"full_name": "Петров Пётр", "phone": "+7 900 000-00-00"}],
            "scores": [{"waiting_time": 5, "staff": 4, "premises": 3, "information": 5}],
        }
        plausible = mapped.get(name, [])
        odd = st.dictionaries(
            HOSTILE_TEXT, st.one_of(HOSTILE_TEXT, st.integers(-(2**40), 2**40), st.floats(), st.none()), max_size=5
        )
        return likely(plausible, odd)
    if isinstance(rule, Items):
        return st.lists(rule_value(world, rule.rule, name), max_size=2)
    if isinstance(rule, Record):  # an object with attributes (a BPMN source file)
        return st.fixed_dictionaries({n: rule_value(world, r, n) for n, r in rule.fields}).map(
            lambda fields: SimpleNamespace(**fields)
        )
    return st.one_of(HOSTILE_TEXT, JSON_LEAF)


def test_a_subscriptions_bad_argument_is_refused_before_it_starts(engines: EngineMaker) -> None:
    import asyncio

    world = world_on(engines())
    context = Context(services=world.services, principal=Principal("fuzz", "auditor"))

    async def first(query: str, variables: dict[str, Any]) -> Any:
        stream = await schema.subscribe(query, variable_values=variables, context_value=context)
        if not hasattr(stream, "__aiter__"):
            return stream  # refused before any stream started
        async for result in stream:
            return result
        return None

    for number in ["LPK-\x00", "\ud800", "9" * 5_000]:
        result = asyncio.run(
            first("subscription($n: String!) { caseStatusChanged(number: $n) { number } }", {"n": number})
        )
        assert result.errors and result.errors[0].message.startswith("input refused: number: "), result
