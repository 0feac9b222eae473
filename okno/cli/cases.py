"""`okno case`, `okno audit`: one case's state, and the auditors' tools (history, export, verify)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from uuid import UUID

import click

from engine import world
from engine.application import STORE_ERRORS, Engine, scan_cases
from engine.case import Case, case_id_for
from engine.errors import OknoError, UnknownCase
from engine.replay import Verdict
from engine.signing import KeyRing, PublicKey
from engine.stored_trust import integrity_words, untrusted
from okno.bootstrap import (
    new_engine,
    new_reader,
    open_engine,
)
from okno.cli.verify_report import VerifyReport, read_model_disagreement


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


PUBLIC_KEY_OPTION = click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signing key's public key (PEM), kept by the auditor; repeat it for each key the "
    "writer has used. Without it, the keys this installation is configured with.",
)


def key_ring(engine: Engine, public_keys: tuple[Path, ...]) -> KeyRing:
    """The keys signatures are checked with: the auditor's, or the installation's own."""
    if public_keys:
        return KeyRing(PublicKey.from_pem(path.read_bytes(), str(path)) for path in public_keys)
    return engine.steps.keys


@click.group("audit", help="Auditors' tools.")
def audit_group() -> None:
    pass


@audit_group.command(
    "history",
    help="Every event of a case as people read it: what happened (the model's names), who, the stage, "
    "when (in the office's time zone), with input, effects and data change; personal fields masked. "
    "Each event's hash link and signature are checked as it is read: an event that fails is shown "
    "with a WARNING line naming its version, and the command exits 1 (`okno audit verify` gives the "
    "full verdict).",
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
@PUBLIC_KEY_OPTION
def audit_history(number: str, as_of: str | None, public_keys: tuple[Path, ...]) -> None:
    from zoneinfo import ZoneInfo

    from okno.cli.case_history import lines, moment_in, trusted_history

    with open_engine() as engine:
        events, undecodable = engine.readable_case_events(number)
        opened = events[0] if events else None
        if not isinstance(opened, Case.Opened):
            if any(version == 1 for version, _ in undecodable):
                raise click.ClickException(
                    f"case {number}: its opening event cannot be decoded; `okno audit verify {number}` "
                    "gives the full verdict"
                )
            raise UnknownCase(number)
        problems = untrusted(events, undecodable, key_ring(engine, public_keys))
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
        entries = trusted_history(engine.steps, chosen, problems)
        elements = engine.steps.library.get(opened.process_version).elements
        click.echo(
            f"case {opened.number}: {service.get('title', '')} ({opened.service}) at "
            f"{office.get('name', '')} ({opened.office}); times in {zone.key}"
        )
        for version, why in problems.items():
            click.echo(f"WARNING: v{version} cannot be trusted: {why}")
        for line in lines(chosen, entries, elements, zone, moment):
            click.echo(line)
            shown = int(line[1:].split(" ", 1)[0]) if line.startswith("v") else None
            if shown in problems:  # beside the event itself, too: a reader may skip the top
                click.echo(f"  WARNING: v{shown} cannot be trusted: {problems[shown]}")
        if problems:
            click.echo(
                f"WARNING: case {opened.number}'s stored history fails its integrity check at "
                f"v{', v'.join(map(str, problems))}; `okno audit verify {opened.number}` gives the full verdict",
                err=True,
            )
            sys.exit(1)


@audit_group.command(
    "export",
    help="Write the event log for process-mining tools. Each case's hash links and signatures are "
    "checked as it is read; a case that fails is written with the trace attribute okno:integrity "
    '("failed: v2: …"), a case with an undecodable opening is left out, each is named in a WARNING, '
    "and the command exits 1 unless --allow-broken.",
)
@click.option("--format", "fmt", type=click.Choice(["xes"]), default="xes", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("okno.xes"), show_default=True)
@click.option(
    "--allow-broken",
    is_flag=True,
    help="Exit 0 even when some cases fail their integrity check (they are still marked in the log).",
)
@PUBLIC_KEY_OPTION
def audit_export(fmt: str, output: Path, allow_broken: bool, public_keys: tuple[Path, ...]) -> None:
    from engine.xes import write_xes

    with open_engine() as engine:
        unreadable: set[UUID] = set()
        numbers = sorted(scan_cases(engine, unreadable=unreadable))
        keys = key_ring(engine, public_keys)
        integrity: dict[str, str] = {}

        def cases() -> Iterator[list[Case.Event]]:
            for number in numbers:
                events, undecodable = engine.readable_case_events(number)
                if events and isinstance(events[0], Case.Opened):
                    problems = untrusted(events, undecodable, keys)
                    if problems:  # read by write_xes when it writes this trace
                        integrity[number] = integrity_words(problems)
                    engine.ensure_version(events[0].process_version)
                    yield events

        with output.open("wb") as out:
            agencies = {code: str(s["agency"]) for code, s in engine.directory().services.items()}
            written = write_xes(engine.steps.library, cases(), out, agencies, integrity)
    click.echo(f"{written} cases written to {output} ({fmt.upper()})")
    for number, words in integrity.items():
        click.echo(f"WARNING: case {number}: integrity {words}", err=True)
    for case_id in sorted(unreadable, key=str):
        click.echo(f"WARNING: case id {case_id}: its opening event cannot be decoded, left out of the log", err=True)
    if (integrity or unreadable) and not allow_broken:
        sys.exit(1)


@audit_group.command(
    "verify",
    help="Replay cases from their inputs and check every recorded effect, hash link and signature. "
    "Exit 0: every case verified; 1: some failed (each listed with its case and version); "
    "3: none failed, but some cases hold events recorded before signing began.",
)
@click.argument("numbers", nargs=-1)
@click.option("--all", "all_cases", is_flag=True, help="Every case in the store.")
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signing key's public key (PEM), kept by the auditor; repeat it for each key the "
    "writer has used. Without it, the keys this installation is configured with.",
)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint the auditor kept (`okno audit checkpoint --output FILE`): the log up to its "
    "head must reproduce it (nothing deleted, inserted or reordered since).",
)
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes to verify in, each with its own share of the cases (one per core).",
)
def audit_verify(
    numbers: tuple[str, ...], all_cases: bool, public_keys: tuple[Path, ...], against: Path | None, jobs: int
) -> None:
    from okno.cli.checkpoints import verify_store

    if not numbers and not all_cases:
        raise click.UsageError("name case numbers or pass --all")
    began = world.stopwatch()
    keys = [PublicKey.from_pem(path.read_bytes(), str(path)) for path in public_keys]
    unreadable: set[UUID] = set()
    if not keys:  # the installation's own keys: its signing key's and the retired ones
        keys = [world.signing_key().public, *world.retired_keys()]
    with open_engine(reading_only=True) as engine:
        chosen = sorted(scan_cases(engine, unreadable=unreadable)) if all_cases else list(numbers)
    click.echo("checking signatures with key" + ("s " if len(keys) > 1 else " ") + ", ".join(k.key_id for k in keys))
    verdicts: list[Verdict] = []
    with click.progressbar(length=len(chosen), label="verifying", file=sys.stderr) as bar:
        for verdict in verify_cases(chosen, jobs, tuple(k.pem() for k in keys)):
            bar.update(1)
            verdicts.append(verdict)
    # A broken personal-data access log fails its case as a read model the events cannot explain does.
    disagreements = _read_model_disagreements(verdicts)
    for number, words in _access_log_disagreements(chosen).items():
        disagreements[number] = f"{disagreements[number]}; {words}" if number in disagreements else words
    report = VerifyReport(verdicts, sorted(unreadable, key=str), disagreements)
    for line in report.lines():
        click.echo(line)
    elapsed = max(world.stopwatch() - began, 1e-9)
    total = len(chosen) + len(unreadable)
    click.echo(
        f"{report.verified} of {total} cases verified, {report.failed} diverged, "
        f"{report.unsigned} unsigned (recorded before signing) ({total / elapsed:.0f} cases/s)"
    )
    store_wide = verify_store(KeyRing(keys), against) if all_cases or against else None
    if report.failed or (store_wide is not None and store_wide.failed):
        sys.exit(1)
    if report.unsigned:
        sys.exit(3)


@audit_group.command(
    "checkpoint",
    help="Save the store's latest signed checkpoint (head of the store-wide chain, numbers of "
    "cases and events) as JSON, for the auditor to keep outside the database and later pass to "
    "`okno audit verify --against`.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--fresh", is_flag=True, help="Sign a new checkpoint at the log's end first (needs the signing key).")
def audit_checkpoint(output: Path, fresh: bool) -> None:
    from okno.cli.checkpoints import audit_checkpoint as save

    save(output, fresh)


def _read_model_disagreements(verdicts: list[Verdict]) -> dict[str, str]:
    """The cases whose row in the cases read model the events cannot explain. A store
    whose read models were never built has nothing to compare."""
    from projections.case_queries import case

    found: dict[str, str] = {}
    with open_engine(reading_only=True) as engine:
        reader = new_reader(engine)
        for verdict in verdicts:
            if not verdict.last_version:
                continue
            try:
                row = case(reader, verdict.number)
            except STORE_ERRORS:
                return found  # no read models in this store
            if row is None:
                continue
            words = read_model_disagreement(verdict, row.version, row.status)
            if words is not None:
                found[verdict.number] = words
    return found


def _access_log_disagreements(numbers: list[str]) -> dict[str, str]:
    """The cases whose personal-data access log breaks its hash chain, in words (checked in
    one process: a log is short and needs no replay)."""
    found: dict[str, str] = {}
    with open_engine(reading_only=True) as engine:
        for number in numbers:
            broken = access_log_breaks(engine, number)
            if broken:
                found[number] = (
                    f"personal-data access log v{', v'.join(map(str, broken))}: the stored record does not "
                    "match its hash chain (edited, deleted or reordered)"
                )
    return found


def access_log_breaks(engine: Engine, number: str) -> list[int]:
    """Versions of the case's personal-data access log that break its hash chain."""
    from engine.access_log import access_log_id, broken_access_links

    return broken_access_links(list(engine.store.events.get(access_log_id(case_id_for(number)))))


