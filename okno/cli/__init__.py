"""The ``okno`` command. A composition root: it reads the clock, the environment and
the OS's entropy (through engine.world) and hands them to the engine."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from engine import world
from engine.application import STORE_ERRORS, Engine, scan_cases
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.case import Case, case_id_for
from engine.catalog import CatalogInvalid, Service, parse_catalog
from engine.errors import OknoError, UnknownCase
from engine.replay import Verdict
from engine.store import config_from_environment
from engine.supervision import Supervision
from okno.bench.cli import bench_command
from okno.cli.reception import queue_command, slots_command, waiting_command

ONCE_ATTEMPTS = 5  # `okno worker --once` gives up after this many failed rounds in a row


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except OknoError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except Exception as error:  # a user never gets a bare traceback
        if os.environ.get("OKNO_DEBUG"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error} (set OKNO_DEBUG=1 for details)", err=True)
        sys.exit(70)


@click.group(help="okno: one window for every public service — a BPMN case engine for МФЦ networks.")
def cli() -> None:
    pass


@contextmanager
def open_engine() -> Iterator[Engine]:
    engine = Engine(config_from_environment(), master_key=world.master_key(), entropy=world.entropy)
    try:
        yield engine
    finally:
        engine.close()


def _sources(paths: tuple[Path, ...]) -> tuple[list[SourceFile], list[Service] | None]:
    try:
        sources = collect_sources(list(paths))
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {getattr(error, 'filename', '') or error}") from None
    catalog_files = [p / "catalog.toml" for p in paths if p.is_dir() and (p / "catalog.toml").exists()]
    catalog_files += [p for p in paths if p.is_file() and p.suffix == ".toml"]
    services: list[Service] | None = None
    for path in catalog_files:
        services = (services or []) + parse_catalog(path.read_text(encoding="utf-8"), str(path))
    return sources, services


@cli.command("validate", help="Check BPMN/DMN files (and a catalog.toml) without deploying; exit 1 on problems.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--explain", is_flag=True,
              help="Also list, per process, the BPMN elements used and whether okno runs them.")
def validate_command(paths: tuple[Path, ...], explain: bool) -> None:
    try:
        sources, services = _sources(paths)
        if explain:
            _explain(sources)
    except CatalogInvalid as error:
        for problem in error.problems:
            click.echo(problem)
        sys.exit(1)
    plan = validate(sources)
    problems = [str(p) for p in plan.problems]
    if services is not None and not plan.problems:
        known = {b.process_id for b in plan.bundles}
        problems += [f"catalog.toml: service {s.code}: process {s.process!r} is not among the files validated"
                     for s in services if s.process not in known]
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    for bundle in plan.bundles:
        click.echo(f"ok {bundle.process_id} {bundle.version[:12]} ({bundle.bpmn.name})")
    if services is not None:
        click.echo(f"ok catalog: {len(services)} services")


@cli.command("run-model", help="Run a model on scripted inputs and print the path taken (a unit test for analysts).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--inputs", "inputs", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The TOML script of inputs and expectations.")
def run_model_command(paths: tuple[Path, ...], inputs: Path) -> None:
    from engine.bpmn.library import compile_bundle
    from engine.run_model import ScriptInvalid, load_script, run

    sources, _ = _sources(paths)
    plan = validate(sources)
    if plan.problems:
        for problem in plan.problems:
            click.echo(str(problem))
        sys.exit(1)
    script = load_script(inputs.read_text(encoding="utf-8"), inputs.name)
    wanted = script.get("process")
    bundles = [b for b in plan.bundles if wanted in (None, b.process_id)]
    if len(bundles) != 1:
        raise ScriptInvalid(f"{inputs.name}: name the process to run (process = \"…\"); the files hold "
                            f"{', '.join(b.process_id for b in plan.bundles) or 'none'}")
    process = compile_bundle(bundles[0])
    failed = False
    for service in script.get("services") or [None]:
        runs = dict(script)
        if service is not None:
            runs["data"] = {**script.get("data", {}), "service_code": service}
        result = run(process, runs)
        click.echo(f"{bundles[0].process_id} {bundles[0].version[:12]} with {inputs.name}"
                   + (f" for {service}" if service else ""))
        for line in result.lines:
            click.echo(f"  {line}")
        for failure in result.failures:
            click.echo(f"FAILED: {failure}")
        failed = failed or not result.ok
    if failed:
        sys.exit(1)
    click.echo("passed")


def _explain(sources: list[SourceFile]) -> None:
    from engine.bpmn.validation import explain

    for source in sources:
        if source.is_dmn:
            continue
        for process_id, uses in explain(source).items():
            click.echo(f"{source.name}: process {process_id}")
            for use in uses:
                mark = "yes" if use.supported else "NO "
                click.echo(f"  {mark}  {use.kind} ×{use.count}" + (f" — {use.note}" if use.note else ""))


@cli.command("deploy", help="Validate and deploy BPMN/DMN files (and a catalog.toml) to the store.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def deploy_command(paths: tuple[Path, ...]) -> None:
    sources, services = _sources(paths)
    with open_engine() as engine:
        _deploy(engine, sources, services, world.now())


def _deploy(engine: Engine, sources: list[SourceFile], services: list[Service] | None, at: datetime,
            quiet: bool = False) -> None:
    report = engine.deploy(sources, at)
    if not report.ok:
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(f"{len(report.problems)} problem(s); nothing was deployed", err=True)
        sys.exit(1)
    if not quiet:
        for item in report.deployed:
            state = "deployed" if item.new else "unchanged"
            click.echo(f"{state} {item.process_id} {item.version[:12]}")
    if services is not None:
        changed = engine.publish_catalog(services, at)
        if not quiet:
            click.echo(f"catalog: {len(services)} services ({'published' if changed else 'unchanged'})")


def shipped_processes() -> tuple[list[SourceFile], list[Service]]:
    folder = files("processes")
    sources = [SourceFile(entry.name, entry.read_text(encoding="utf-8"))
               for entry in sorted(folder.iterdir(), key=lambda e: e.name)
               if entry.name.endswith((".bpmn", ".dmn"))]
    catalog = parse_catalog(folder.joinpath("catalog.toml").read_text(encoding="utf-8"))
    return sources, catalog


@cli.command("demo", help="Seed the Lipetsk region and simulate working days through the real engine.")
@click.option("--days", default=1, show_default=True, type=click.IntRange(1, 60))
@click.option("--applications", default=400, show_default=True, type=click.IntRange(0, 100_000),
              help="Applications per simulated day.")
@click.option("--seed", default=2026, show_default=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day, for an empty store.")
def demo_command(days: int, applications: int, seed: int, start: datetime | None) -> None:
    from engine.working_days import is_working_day, next_working_day
    from okno.demo.connectors import DemoWorker
    from okno.demo.region import lipetsk_offices
    from okno.demo.simulation import MOSCOW, Simulation

    began = world.stopwatch()
    with open_engine() as engine:
        cases = scan_cases(engine)
        if cases:
            day = next_working_day(max(c.last_at for c in cases.values()).astimezone(MOSCOW).date())
        else:
            day = start.date() if start else world.now().astimezone(MOSCOW).date()
            while not is_working_day(day):
                day += timedelta(days=1)
        setup_at = datetime.combine(day, time(7, 0), MOSCOW)
        sources, catalog = shipped_processes()
        _deploy(engine, sources, catalog, setup_at, quiet=True)
        engine.register_offices(lipetsk_offices(), setup_at)
        directory = engine.directory()
        click.echo(f"okno demo — {engine.config.url}")
        click.echo(f"region: {len(directory.offices)} offices "
                   f"({sum(1 for o in directory.offices.values() if o['kind'] == 'centre')} centres), "
                   f"{len(directory.services)} services, "
                   f"{sum(len(v) for v in directory.versions.values())} process versions")
        jobs = DemoWorker(engine, seed)
        simulation = Simulation(engine, seed, agency_gateway=_agencies(engine), job_worker=jobs)
        totals: Counter[str] = Counter()
        services: Counter[str] = Counter()
        messages: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        timers: Counter[str] = Counter()
        first_day: date | None = None
        for _ in range(days):
            report = simulation.run_day(day, applications)
            totals.update(opened=report.opened, completed=report.completed, commands=report.commands,
                          acknowledged=report.acknowledged)
            timers.update(report.timers_fired)
            services.update(report.services)
            messages.update(report.messages_sent)
            refused.update(report.refused)
            click.echo(f"{day.isoformat()}: {report.tickets} visitors took a ticket ({report.booked} booked ahead), "
                       f"{report.opened} cases opened, {report.consultations} consultations, "
                       f"{report.completed} completed, {report.commands} commands")
            first_day = first_day or day
            day = next_working_day(day)
        _summary(engine, totals, services, messages, refused, world.stopwatch() - began)
        click.echo(f"agency gateways acknowledged {totals['acknowledged']} requests from the outbox; timers fired: "
                   + (", ".join(f"{name} {count}" for name, count in timers.most_common()) or "none"))
        done = jobs.totals
        click.echo(f"service tasks: {done.completed} jobs done ("
                   + ", ".join(f"{name} {count}" for name, count in sorted(done.by_connector.items()))
                   + f"), {done.failed} failed attempts retried with backoff, {done.incidents} incidents "
                   f"({done.retried} retried by a supervisor); notifications in the outbox: "
                   + (", ".join(f"{k} {v}" for k, v in sorted(engine.notifications.count().items())) or "none"))
        _read_models(engine)
        assert first_day is not None
        _waiting(engine, first_day, day)


def _agencies(engine: Engine) -> Any:
    """The demo's agencies: each morning they take what the cases sent them from the
    outbox and acknowledge it, as a real gateway would over GraphQL."""
    from projections.queries import Reader
    from projections.runner import Projector

    projector = Projector(engine)
    reader = Reader(projector)
    requests = ("rosreestr_package", "rosreestr_additional_documents", "rosreestr_reminder", "mvd_application",
                "mvd_registration_request", "fns_income_request", "zags_birth_request", "gisgmp_payment_query")

    def pick_up(at: datetime) -> int:
        projector.catch_up()
        marks = ", ".join("?" for _ in requests)
        rows = reader.rows(f"SELECT case_number, message, name FROM rm_outbox WHERE acknowledged_at IS NULL "
                           f"AND name IN ({marks}) ORDER BY sent_at, case_number, message", requests)
        done = 0
        for row in rows:
            try:
                engine.acknowledge_message(row["case_number"], row["message"],
                                           f"{row['name'].split('_')[0].upper()}-{row['case_number']}-{row['message']}",
                                           actor=f"agency:{row['name'].split('_')[0]}", at=at)
                done += 1
            except OknoError:
                continue
        return done

    return pick_up


def _read_models(engine: Engine) -> None:
    from projections.queries import CLI_CLIENT, Reader, track
    from projections.runner import Projector

    projector = Projector(engine)
    applied = projector.catch_up()
    lags = ", ".join(f"{s.name} at {s.position} (lag {s.lag})" for s in projector.status())
    click.echo(f"read models: {applied} new events applied; {lags}")
    reader = Reader(projector)
    sample = reader.rows("SELECT number FROM rm_cases WHERE status = 'open' ORDER BY opened_at DESC, number LIMIT 1")
    if sample:
        number = sample[0]["number"]
        pin = engine.vault.pin(case_id_for(number))
        status = track(reader, number, pin, world.now(), CLI_CLIENT)
        click.echo(f"a citizen tracking {number} with PIN {pin} sees: {status.stage} — {status.next_action} "
                   f"(expected by {status.expected_completion})")


def _waiting(engine: Engine, since: date, until: date) -> None:
    """The queue's figures for the simulated days, from the read model."""
    from projections.queries import Reader
    from projections.reception import waiting_figures
    from projections.runner import Projector

    reader = Reader(Projector(engine))
    region = waiting_figures(reader, since, until, per_office=False)
    if not region:
        click.echo("queue: nobody was called to a window")
        return
    r = region[0]
    booked = f"{r.booked_within_cap / r.booked:.0%}" if r.booked else "—"
    click.echo(f"queue: {r.visits} visitors called to a window; waited median {r.median_wait_minutes} min, "
               f"90th percentile {r.p90_wait_minutes} min; {r.within_cap_share or 0:.0%} within 15 min "
               f"(booked visitors: {booked} of {r.booked} within 5 min); reception took a median "
               f"{r.median_service_minutes} min; visits ended: "
               + ", ".join(f"{outcome} {count}" for outcome, count in sorted(r.outcomes.items())))
    offices = engine.directory().offices
    slowest = sorted(waiting_figures(reader, since, until), key=lambda f: f.within_cap_share or 0)[:3]
    click.echo("longest waits: " + "; ".join(
        f"{offices[f.office or '']['name']} — {f.within_cap_share or 0:.0%} within the cap, median "
        f"{f.median_wait_minutes} min over {f.visits} visits" for f in slowest))


