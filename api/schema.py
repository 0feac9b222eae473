"""The GraphQL schema, with the limits every request passes through."""

from __future__ import annotations

from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from api.error_codes import OknoSchema
from api.graphql.cases import Case
from api.graphql.command_threads import CommandThreads
from api.graphql.directory import Office, Service
from api.graphql.input_edge import InputEdge
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.graphql.subscriptions import Subscription
from api.graphql.tasks import Task

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000


# Every error is logged (api.error_log) and then gets extensions.code; okno's own errors say
# what is wrong, anything else is a bug and says nothing more (api.error_codes).
schema = OknoSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Case, Task, Office, Service],
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        # A mutation's resolver runs in a worker thread (api.graphql.command_threads);
        # graphql-core nests a later extension's hook outside an earlier one's, so
        # InputEdge checks the arguments first, on the loop.
        CommandThreads,
        InputEdge,  # every argument checked before its resolver runs (api.graphql.input_edge)
    ],
)
