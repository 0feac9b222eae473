"""`okno case`, `okno audit`: one case's state, and the auditors' tools (history, export, verify)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from engine import world
from engine.application import Engine, scan_cases
from engine.case import Case
from engine.errors import UnknownCase
from engine.replay import Verdict
from okno.bootstrap import (
    new_engine,
    open_engine,
)


@click.group("case", help="Look at one case.")
def case_group() -> None:
    pass


@case_group.command("show", help="A case's status, open tasks and history.")
@click.argument("number")
def case_show(number: str) -> None:
    with open_engine() as engine:
        case = engine.get_case(number)
        click.echo(
            f"case {case.number}: {case.service} at {case.office} — {case.status}"
            f"{' (' + case.outcome + ')' if case.outcome else ''}; stage: {case.stage or '-'}"
        )
        click.echo(f"  PIN for tracking (print it on the receipt): {engine.vault.pin(case.id)}")
        for task in case.open_tasks:
            holder = f", held by {task['holder']}" if task.get("holder") else ""
            click.echo(f"  open task {task['element']} ({task['role']}{holder}): {task['name']}")
        for event in engine.case_events(number):
            click.echo(
                f"  v{event.originator_version} {event.timestamp.isoformat()} {type(event).__name__} "
                f"by {event.actor}: {json.dumps(event.input, ensure_ascii=False)}"
            )


@click.group("audit", help="Auditors' tools.")
def audit_group() -> None:
    pass


@audit_group.command("history", help="Every event of a case: time, actor, input, effects, data change.")
@click.argument("number")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
    help="Only the events up to this moment.",
)
def audit_history(number: str, as_of: datetime | None) -> None:
    from engine.replay import history

    with open_engine() as engine:
        events = list(engine.case_events(number))
        opened = events[0] if events else None
        if not isinstance(opened, Case.Opened):
            raise UnknownCase(number)
        if as_of is not None:
            moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
            events = [e for e in events if e.timestamp <= moment]
        engine.ensure_version(opened.process_version)
        for entry in history(engine.steps, events):
            click.echo(f"v{entry.version} {entry.timestamp.isoformat()} {entry.kind} by {entry.actor}")
            click.echo(f"  input:   {json.dumps(entry.input, ensure_ascii=False)}")
            effects = {k: v for k, v in entry.effects.items() if v not in ([], None, False)}
            click.echo(f"  effects: {json.dumps(effects, ensure_ascii=False)}")
            click.echo(f"  data:    {json.dumps(entry.data_change, ensure_ascii=False)}")


@audit_group.command("export", help="Write the event log for process-mining tools.")
@click.option("--format", "fmt", type=click.Choice(["xes"]), default="xes", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("okno.xes"), show_default=True)
def audit_export(fmt: str, output: Path) -> None:
    from engine.xes import write_xes

    with open_engine() as engine:
        numbers = sorted(scan_cases(engine))

        def cases() -> Iterator[list[Case.Event]]:
            for number in numbers:
                events = list(engine.case_events(number))
                if events and isinstance(events[0], Case.Opened):
                    engine.ensure_version(events[0].process_version)
                    yield events

        with output.open("wb") as out:
            written = write_xes(engine.steps.library, cases(), out)
    click.echo(f"{written} cases written to {output} ({fmt.upper()})")


@audit_group.command("verify", help="Replay cases from their inputs and check every recorded effect.")
@click.argument("numbers", nargs=-1)
@click.option("--all", "all_cases", is_flag=True, help="Every case in the store.")
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes to verify in, each with its own share of the cases (one per core).",
)
def audit_verify(numbers: tuple[str, ...], all_cases: bool, jobs: int) -> None:
    if not numbers and not all_cases:
        raise click.UsageError("name case numbers or pass --all")
    began = world.stopwatch()
    failed = 0
    with open_engine() as engine:
        chosen = sorted(scan_cases(engine)) if all_cases else list(numbers)
    with click.progressbar(length=len(chosen), label="verifying", file=sys.stderr) as bar:
        for verdict in verify_cases(chosen, jobs):
            bar.update(1)
            for version in verdict.broken:
                click.echo(
                    f"\n{verdict.number} v{version}: the stored event does not match its hash chain "
                    "(edited, deleted or reordered)"
                )
            if not verdict.ok:
                failed += 1
            for version, kind, error in verdict.divergences:
                click.echo(f"\n{verdict.number} v{version} {kind}: effects differ{': ' + error if error else ''}")
            for gap in verdict.gaps:
                click.echo(f"\n{verdict.number}: version {gap} is missing")
    elapsed = max(world.stopwatch() - began, 1e-9)
    click.echo(
        f"{len(chosen) - failed} of {len(chosen)} cases verified, {failed} diverged "
        f"({len(chosen) / elapsed:.0f} cases/s)"
    )
    if failed:
        sys.exit(1)


_VERIFY_CHUNK = 50  # cases a worker takes at a time: small enough to share the tail evenly


def verify_cases(numbers: list[str], jobs: int) -> Iterator[Verdict]:
    """Each case's verdict, in the order given. With ``jobs`` > 1 the cases are shared
    among that many processes, each opening the store itself (cases are independent, so
    verify scales with cores; SpiffWorkflow holds one core per process)."""
    if jobs <= 1 or len(numbers) < 2:
        with open_engine() as engine:
            for number in numbers:
                yield _verify_one(engine, number)
        return
    import multiprocessing

    size = max(1, min(_VERIFY_CHUNK, len(numbers) // (jobs * 4)))
    chunks = [numbers[i : i + size] for i in range(0, len(numbers), size)]
    with multiprocessing.get_context("spawn").Pool(jobs, initializer=_open_verify_engine) as pool:
        for verdicts in pool.imap(_verify_chunk, chunks):
            yield from verdicts
        pool.close()
        pool.join()


def _verify_one(engine: Engine, number: str) -> Verdict:
    from engine.replay import verify

    # Read the events, not the aggregate: loading refuses a diverging case, and verify
    # exists to report exactly those.
    events = list(engine.case_events(number))
    if not events or not isinstance(events[0], Case.Opened):
        raise UnknownCase(number)
    engine.ensure_version(events[0].process_version)
    return verify(engine.steps, events)


_worker_engine: Engine | None = None


def _open_verify_engine() -> None:
    """A verify worker's engine, opened once and closed when the pool shuts down."""
    from multiprocessing.util import Finalize

    global _worker_engine
    _worker_engine = new_engine()
    Finalize(None, _worker_engine.close, exitpriority=10)


def _verify_chunk(numbers: list[str]) -> list[Verdict]:
    assert _worker_engine is not None
    return [_verify_one(_worker_engine, number) for number in numbers]


@case_group.command(
    "shred",
    help="Crypto-shred a case (retention, a citizen's request): its key and snapshots are deleted, "
    "so its personal data is unreadable for good; its events stay and still verify.",
)
@click.argument("number")
@click.confirmation_option(prompt="Shredding cannot be undone. Shred this case's personal data?")
def case_shred(number: str) -> None:
    with open_engine() as engine:
        engine.shred_case(number)
        click.echo(f"case {number}: personal data shredded")
