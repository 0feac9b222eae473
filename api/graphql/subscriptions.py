"""Subscriptions over graphql-transport-ws. They follow the read models: each poll reads one
snapshot of them, and a message goes out only when what the subscriber sees has changed.
Every message is read fresh at the time it is sent (nothing is kept from the subscription's
start: a per-connection DataLoader would answer the tasks it first loaded, for ever)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

import strawberry

from api.callers import caller_key
from api.context import Context
from api.error_log import excerpt
from api.graphql.cases import Case, CaseStatus
from api.graphql.jobs import Job
from api.graphql.live_changes import CaseChange, TaskListChange, case_change, event_kind, task_list_change
from api.graphql.reception import ReceptionSubscription
from api.graphql.tasks import Task
from engine.errors import NotFound
from projections.case_queries import CaseRow, TaskRow, case_status, case_with_tasks, work_list
from projections.jobs import JobRow, incidents

POLL_SECONDS = 0.25
WORK_LIST = 100  # tasks a work-list subscription follows (the office's oldest)


T = TypeVar("T")


async def _on_change(
    info: strawberry.Info[Context, None], read: Callable[[], T], key: Callable[[T], object] = lambda value: value
) -> AsyncGenerator[T, None]:
    """What ``read`` gives, first when subscribed and then each time its ``key`` changes; the
    caller's subscription counted against its limits while it runs."""
    services = info.context.services
    with services.subscriptions.held(info.context, caller_key(info.context.who, None)):
        seen: object = None
        first = True
        while True:
            services.refresh()
            value = read()
            if first or key(value) != seen:
                first, seen = False, key(value)
                yield value
            await asyncio.sleep(POLL_SECONDS)


def _work_lists(
    info: strawberry.Info[Context, None], office_id: str
) -> AsyncGenerator[tuple[list[TaskRow], int], None]:
    """An office's work list and the cases model's position it was read at, each time the list changes."""
    info.context.who.require("operator", "expert", "supervisor", office=office_id)
    services = info.context.services
    return _on_change(
        info,
        lambda: services.reader.consistent(
            lambda snapshot: (work_list(snapshot, office_id, first=WORK_LIST).rows, snapshot.position("cases"))
        ),
        key=lambda found: found[0],
    )


async def _case_versions(
    info: strawberry.Info[Context, None], number: str
) -> AsyncGenerator[tuple[CaseRow, list[TaskRow]], None]:
    """A case's row and tasks (one snapshot) at each new version; ends after the version that closes it."""
    who = info.context.who
    services = info.context.services
    with services.subscriptions.held(info.context, caller_key(who, None)):
        version = None
        while True:
            services.refresh()
            found = case_with_tasks(services.reader, number)
            if version is None and found is None:
                # Nothing to follow: a made-up number would be polled for as long as the socket lives.
                raise NotFound(f"no case {excerpt(number, 64)!r}")
            if found is not None:
                row, tasks = found
                who.require("operator", "expert", "supervisor", "auditor", "integrator", office=row.office_code)
                if row.version != version:
                    version = row.version
                    yield row, tasks
                if row.status != "open":
                    return
            await asyncio.sleep(POLL_SECONDS)


def _incident_lists(info: strawberry.Info[Context, None], office_id: str) -> AsyncGenerator[list[JobRow], None]:
    """An office's incidents, each time the list changes (a job failed its last attempt, or
    was retried: by this supervisor, another, or a worker)."""
    info.context.who.require("supervisor", "auditor", office=office_id)
    services = info.context.services
    return _on_change(info, lambda: incidents(services.reader, office_id))


async def _tracked(info: strawberry.Info[Context, None], number: str, pin: str) -> AsyncGenerator[CaseStatus, None]:
    """A citizen's view of a case, when subscribed and each time it changes; ends after the
    change that closes it. The PIN is checked once, as `track` checks it (a wrong one ends
    the subscription at once and counts towards the same lockout); after that each poll
    reads the read model's row, never the vault."""
    services = info.context.services
    client = caller_key(info.context.principal, info.context.request)  # a citizen: by address
    shown = services.tracking.track(number, pin, services.clock(), client)
    with services.subscriptions.held(info.context, client):
        yield CaseStatus.of(shown)
        while shown.status == "open":
            await asyncio.sleep(POLL_SECONDS)
            services.refresh()
            found = case_status(services.reader, number)
            if found is not None and found != shown:
                shown = found
                yield CaseStatus.of(found)


@strawberry.type
class Subscription(ReceptionSubscription):
    @strawberry.subscription(
        description="A citizen's view of a case (what `track` gives): when subscribed and each time "
        "it changes; ends after the change that closes it. Needs no token, only the number and the "
        "PIN: a wrong PIN ends it at once with `track`'s error and counts towards the same lockout."
    )
    async def case_tracked(
        self, info: strawberry.Info[Context, None], number: str, pin: str
    ) -> AsyncGenerator[CaseStatus, None]:
        async for status in _tracked(info, number, pin):
            yield status

    @strawberry.subscription(
        description="An office's incidents (jobs whose connector failed every attempt), oldest first, whole: "
        "when subscribed and each time the list changes. Supervisors of the office; auditors."
    )
    async def incidents_changed(
        self, info: strawberry.Info[Context, None], office_id: str
    ) -> AsyncGenerator[list[Job], None]:
        async for found in _incident_lists(info, office_id):
            yield [Job.of(row) for row in found]

    @strawberry.subscription(
        description="An office's task list (first 100 tasks), whole, each time it changes.",
        deprecation_reason="Use taskListChanges: the same list as changes (added, changed, removed).",
    )
    async def task_list_changed(
        self, info: strawberry.Info[Context, None], office_id: str
    ) -> AsyncGenerator[list[Task], None]:
        async for tasks, _ in _work_lists(info, office_id):
            yield [Task.of(t) for t in tasks]

    @strawberry.subscription(
        description="An office's task list (its first 100 tasks, oldest first), as changes: the whole "
        "list first (`snapshot`), then, each time it changes, the tasks added, changed and removed."
    )
    async def task_list_changes(
        self, info: strawberry.Info[Context, None], office_id: str
    ) -> AsyncGenerator[TaskListChange, None]:
        before: list[TaskRow] | None = None
        async for tasks, position in _work_lists(info, office_id):
            yield task_list_change(before, tasks, position)
            before = tasks

    @strawberry.subscription(
        description="A case, as it is after each change of its version; ends when the case closes. "
        "An unknown number ends at once with an error.",
        deprecation_reason="Use caseChanged: the same case, with what changed.",
    )
    async def case_status_changed(
        self, info: strawberry.Info[Context, None], number: str
    ) -> AsyncGenerator[Case, None]:
        async for row, tasks in _case_versions(info, number):
            yield Case.of(row, tasks)

    @strawberry.subscription(
        description="A case as it is after each change (status, stage, version and tasks from one "
        "snapshot of the read model), with the events since the previous message and the tasks they "
        "opened, changed and closed. The first message is the case when subscribed; the last, the "
        "change that closed it. An unknown number ends at once with an error."
    )
    async def case_changed(self, info: strawberry.Info[Context, None], number: str) -> AsyncGenerator[CaseChange, None]:
        engine = info.context.services.engine
        before: tuple[int, list[TaskRow]] | None = None
        async for row, tasks in _case_versions(info, number):
            kinds = (
                []
                if before is None
                else [event_kind(e) for e in engine.case_events(number, after=before[0], upto=row.version)]
            )
            yield case_change(row, tasks, None if before is None else before[1], kinds)
            before = (row.version, tasks)
