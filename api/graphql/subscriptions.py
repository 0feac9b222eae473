"""Subscriptions over graphql-transport-ws. They follow the read models: each poll is one
indexed query, and a message goes out only when what the subscriber sees has changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from api.callers import caller_key
from api.context import Context
from api.error_log import excerpt
from api.graphql.cases import Case
from api.graphql.reception import ReceptionSubscription
from api.graphql.tasks import Task
from engine.errors import NotFound
from projections.case_queries import case, work_list

POLL_SECONDS = 0.25


@strawberry.type
class Subscription(ReceptionSubscription):
    @strawberry.subscription(description="An office's task list, each time it changes (first 100 tasks).")
    async def task_list_changed(
        self, info: strawberry.Info[Context, None], office_id: str
    ) -> AsyncGenerator[list[Task], None]:
        who = info.context.who
        who.require("operator", "expert", "supervisor", office=office_id)
        services = info.context.services
        with services.subscriptions.held(info.context, caller_key(who, None)):
            seen: tuple[tuple[str, str, str | None], ...] | None = None
            while True:
                services.refresh()
                tasks = work_list(services.reader, office_id, first=100).rows
                current = tuple((t.task_id, t.state, t.holder) for t in tasks)
                if current != seen:
                    seen = current
                    yield [Task.of(t) for t in tasks]
                await asyncio.sleep(POLL_SECONDS)

    @strawberry.subscription(
        description="A case, each time its status or stage changes; ends when the case "
        "closes. An unknown number ends at once with an error."
    )
    async def case_status_changed(
        self, info: strawberry.Info[Context, None], number: str
    ) -> AsyncGenerator[Case, None]:
        who = info.context.who
        services = info.context.services
        with services.subscriptions.held(info.context, caller_key(who, None)):
            version = None
            while True:
                services.refresh()
                found = case(services.reader, number)
                if version is None and found is None:
                    # Nothing to follow: a made-up number would be polled for as long as the socket lives.
                    raise NotFound(f"no case {excerpt(number, 64)!r}")
                if found is not None:
                    who.require("operator", "expert", "supervisor", "auditor", "integrator", office=found.office_code)
                    if found.version != version:
                        version = found.version
                        yield Case.of(found)
                    if found.status != "open":
                        return
                await asyncio.sleep(POLL_SECONDS)