def _summary(engine: Engine, totals: Counter[str], services: Counter[str], messages: Counter[str],
             refused: Counter[str], elapsed: float) -> None:
    cases = scan_cases(engine)
    status = Counter(c.status for c in cases.values())
    tasks_by_office: Counter[str] = Counter()
    tasks_by_role: Counter[str] = Counter()
    for summary in cases.values():
        if summary.status != "open":
            continue
        case = engine.get_case(summary.number)
        for task in case.open_tasks:
            tasks_by_office[case.office] += 1
            tasks_by_role[task["role"] or "-"] += 1
    offices = engine.directory().offices
    click.echo("")
    click.echo(f"this run: {totals['opened']} cases opened, {totals['completed']} completed, "
               f"{totals['commands']} commands in {elapsed:.1f} s")
    click.echo(f"store: {len(cases)} cases — {status['open']} open, {status['completed']} completed, "
               f"{status['withdrawn']} withdrawn")
    click.echo("open tasks by office:")
    for code, count in tasks_by_office.most_common(10):
        click.echo(f"  {count:5d}  {offices[code]['name']} ({code})")
    rest = sum(tasks_by_office.values()) - sum(c for _, c in tasks_by_office.most_common(10))
    if rest:
        click.echo(f"  {rest:5d}  other offices")
    click.echo("open tasks by role: " + ", ".join(f"{r} {n}" for r, n in tasks_by_role.most_common()))
    click.echo("top services this run:")
    for title, count in services.most_common(5):
        click.echo(f"  {count:5d}  {title}")
    if messages:
        click.echo("messages sent to agencies: " + ", ".join(f"{n} {c}" for n, c in messages.most_common()))
    if refused:
        click.echo("commands refused: " + ", ".join(f"{n} {c}" for n, c in refused.most_common()))


