"""The read side's commands: `okno worker` (read models, due timers, due jobs), `okno migrate`,
`okno projections`, and the queries `track`, `tasks`, `dashboard`, `ranking`, `stats`."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from engine import world
from engine.application import STORE_ERRORS
from engine.store import config_from_environment
from engine.supervision import Supervision
from okno.bootstrap import (
    new_connectors,
    new_engine,
    new_projector,
    new_reader,
    open_engine,
)

ONCE_ATTEMPTS = 5  # `okno worker --once` gives up after this many failed rounds in a row


@click.command(
    "worker", help="Keep the read models current, fire due timers and run due service-task jobs (polls the event log)."
)
@click.option("--once", is_flag=True, help="Catch up and exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.option(
    "--checkpoint-every",
    default=1000,
    show_default=True,
    type=click.IntRange(1),
    help="Sign a checkpoint of the store-wide chain after this many new events...",
)
@click.option(
    "--checkpoint-minutes",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="...or this many minutes after the latest one, if anything happened since "
    "(with --once: at the end, if anything happened).",
)
def worker_command(once: bool, interval: float, checkpoint_every: int, checkpoint_minutes: float) -> None:
    from okno.workers.jobs import run_due
    from okno.workers.notary import CheckpointPolicy, notarise
    from okno.workers.timers import fire_due
    from projections.jobs import due_jobs
    from projections.reader import Reader
    from projections.timers import due_timers

    with open_engine() as engine:
        projector = new_projector(engine)
        reader = Reader(projector)
        connectors = new_connectors(engine)
        policy = CheckpointPolicy(checkpoint_every, checkpoint_minutes, at_end=once)

        def work() -> None:
            applied = projector.catch_up()
            firing = fire_due(engine, due_timers(reader, world.now()), world.now())
            jobs = run_due(engine, due_jobs(reader, world.now(), types=connectors.names()), connectors, world.now())
            if firing.fired or jobs.completed or jobs.failed:
                applied += projector.catch_up()  # what the timers and jobs just recorded
            if applied or firing.fired or firing.dropped or jobs.completed or jobs.failed:
                click.echo(
                    f"applied {applied} events; fired {firing.fired} timers ({firing.dropped} dropped); "
                    f"jobs: {jobs.completed} done, {jobs.failed} failed ({jobs.incidents} incidents); lag "
                    + ", ".join(f"{s.name} {s.lag}" for s in projector.status())
                )
            _, checkpoint = notarise(engine, policy, world.now())
            if checkpoint is not None:
                click.echo(
                    f"checkpoint {checkpoint.sequence} signed at notification {checkpoint.head} "
                    f"({checkpoint.cases} cases, {checkpoint.events} case events)"
                )

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
                click.echo(f"worker: the store failed ({supervision.reason}); trying again in {delay:.1f} s", err=True)
                world.sleep(delay)
                continue
            if supervision.succeeded():
                click.echo("worker: the store answers again", err=True)
            if once:
                return
            world.sleep(interval)


@click.command(
    "migrate",
    help="Create or update the store's tables and the read models' (once per deployment, "
    "before starting servers and workers with OKNO_CREATE_TABLES=no). With --writer and "
    "--auditor (PostgreSQL, run as the administrator who owns the tables): set up the "
    "least-privilege roles okno serve and okno worker run as, and auditors read as.",
)
@click.option(
    "--writer", help="The role okno serve and okno worker connect as: it appends events, never rewrites them."
)
@click.option("--auditor", help="A read-only role for auditors (okno audit verify).")
def migrate_command(writer: str | None, auditor: str | None) -> None:
    from api.tracking import PIN_LOCK
    from engine.pin_attempts import PinAttempts

    config = config_from_environment().migrating()
    if (writer is None) != (auditor is None):
        raise click.UsageError("--writer and --auditor go together")
    if writer is not None and not config.is_postgres:
        raise click.UsageError("roles need PostgreSQL: an SQLite file has no roles (protect the file instead)")
    engine = new_engine(config)
    try:
        projector = new_projector(engine)
        PinAttempts(projector.datastore, projector.dialect, PIN_LOCK).create()
        click.echo(f"store {config.url}: event store, case keys, notification and revoked-token tables ready")
        for status in projector.status():
            click.echo(
                f"read model {status.name} v{projector.model(status.name).version}: "
                f"position {status.position} of {status.head}"
                + (" (the worker rebuilds it from zero)" if status.position == 0 and status.head else "")
            )
        if config.is_postgres:
            _roles(config.env, engine.store.recorder.events_table_name, writer, auditor)  # type: ignore[attr-defined]
    finally:
        engine.close()


def _roles(env: dict[str, str], events_table: str, writer: str | None, auditor: str | None) -> None:
    """Set up the roles named, or grant again the roles an earlier migrate set up (so the
    tables this migrate created or recreated get their kind's rights)."""
    import psycopg

    from okno.store_roles import RoleSetupRefused, grant, roles_in_place, set_up_roles

    schema = env.get("POSTGRES_SCHEMA") or "public"
    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
    ) as connection:
        try:
            if writer is not None and auditor is not None:
                report = set_up_roles(connection, schema, writer, auditor, events_table)
            else:
                writers, auditors = roles_in_place(connection, schema, events_table)
                if not writers and not auditors:
                    return
                report = grant(connection, schema, events_table, writers, auditors)
        except RoleSetupRefused as refused:
            raise click.UsageError(str(refused)) from None
    by_kind: dict[str, list[str]] = {}
    for table, kind in report.tables.items():
        by_kind.setdefault(kind.value, []).append(table)
    click.echo(
        f"roles in schema {schema}: writer {', '.join(report.writers) or '—'}, "
        f"auditor {', '.join(report.auditors) or '—'} (read only)"
    )
    for kind_name, tables in by_kind.items():
        click.echo(f"  {kind_name}: {', '.join(tables)}")
    if report.unknown:
        click.echo(
            f"  tables okno does not know, given the writer only SELECT and INSERT: {', '.join(report.unknown)}",
            err=True,
        )


