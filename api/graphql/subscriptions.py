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

POLL_SECONDS = 0.25


@strawberry.type
class Subscription(ReceptionSubscription):
    @strawberry.subscription(description="An office's task list, each time it changes (first 100 tasks).")
    async def task_list_changed(self, info: strawberry.Info[Context, None],
                                office_id: str) -> AsyncGenerator[list[Task], None]:
        who = info.context.who
        who.require("operator", "supervisor", office=office_id)
        services = info.context.services
        with services.subscriptions.held(info.context, caller_key(who, None)):
            seen: tuple[tuple[str, str, str | None], ...] | None = None
            while True:
                services.refresh()
                rows = services.reader.rows("SELECT * FROM rm_tasks WHERE office = ? ORDER BY opened_at, task_id "
                                            "LIMIT 100", (office_id,))
                current = tuple((r["task_id"], r["state"], r["holder"]) for r in rows)
                if current != seen:
                    seen = current
                    yield [Task.of(r) for r in rows]
                await asyncio.sleep(POLL_SECONDS)

    @strawberry.subscription(description="A case, each time its status or stage changes; ends when the case "
                                         "closes. An unknown number ends at once with an error.")
    async def case_status_changed(self, info: strawberry.Info[Context, None],
                                  number: str) -> AsyncGenerator[Case, None]:
        who = info.context.who
        services = info.context.services
        with services.subscriptions.held(info.context, caller_key(who, None)):
            version = None
            while True:
                services.refresh()
                rows = services.reader.rows("SELECT * FROM rm_cases WHERE number = ?", (number,))
                if version is None and not rows:
                    # Nothing to follow: a made-up number would be polled for as long as the socket lives.
                    raise NotFound(f"no case {excerpt(number, 64)!r}")
                if rows:
                    who.require("operator", "supervisor", "auditor", "integrator", office=rows[0]["office"])
                    if rows[0]["version"] != version:
                        version = rows[0]["version"]
                        yield Case.of(rows[0])
                    if rows[0]["status"] != "open":
                        return
                await asyncio.sleep(POLL_SECONDS)