@cli.group("case", help="Look at one case.")
def case_group() -> None:
    pass


@case_group.command("show", help="A case's status, open tasks and history.")
@click.argument("number")
def case_show(number: str) -> None:
    with open_engine() as engine:
        case = engine.get_case(number)
        click.echo(f"case {case.number}: {case.service} at {case.office} — {case.status}"
                   f"{' (' + case.outcome + ')' if case.outcome else ''}; stage: {case.stage or '-'}")
        click.echo(f"  PIN for tracking (print it on the receipt): {engine.vault.pin(case.id)}")
        for task in case.open_tasks:
            holder = f", held by {task['holder']}" if task.get("holder") else ""
            click.echo(f"  open task {task['element']} ({task['role']}{holder}): {task['name']}")
        for event in engine.case_events(number):
            click.echo(f"  v{event.originator_version} {event.timestamp.isoformat()} {type(event).__name__} "
                       f"by {event.actor}: {json.dumps(event.input, ensure_ascii=False)}")


@cli.group("audit", help="Auditors' tools.")
def audit_group() -> None:
    pass


@audit_group.command("history", help="Every event of a case: time, actor, input, effects, data change.")
@click.argument("number")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
              help="Only the events up to this moment.")
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
        for entry in history(events):
            click.echo(f"v{entry.version} {entry.timestamp.isoformat()} {entry.kind} by {entry.actor}")
            click.echo(f"  input:   {json.dumps(entry.input, ensure_ascii=False)}")
            effects = {k: v for k, v in entry.effects.items() if v not in ([], None, False)}
            click.echo(f"  effects: {json.dumps(effects, ensure_ascii=False)}")
            click.echo(f"  data:    {json.dumps(entry.data_change, ensure_ascii=False)}")