@click.group("projections", help="The read models: their positions, and rebuilding them.")
def projections_group() -> None:
    pass


@projections_group.command(
    "status",
    help="Each read model's position in the event log and its lag, and the "
    "cases a read model could not fold (parked; exit 0 all the same).",
)
def projections_status() -> None:

    with open_engine() as engine:
        projector = new_projector(engine)
        parked = projector.parked()
        for status in projector.status():
            mine = [p for p in parked if p.model == status.name]
            click.echo(
                f"{status.name}: position {status.position} of {status.head}, lag {status.lag}"
                + (f", {len(mine)} parked case(s)" if mine else "")
            )
            for case in mine:
                click.echo(
                    f"  parked {case.number or case.case_id} at position {case.position} since "
                    f"{case.parked_at.isoformat(timespec='seconds')}: {case.error}"
                )
        if parked:
            click.echo(
                f"{len(parked)} parked case(s): their later events wait; fix the cause, then run "
                "`okno projections retry`"
            )


@projections_group.command(
    "retry",
    help="Fold parked cases' waiting events again (all read models, or the one "
    "named); those that fold now are unparked. Exit 1 if some still fail.",
)
@click.argument("name", required=False)
def projections_retry(name: str | None) -> None:

    with open_engine() as engine:
        projector = new_projector(engine)
        if name is not None and name not in {m.name for m in projector.models}:
            raise click.UsageError(
                f"no read model {name!r}; read models: {', '.join(m.name for m in projector.models)}"
            )
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

    with open_engine() as engine:
        projector = new_projector(engine)
        try:
            models = [projector.model(name)] if name else projector.models
        except KeyError:
            raise click.UsageError(
                f"no read model {name!r}; read models: {', '.join(m.name for m in projector.models)}"
            ) from None
        for model in models:
            began = world.stopwatch()
            with click.progressbar(length=projector.head(), label=f"rebuilding {model.name}", file=sys.stderr) as bar:
                applied = projector.rebuild(model, progress=bar.update)
            elapsed = max(world.stopwatch() - began, 1e-9)
            click.echo(f"{model.name}: {applied} events in {elapsed:.2f} s ({applied / elapsed:,.0f} events/s)")
            parked = projector.parked(model.name)
            if parked:
                click.echo(
                    f"{model.name}: {len(parked)} case(s) parked, their later events wait "
                    "(see `okno projections status`)"
                )


