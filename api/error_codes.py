"""Every top-level GraphQL error carries ``extensions.code``: one place, for every error
a request can meet (a resolver's refusal, a page's bad cursor, a PIN lockout, the
personal-data refusal, a document that does not parse or does not fit the schema, a
limit of depth, aliases or tokens, variables of the wrong type, and our own bugs).

okno's own errors carry their ``OknoError.code`` (and ``extensions.fields``, each input
field at fault as the request spells it). GraphQL's own carry the codes below. Anything
else is a bug of ours: the client gets ``internal error`` and ``internal_error``, never a
traceback or a message that could show internals; the server's log has the rest
(api.error_log, which sees each error before it is coded).
docs/ERRORS.md is the table of every code.
"""

from __future__ import annotations

import re
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.types import ExecutionContext

from api.error_log import log_error
from api.graphql.errors import input_fields
from engine.errors import OknoError

INTERNAL_ERROR = "internal_error"
QUERY_SYNTAX = "query_syntax"  # the document is not GraphQL
QUERY_INVALID = "query_invalid"  # it does not fit the schema (an unknown field, a missing argument)
QUERY_LIMIT = "query_limit"  # deeper, more aliases or more tokens than a request may have
INVALID_VARIABLES = "invalid_variables"  # a variable missing or of the wrong type
GRAPHQL_CODES = (INTERNAL_ERROR, QUERY_SYNTAX, QUERY_INVALID, QUERY_LIMIT, INVALID_VARIABLES)

# The limits' own messages (strawberry's QueryDepthLimiter and MaxAliasesLimiter, graphql-core's
# token limit): they carry nothing else to tell them by; tests/api/test_error_contract.py pins them.
_LIMITS = re.compile(r"exceeds maximum operation depth|aliases found\. Allowed|Document contains more than \d+ tokens")


def code(error: GraphQLError) -> None:
    """Give ``error``, as the client will get it, its ``extensions.code``, and mask it when
    it is a bug. In place: strawberry hands the same error objects on to every transport
    (a response, a subscription's ``next`` or ``error`` message)."""
    extensions: dict[str, Any] = dict(error.extensions or {})
    if "code" in extensions:
        return  # coded already (a path that hands an error over twice)
    original = _okno(error)
    if original is not None:
        extensions["code"] = original.code
        fields = input_fields(original, root=None)
        if fields:
            extensions["fields"] = [{"field": f.field, "message": f.message} for f in fields]
        error.message = original.public_message()
    elif error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        # A bug: the log has it (api.error_log); the client learns nothing of it.
        extensions = {"code": INTERNAL_ERROR}
        error.message = "internal error"
        error.original_error = None
    else:
        extensions["code"] = _graphql_code(error)
    error.extensions = extensions


def _okno(error: GraphQLError) -> OknoError | None:
    original = error.original_error
    while isinstance(original, GraphQLError):  # graphql-core wraps a variable's error in its own
        original = original.original_error
    return original if isinstance(original, OknoError) else None


def _graphql_code(error: GraphQLError) -> str:
    if _LIMITS.search(error.message):
        return QUERY_LIMIT
    if isinstance(error, GraphQLSyntaxError):
        return QUERY_SYNTAX
    if error.message.startswith("Variable '$"):
        return INVALID_VARIABLES
    return QUERY_INVALID


class OknoSchema(strawberry.Schema):
    """The schema: every error it meets is logged as api.error_log says (one short line for
    a refusal, instead of strawberry's whole tracebacks), then coded for the client."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            log_error(error)
            code(error)