@audit_group.command("export", help="Write the event log for process-mining tools.")
@click.option("--format", "fmt", type=click.Choice(["xes"]), default="xes", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("okno.xes"),
              show_default=True)
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
            written = write_xes(cases(), out)
    click.echo(f"{written} cases written to {output} ({fmt.upper()})")


@audit_group.command("verify", help="Replay cases from their inputs and check every recorded effect.")
@click.argument("numbers", nargs=-1)
@click.option("--all", "all_cases", is_flag=True, help="Every case in the store.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes to verify in, each with its own share of the cases (one per core).")
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
                click.echo(f"\n{verdict.number} v{version}: the stored event does not match its hash chain "
                           "(edited, deleted or reordered)")
            if not verdict.ok:
                failed += 1
            for version, kind, error in verdict.divergences:
                click.echo(f"\n{verdict.number} v{version} {kind}: effects differ{': ' + error if error else ''}")
            for gap in verdict.gaps:
                click.echo(f"\n{verdict.number}: version {gap} is missing")
    elapsed = max(world.stopwatch() - began, 1e-9)
    click.echo(f"{len(chosen) - failed} of {len(chosen)} cases verified, {failed} diverged "
               f"({len(chosen) / elapsed:.0f} cases/s)")
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
    chunks = [numbers[i:i + size] for i in range(0, len(numbers), size)]
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
    return verify(events)