@click.command("track", help="What a citizen sees: a case's status by its number and PIN.")
@click.argument("number")
@click.argument("pin")
def track_command(number: str, pin: str) -> None:
    from api.tracking import CLI_CLIENT, Tracking

    with open_engine() as engine:
        status = Tracking(engine, new_reader(engine)).track(number, pin, world.now(), CLI_CLIENT)
        click.echo(f"Дело {status.number}: {status.service}")
        click.echo(
            f"МФЦ: {status.office}; подано {status.opened_at[:10]}; ожидаемый срок: {status.expected_completion or '—'}"
        )
        for stage in status.stages:
            click.echo(f"  {stage.since[:10]}  {stage.stage}")
        click.echo(status.next_action)


@click.command("tasks", help="An office's work list.")
@click.option("--office", required=True)
@click.option("--role")
@click.option("--limit", default=20, show_default=True)
def tasks_command(office: str, role: str | None, limit: int) -> None:
    from projections.case_queries import work_list

    with open_engine() as engine:
        now = world.now()
        items = work_list(new_reader(engine), office, role, first=limit).rows
        if not items:
            click.echo(f"no open tasks at {office}" + (f" for {role}" if role else ""))
        for item in items:
            age = now - datetime.fromisoformat(item.opened_at)
            click.echo(
                f"{item.case_number}  {item.role or '-':10s} {item.name}  "
                f"(waiting {age.days} d {age.seconds // 3600} h; due {item.due_day or '—'})"
            )


@click.command("dashboard", help="An office's dashboard.")
@click.argument("office")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="The day to look from (default: today).")
def dashboard_command(office: str, day: datetime | None) -> None:
    from projections.queries import office_dashboard

    with open_engine() as engine:
        board = office_dashboard(new_reader(engine), office, day.date() if day else world.now().date())
        click.echo(
            f"{office} on {board.today}: {board.open_cases} open cases, {board.due_today} due today, "
            f"{board.overdue} overdue"
        )
        click.echo("tasks by role: " + ", ".join(f"{r} {n}" for r, n in board.tasks_by_role.items()))
        click.echo("opened per day: " + ", ".join(f"{d} {n}" for d, n in board.opened_per_day.items()))
        click.echo("completed per day: " + ", ".join(f"{d} {n}" for d, n in board.completed_per_day.items()))
        for service, (median, p90) in board.lead_time_days.items():
            click.echo(f"  lead time {service}: median {median} d, p90 {p90} d")


@click.command("ranking", help="Offices ranked on on-time delivery, ratings, complaints and waiting in the queue.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), required=True)
def ranking_command(since: datetime, until: datetime) -> None:
    from projections.queries import office_ranking

    with open_engine() as engine:
        for r in office_ranking(new_reader(engine), since.date(), until.date()):
            on_time = "—" if r.on_time_share is None else f"{r.on_time_share:.0%}"
            rating = "—" if r.rating is None else f"{r.rating:.2f} ({r.ratings})"
            waited = "—" if r.waiting_share is None else f"{r.waiting_share:.0%} of {r.visits}"
            click.echo(
                f"{r.rank:3d}. {r.score:6.2f}  {r.name} ({r.office}): on time {on_time}, "
                f"rating {rating}, complaints {r.complaints}, called within the cap {waited}"
            )


@click.command("stats", help="Applications per service in a month, with on-time share and growth.")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--office")
@click.option("--district")
def stats_command(month: str, office: str | None, district: str | None) -> None:
    from projections.queries import service_statistics

    with open_engine() as engine:
        for f in service_statistics(new_reader(engine), month, office, district):
            on_time = "—" if f.on_time_share is None else f"{f.on_time_share:.0%}"
            growth = "—" if f.growth is None else f"{f.growth:+.0%}"
            click.echo(
                f"{f.applications:6d}  {f.title[:70]}  (completed {f.completed}, on time {on_time}, "
                f"vs last year {growth})"
            )
