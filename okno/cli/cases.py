"""`okno case`, `okno audit`: one case's state, and the auditors' tools (history, export, verify)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from engine import world
from engine.application import Engine, scan_cases
from engine.case import Case, case_id_for
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


@audit_group.command(
    "history",
    help="Every event of a case as people read it: what happened (the model's names), who, the stage, "
    "when (in the office's time zone), with input, effects and data change; personal fields masked.",
)
@click.argument("number")
@click.option(
    "--as-of",
    "as_of",
    metavar="MOMENT",
    help="Only the events up to this moment, then the case's state then (status, stage, open tasks, data). "
    "A date alone (2026-03-01) means the end of that day in the office's time zone; a time without a zone "
    "(2026-03-01T12:00) is the office's time; or give a zone (2026-03-01T12:00+03:00).",
)
def audit_history(number: str, as_of: str | None) -> None:
    from zoneinfo import ZoneInfo

    from engine.replay import history
    from okno.cli.case_history import lines, moment_in

    with open_engine() as engine:
        events = list(engine.case_events(number))
        opened = events[0] if events else None
        if not isinstance(opened, Case.Opened):
            raise UnknownCase(number)
        directory = engine.directory()
        office = directory.offices.get(opened.office, {})
        service = directory.services.get(opened.service, {})
        zone = ZoneInfo(str(office.get("timezone") or "Europe/Moscow"))
        try:
            moment = moment_in(as_of, zone) if as_of is not None else None
        except ValueError:
            raise click.BadParameter(
                f"{as_of!r} is neither a date nor a moment (ISO 8601)", param_hint="--as-of"
            ) from None
        engine.ensure_version(opened.process_version)
        chosen = [e for e in events if moment is None or e.timestamp <= moment]
        entries = history(engine.steps, chosen)
        elements = engine.steps.library.get(opened.process_version).elements
        click.echo(
            f"case {opened.number}: {service.get('title', '')} ({opened.service}) at "
            f"{office.get('name', '')} ({opened.office}); times in {zone.key}"
        )
        for line in lines(chosen, entries, elements, zone, moment):
            click.echo(line)


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
            agencies = {code: str(s["agency"]) for code, s in engine.directory().services.items()}
            written = write_xes(engine.steps.library, cases(), out, agencies)
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
    failed_numbers: set[str] = set()
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
                failed_numbers.add(verdict.number)
            for version, kind, error in verdict.divergences:
                click.echo(f"\n{verdict.number} v{version} {kind}: effects differ{': ' + error if error else ''}")
            for gap in verdict.gaps:
                click.echo(f"\n{verdict.number}: version {gap} is missing")
    # The personal-data access logs, checked here in one process: a log is short and needs no replay.
    with open_engine() as engine:
        for number in chosen:
            broken = access_log_breaks(engine, number)
            for version in broken:
                click.echo(
                    f"\n{number} personal-data access log v{version}: the stored record does not match "
                    "its hash chain (edited, deleted or reordered)"
                )
            if broken and number not in failed_numbers:
                failed += 1
    elapsed = max(world.stopwatch() - began, 1e-9)
    click.echo(
        f"{len(chosen) - failed} of {len(chosen)} cases verified, {failed} diverged "
        f"({len(chosen) / elapsed:.0f} cases/s)"
    )
    if failed:
        sys.exit(1)


def access_log_breaks(engine: Engine, number: str) -> list[int]:
    """Versions of the case's personal-data access log that break its hash chain."""
    from engine.access_log import access_log_id, broken_access_links

    return broken_access_links(list(engine.store.events.get(access_log_id(case_id_for(number)))))


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
