"""Commands run off the event loop, so concurrent requests can share a commit.

A mutation's resolver is plain (synchronous) code: it decides the command, waits for its
durable commit and reads the result back. Run inline, it would hold the server's event
loop for that whole time — every other request, subscription poll and health check
waiting behind one commit, and no two commands ever in flight at once. Here each
mutation field runs in a worker thread instead; with ``Engine.share_commits()`` (which
``okno serve`` turns on through okno.bootstrap.new_services) the commands of concurrent
requests are saved together, one transaction for all that queued while the previous one
committed (engine.group_commit.GroupCommitter).

Executed without a running loop (``schema.execute_sync``, as some tests do) a resolver
runs inline as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension


class CommandThreads(SchemaExtension):
    def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        if info.parent_type is not info.schema.mutation_type:
            return _next(root, info, *args, **kwargs)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # executed synchronously: nothing to keep free
            return _next(root, info, *args, **kwargs)
        return asyncio.to_thread(_next, root, info, *args, **kwargs)
