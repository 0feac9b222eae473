"""The API's edge: every argument of every field is checked before its resolver runs.

The engine checks each command's arguments by their meaning (engine.input_checks); this
catches what reaches a resolver first: read-model queries (a case number, an office id,
a track number, a cursor) and the read-model lookups some mutations make before their
command (an agency's reference). Text must be Unicode without control characters (tab and line
breaks allowed), within a length, and nested values bounded, as for JSON data. A
query's refusal is a GraphQL error carrying okno's message; a mutation's is its
result's ValidationError, naming the field (``input.reference``), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, time
from enum import Enum
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    is_union_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.graphql.errors import FieldError, ValidationError
from engine.errors import FieldProblem, InputRefused
from engine.input_checks import Json

# Dates, times and enums arrive already parsed by their GraphQL scalar or enum type.
PARSED = (date, time, Enum)  # datetime is a date
# Mutations carry BPMN sources and form data: the request body's own limit bounds them;
# the engine bounds each argument by what it means.
MUTATION_ARGUMENTS = Json(max_text=2 * 1024 * 1024, object_only=False, parsed=PARSED)
# Queries and subscriptions take numbers, ids, filters and cursors: nothing long.
QUERY_ARGUMENTS = Json(max_text=1_000, max_nodes=500, object_only=False, parsed=PARSED)


class InputEdge(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        """A subscription's arguments are read by its generator, which the field hook below
        does not wrap: they are checked here, before it starts."""
        context = self.execution_context
        if context.operation_type is OperationType.SUBSCRIPTION and context.graphql_document is not None:
            _check_subscription(context.schema._schema, context.graphql_document, context.variables or {})
        yield

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], *args: str, **kwargs: Any
    ) -> Any:
        if not kwargs:  # most fields take no arguments: nothing to check
            return _next(root, info, *args, **kwargs)
        mutation = info.parent_type is info.schema.mutation_type
        rule = MUTATION_ARGUMENTS if mutation else QUERY_ARGUMENTS
        problems = [
            FieldProblem(_as_sent(info, problem.field), problem.message)
            for name, value in kwargs.items()
            for problem in rule.problems(value, name)
        ]
        if not problems:
            return _next(root, info, *args, **kwargs)
        if mutation and _answers_validation_errors(info):
            return ValidationError(
                message=str(InputRefused(problems)),
                code=InputRefused.code,
                fields=[FieldError(field=p.field, message=p.message) for p in problems],
            )
        raise InputRefused(problems)


def _answers_validation_errors(info: GraphQLResolveInfo[Any]) -> bool:
    result = get_named_type(info.return_type)
    return is_union_type(result) and any(t.name == "ValidationError" for t in result.types)


def _as_sent(info: GraphQLResolveInfo[Any], path: str) -> str:
    """A field's path as the client wrote it: the resolver sees Python names
    (``input.case_number``); the client sent ``input.caseNumber``. Keys inside a JSON
    value stay as they are."""
    definition = info.parent_type.fields[info.field_name]
    names = {arg.out_name or name: name for name, arg in definition.args.items()}
    segments = path.split(".")
    head = segments[0]
    named: Any = definition.args[names[head]].type if head in names else None
    written = [names.get(head, head)]
    for segment in segments[1:]:
        named = get_named_type(named) if named is not None else None
        key, bracket, index = segment.partition("[")
        if isinstance(named, GraphQLInputObjectType):
            fields = {field.out_name or name: (name, field) for name, field in named.fields.items()}
            if key in fields:
                name, field = fields[key]
                written.append(name + bracket + index)
                named = field.type
                continue
        written.append(segment)
        named = None  # inside a JSON value: keys are the client's own
    return ".".join(written)


def _check_subscription(schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]) -> None:
    root = schema.subscription_type
    if root is None:
        return
    problems: list[FieldProblem] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        coerced = get_variable_values(schema, definition.variable_definitions or (), variables)
        if isinstance(coerced, list):
            continue  # variables of the wrong type: GraphQL itself says so
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.name.value not in root.fields:
                continue
            try:
                arguments = get_argument_values(root.fields[selection.name.value], selection, coerced)
            except GraphQLError:
                continue  # a wrong variable: GraphQL itself says so
            problems += [
                problem for name, value in arguments.items() for problem in QUERY_ARGUMENTS.problems(value, name)
            ]
    if problems:
        raise InputRefused(problems)