_VERIFY_CHUNK = 50  # cases a worker takes at a time: small enough to share the tail evenly


def verify_cases(numbers: list[str], jobs: int, keys: tuple[bytes, ...]) -> Iterator[Verdict]:
    """Each case's verdict, in the order given. With ``jobs`` > 1 the cases are shared
    among that many processes, each opening the store itself (cases are independent, so
    verify scales with cores; SpiffWorkflow holds one core per process). ``keys``: the
    public keys (PEM) signatures are checked with."""
    ring = KeyRing(PublicKey.from_pem(pem) for pem in keys)
    if jobs <= 1 or len(numbers) < 2:
        with open_engine(reading_only=True) as engine:
            for number in numbers:
                yield verify_one(engine, number, ring)
        return
    import multiprocessing

    size = max(1, min(_VERIFY_CHUNK, len(numbers) // (jobs * 4)))
    chunks = [(numbers[i : i + size], keys) for i in range(0, len(numbers), size)]
    with multiprocessing.get_context("spawn").Pool(jobs, initializer=_open_verify_engine) as pool:
        for verdicts in pool.imap(_verify_chunk, chunks):
            yield from verdicts
        pool.close()
        pool.join()


def verify_one(engine: Engine, number: str, keys: KeyRing) -> Verdict:
    """One case's verdict, whatever is wrong with it: verify always finishes."""
    from engine.replay import refused, verify

    # Read the events, not the aggregate: loading refuses a broken case, and verify
    # exists to report exactly those. Snapshots are not read for the verdict, only checked.
    try:
        events, undecodable = engine.readable_case_events(number)
        if not events and not undecodable:
            return refused(number, "no such case in the store")
        opened = events[0] if events and isinstance(events[0], Case.Opened) else None
        if opened is None:
            return refused(number, "its opening event is missing or cannot be decoded")
        snapshot_problem = _snapshot_problem(engine, number, events, keys)
        try:
            engine.ensure_version(opened.process_version)
        except OknoError as error:
            return refused(number, str(error), opened.process_version)
        verdict = verify(engine.steps, events, keys, tuple(undecodable), snapshot_problem)
        return replace(verdict, number=number)
    except Exception as error:  # one case's surprise is that case's verdict, not the end of verify
        return refused(number, f"could not be verified: {type(error).__name__}: {error}")


def _snapshot_problem(engine: Engine, number: str, events: list[Case.Event], keys: KeyRing) -> str | None:
    """Why the case's newest snapshot cannot be trusted, when that matters: a sealed one
    that does not hold, or an unsealed one taken at a signed event (its seal removed)."""
    from engine.snapshot_seal import SEAL, seal_problem

    snapshot = engine.latest_snapshot(number)
    if snapshot is None:
        return None
    at = next((e for e in events if e.originator_version == snapshot.originator_version), None)
    if SEAL not in snapshot.state and (at is None or at.signature is None):
        return None  # taken before signing began: loading passes it over, nothing to judge
    return seal_problem(snapshot, keys, at)


_worker_engine: Engine | None = None


def _open_verify_engine() -> None:
    """A verify worker's engine, opened once and closed when the pool shuts down."""
    from multiprocessing.util import Finalize

    global _worker_engine
    _worker_engine = new_engine(reading_only=True)
    Finalize(None, _worker_engine.close, exitpriority=10)


def _verify_chunk(chunk: tuple[list[str], tuple[bytes, ...]]) -> list[Verdict]:
    assert _worker_engine is not None
    numbers, keys = chunk
    ring = KeyRing(PublicKey.from_pem(pem) for pem in keys)
    return [verify_one(_worker_engine, number, ring) for number in numbers]


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