_worker_engine: Engine | None = None


def _open_verify_engine() -> None:
    """A verify worker's engine, opened once and closed when the pool shuts down."""
    from multiprocessing.util import Finalize

    global _worker_engine
    _worker_engine = Engine(config_from_environment(), master_key=world.master_key(), entropy=world.entropy)
    Finalize(None, _worker_engine.close, exitpriority=10)


def _verify_chunk(numbers: list[str]) -> list[Verdict]:
    assert _worker_engine is not None
    return [_verify_one(_worker_engine, number) for number in numbers]


@cli.command("worker", help="Keep the read models current, fire due timers and run due service-task jobs "
                             "(polls the event log).")
@click.option("--once", is_flag=True, help="Catch up and exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
def worker_command(once: bool, interval: float) -> None:
    from engine.connectors.defaults import default_connectors
    from projections.jobs import due_jobs, run_due
    from projections.queries import Reader
    from projections.runner import Projector
    from projections.timers import due_timers, fire_due

    with open_engine() as engine:
        projector = Projector(engine)
        reader = Reader(projector)
        connectors = default_connectors(engine, world.now)

        def work() -> None:
            applied = projector.catch_up()
            firing = fire_due(engine, due_timers(reader.rows, world.now()), world.now())
            jobs = run_due(engine, due_jobs(reader.rows, world.now()), connectors, world.now())
            if firing.fired or jobs.completed or jobs.failed:
                applied += projector.catch_up()  # what the timers and jobs just recorded
            if applied or firing.fired or firing.dropped or jobs.completed or jobs.failed:
                click.echo(f"applied {applied} events; fired {firing.fired} timers ({firing.dropped} dropped); "
                           f"jobs: {jobs.completed} done, {jobs.failed} failed ({jobs.incidents} incidents); lag "
                           + ", ".join(f"{s.name} {s.lag}" for s in projector.status()))

        supervision = Supervision("worker")
        if not once:
            click.echo(f"worker: started, polling every {interval:g} s", err=True)
        while True:
            try:
                work()
            except STORE_ERRORS as error:
                # A connection cut off, the database restarting: each page, timer and job
                # commits on its own, so nothing is half done; wait (longer each time in a
                # row) and go on from where the log and the read models say.
                delay = supervision.failed(error)
                if once and supervision.failures >= ONCE_ATTEMPTS:
                    raise
                click.echo(f"worker: the store failed ({supervision.reason}); trying again in {delay:.1f} s",
                           err=True)
                world.sleep(delay)
                continue
            if supervision.succeeded():
                click.echo("worker: the store answers again", err=True)
            if once:
                return
            world.sleep(interval)


@cli.command("migrate", help="Create or update the store's tables and the read models' (once per deployment, "
                              "before starting servers and workers with OKNO_CREATE_TABLES=no).")
def migrate_command() -> None:
    from projections.runner import Projector

    config = config_from_environment().migrating()
    engine = Engine(config, master_key=world.master_key(), entropy=world.entropy)
    try:
        projector = Projector(engine)
        click.echo(f"store {config.url}: event store, case keys, notification and revoked-token tables ready")
        for status in projector.status():
            click.echo(f"read model {status.name} v{projector.model(status.name).version}: "
                       f"position {status.position} of {status.head}"
                       + (" (the worker rebuilds it from zero)" if status.position == 0 and status.head else ""))
    finally:
        engine.close()


@cli.group("projections", help="The read models: their positions, and rebuilding them.")
def projections_group() -> None:
    pass


@projections_group.command("status", help="Each read model's position in the event log and its lag, and the "
                                          "cases a read model could not fold (parked; exit 0 all the same).")
def projections_status() -> None:
    from projections.runner import Projector

    with open_engine() as engine:
        projector = Projector(engine)
        parked = projector.parked()
        for status in projector.status():
            mine = [p for p in parked if p.model == status.name]
            click.echo(f"{status.name}: position {status.position} of {status.head}, lag {status.lag}"
                       + (f", {len(mine)} parked case(s)" if mine else ""))
            for case in mine:
                click.echo(f"  parked {case.number or case.case_id} at position {case.position} since "
                           f"{case.parked_at.isoformat(timespec='seconds')}: {case.error}")
        if parked:
            click.echo(f"{len(parked)} parked case(s): their later events wait; fix the cause, then run "
                       "`okno projections retry`")


@projections_group.command("retry", help="Fold parked cases' waiting events again (all read models, or the one "
                                         "named); those that fold now are unparked. Exit 1 if some still fail.")
@click.argument("name", required=False)
def projections_retry(name: str | None) -> None:
    from projections.runner import Projector

    with open_engine() as engine:
        projector = Projector(engine)
        if name is not None and name not in {m.name for m in projector.models}:
            raise click.UsageError(f"no read model {name!r}; read models: "
                                   f"{', '.join(m.name for m in projector.models)}")
        outcome = projector.retry(name)
        for case in outcome.unparked:
            click.echo(f"{case.model}: {case.number or case.case_id} folds now: unparked")
        for case in outcome.still_parked:
            click.echo(f"{case.model}: {case.number or case.case_id} still fails: {case.error}")
        click.echo(f"{len(outcome.unparked)} unparked, {len(outcome.still_parked)} still parked")
        if outcome.still_parked:
            sys.exit(1)


@projections_group.command("rebuild", help="Rebuild read models from zero (all, or the one named).")
@click.argument("name", required=False)
def projections_rebuild(name: str | None) -> None:
    from projections.runner import Projector

    with open_engine() as engine:
        projector = Projector(engine)
        try:
            models = [projector.model(name)] if name else projector.models
        except KeyError:
            raise click.UsageError(f"no read model {name!r}; read models: "
                                   f"{', '.join(m.name for m in projector.models)}") from None
        for model in models:
            began = world.stopwatch()
            with click.progressbar(length=projector.head(), label=f"rebuilding {model.name}",
                                   file=sys.stderr) as bar:
                applied = projector.rebuild(model, progress=bar.update)
            elapsed = max(world.stopwatch() - began, 1e-9)
            click.echo(f"{model.name}: {applied} events in {elapsed:.2f} s ({applied / elapsed:,.0f} events/s)")
            parked = projector.parked(model.name)
            if parked:
                click.echo(f"{model.name}: {len(parked)} case(s) parked, their later events wait "
                           "(see `okno projections status`)")


@cli.command("track", help="What a citizen sees: a case's status by its number and PIN.")
@click.argument("number")
@click.argument("pin")
def track_command(number: str, pin: str) -> None:
    from projections.queries import CLI_CLIENT, Reader, track
    from projections.runner import Projector

    with open_engine() as engine:
        status = track(Reader(Projector(engine)), number, pin, world.now(), CLI_CLIENT)
        click.echo(f"Дело {status.number}: {status.service}")
        click.echo(f"МФЦ: {status.office}; подано {status.opened_at[:10]}; "
                   f"ожидаемый срок: {status.expected_completion or '—'}")
        for stage in status.stages:
            click.echo(f"  {stage['since'][:10]}  {stage['stage']}")
        click.echo(status.next_action)


@cli.command("tasks", help="An office's work list.")
@click.option("--office", required=True)
@click.option("--role")
@click.option("--limit", default=20, show_default=True)
def tasks_command(office: str, role: str | None, limit: int) -> None:
    from projections.queries import Reader, work_list
    from projections.runner import Projector

    with open_engine() as engine:
        now = world.now()
        items = work_list(Reader(Projector(engine)), office, role, limit=limit)
        if not items:
            click.echo(f"no open tasks at {office}" + (f" for {role}" if role else ""))
        for item in items:
            age = item.age(now)
            click.echo(f"{item.case_number}  {item.role or '-':10s} {item.name}  "
                       f"(waiting {age.days} d {age.seconds // 3600} h; due {item.due_day or '—'})")


@cli.command("dashboard", help="An office's dashboard.")
@click.argument("office")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="The day to look from (default: today).")
def dashboard_command(office: str, day: datetime | None) -> None:
    from projections.queries import Reader, office_dashboard
    from projections.runner import Projector

    with open_engine() as engine:
        board = office_dashboard(Reader(Projector(engine)), office, day.date() if day else world.now().date())
        click.echo(f"{office} on {board.today}: {board.open_cases} open cases, {board.due_today} due today, "
                   f"{board.overdue} overdue")
        click.echo("tasks by role: " + ", ".join(f"{r} {n}" for r, n in board.tasks_by_role.items()))
        click.echo("opened per day: " + ", ".join(f"{d} {n}" for d, n in board.opened_per_day.items()))
        click.echo("completed per day: " + ", ".join(f"{d} {n}" for d, n in board.completed_per_day.items()))
        for service, (median, p90) in board.lead_time_days.items():
            click.echo(f"  lead time {service}: median {median} d, p90 {p90} d")


