"""okno's own state of a case, kept beside the workflow's in the case's stored state and
carried from step to step: whether it was rated, the messages it sent and which of them
no agency acknowledged yet, its jobs' failure counts, and who holds its user tasks."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from engine.commands.job_workers import carried_locks
from engine.commands.jobs import carried_failures


def beside_workflow(
    stored: dict[str, Any],
    feedback: dict[str, Any],
    claims: dict[str, str],
    sent: list[str],
    open_tasks: Container[str],
    open_jobs: Container[str],
) -> dict[str, Any]:
    """That state after a step, from the state before it (``stored``; empty at the start),
    what the step's case rule decided (``feedback``, ``claims``) and the names of the
    messages the workflow sent. A key is present only when it holds something, and the
    keys keep this order: the stored state's bytes depend on both."""
    kept: dict[str, Any] = {"rated": True} if stored.get("rated") or "rating" in feedback else {}
    jobs = {
        task: entry for task, entry in carried_failures(stored.get("jobs", {}), feedback).items() if task in open_jobs
    }
    if jobs:
        kept["jobs"] = jobs
    # Messages sent are numbered 1, 2, … within the case; those not yet acknowledged by
    # their agency stay in the case's outbox.
    number: int = stored.get("sent", 0)
    acknowledged = str(feedback["acknowledged"]["message"]) if "acknowledged" in feedback else None
    outbox = {key: name for key, name in stored.get("outbox", {}).items() if key != acknowledged}
    for name in sent:
        number += 1
        outbox[str(number)] = name
    if number:
        kept["sent"] = number
    if outbox:
        kept["outbox"] = outbox
    live_claims = {task: holder for task, holder in claims.items() if task in open_tasks}
    if live_claims:
        kept["claims"] = live_claims
    # External workers' locks (engine/commands/job_workers.py): last, so states without them keep their bytes.
    locks = {task: lock for task, lock in carried_locks(stored.get("locks", {}), feedback).items() if task in open_jobs}
    if locks:
        kept["locks"] = locks
    return kept