@cli.command("ranking", help="Offices ranked on on-time delivery, ratings, complaints and waiting in the queue.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), required=True)
def ranking_command(since: datetime, until: datetime) -> None:
    from projections.queries import Reader, office_ranking
    from projections.runner import Projector

    with open_engine() as engine:
        for r in office_ranking(Reader(Projector(engine)), since.date(), until.date()):
            on_time = "—" if r.on_time_share is None else f"{r.on_time_share:.0%}"
            rating = "—" if r.rating is None else f"{r.rating:.2f} ({r.ratings})"
            waited = "—" if r.waiting_share is None else f"{r.waiting_share:.0%} of {r.visits}"
            click.echo(f"{r.rank:3d}. {r.score:6.2f}  {r.name} ({r.office}): on time {on_time}, "
                       f"rating {rating}, complaints {r.complaints}, called within the cap {waited}")


@cli.command("stats", help="Applications per service in a month, with on-time share and growth.")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--office")
@click.option("--district")
def stats_command(month: str, office: str | None, district: str | None) -> None:
    from projections.queries import Reader, service_statistics
    from projections.runner import Projector

    with open_engine() as engine:
        for f in service_statistics(Reader(Projector(engine)), month, office, district):
            on_time = "—" if f.on_time_share is None else f"{f.on_time_share:.0%}"
            growth = "—" if f.growth is None else f"{f.growth:+.0%}"
            click.echo(f"{f.applications:6d}  {f.title[:70]}  (completed {f.completed}, on time {on_time}, "
                       f"vs last year {growth})")


def _services() -> Any:
    from api.auth import Tokens, max_lifetime
    from api.context import Services
    from projections.queries import Reader
    from projections.runner import Projector

    engine = Engine(config_from_environment(), master_key=world.master_key(), entropy=world.entropy)
    projector = Projector(engine)
    tokens = Tokens(world.master_key(), engine.revoked_tokens, max_lifetime=max_lifetime(os.environ), clock=world.now)
    return Services(engine=engine, projector=projector, reader=Reader(projector), tokens=tokens, clock=world.now)


@cli.command("serve", help="Serve the GraphQL API (GraphiQL at /graphql), /healthz and /metrics.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--read-timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 300),
              help="Seconds a request's whole body may take to arrive; a slower one gets 408.")
def serve_command(host: str, port: int, read_timeout: float) -> None:
    import uvicorn

    from api.app import create_app

    click.echo(f"okno serving on http://{host}:{port}/graphql (store: {config_from_environment().url})")
    uvicorn.run(create_app(_services, read_timeout=read_timeout), host=host, port=port, log_level="warning")


@cli.group("token", help="Bearer tokens for the API.")
def token_group() -> None:
    pass


@token_group.command("create", help="Issue a signed bearer token (it lives at most OKNO_TOKEN_MAX_HOURS, "
                                     "12 hours by default).")
@click.option("--role", required=True, type=click.Choice(["operator", "supervisor", "analyst", "auditor",
                                                           "integrator"]))
@click.option("--office", help="The office an operator or supervisor works in (only for those roles).")
@click.option("--subject", required=True, help="Who the token is for: the actor recorded on what it does.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True),
              help="How long it lives (default and most: OKNO_TOKEN_MAX_HOURS).")
def token_create(role: str, office: str | None, subject: str, hours: float | None) -> None:
    from api.auth import Tokens, max_lifetime

    tokens = Tokens(world.master_key(), None, max_lifetime=max_lifetime(os.environ))
    click.echo(tokens.issue(subject, role, office, world.now(), None if hours is None else timedelta(hours=hours)))


@token_group.command("revoke", help="Revoke a token: every server refuses it within seconds.")
@click.argument("token", required=False)
@click.option("--id", "token_id", help="The token's id (its jti claim) instead of the token itself.")
def token_revoke(token: str | None, token_id: str | None) -> None:
    from api.auth import Tokens, max_lifetime

    if (token is None) == (token_id is None):
        raise click.UsageError("name the token, or its id with --id")
    with open_engine() as engine:
        tokens = Tokens(world.master_key(), engine.revoked_tokens, max_lifetime=max_lifetime(os.environ))
        revoked = tokens.revoke(token, token_id=token_id, by=_operator(), now=world.now())
    state = "revoked" if revoked.new else "already revoked"
    click.echo(f"{state} {revoked.token_id}" + (f" (subject {revoked.subject})" if token is not None else ""))


def _operator() -> str:
    """Who ran the command, as the revocation's record: the OS user."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


cli.add_command(bench_command)
cli.add_command(slots_command)
cli.add_command(queue_command)
cli.add_command(waiting_command)
