"""`okno demo`: seed the Lipetsk region and simulate working days through the real engine,
with a fake agency gateway answering the cases' requests."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import click

from engine import world
from engine.application import Engine
from engine.case import case_id_for
from engine.errors import OknoError
from okno.bootstrap import (
    new_projector,
    new_reader,
    open_engine,
    shipped_processes,
)
from okno.cli.models import _deploy


@click.command(
    "demo",
    help="Seed the Lipetsk region and simulate working days through the real engine, up to now "
    "(the days before today in full, today up to now); with --live, go on along the clock.",
)
@click.option(
    "--days",
    default=1,
    show_default=True,
    type=click.IntRange(1, 60),
    help="Working days to simulate, ending today (a store that holds cases goes on from where it ends).",
)
@click.option(
    "--applications",
    default=400,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Applications per simulated day.",
)
@click.option("--seed", default=2026, show_default=True)
@click.option(
    "--now",
    "now_text",
    metavar="MOMENT",
    help="Take this moment (ISO 8601; without an offset, Moscow time) as now, instead of the clock.",
)
@click.option(
    "--live", is_flag=True, help="After catching up, go on simulating along the clock until Ctrl-C / SIGTERM."
)
@click.option(
    "--every",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="With --live: seconds between the slices simulated.",
)
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.01, 10_000),
    help="How fast the demo's clock runs after the moment it starts (60: a minute a second).",
)
def demo_command(
    days: int, applications: int, seed: int, now_text: str | None, live: bool, every: float, speed: float
) -> None:
    from okno.demo.connectors import DemoWorker
    from okno.demo.region import lipetsk_offices
    from okno.demo.simulation import MOSCOW, Simulation, Timeline, last_moment, working_days_until

    clock = demo_clock(_moment(now_text), speed)
    began = world.stopwatch()
    now = clock()
    with open_engine() as engine:
        since = last_moment(engine)
        click.echo(f"okno demo — {engine.config.url}")
        if since is not None and since >= now:
            click.echo(
                f"the store's history ends at {since.astimezone(MOSCOW).isoformat()}, not before now "
                f"({now.astimezone(MOSCOW).isoformat()}): nothing to simulate"
            )
            return
        first = working_days_until(now, days)[0]
        setup_at = since or min(now, datetime.combine(first, time(7, 0), MOSCOW))
        sources, catalog = shipped_processes()
        _deploy(engine, sources, catalog, setup_at, quiet=True)
        engine.register_offices(lipetsk_offices(), setup_at)
        directory = engine.directory()
        kinds = Counter(o["kind"] for o in directory.offices.values())
        click.echo(
            f"region: {len(directory.offices)} offices ({kinds['centre']} centres, {kinds['remote']} remote "
            f"offices, {kinds['terminal']} terminal points; "
            f"{sum(o.get('terminals', 0) for o in directory.offices.values())} information terminals), "
            f"{len(directory.open_services())} services, "
            f"{sum(len(v) for v in directory.versions.values())} process versions"
        )
        click.echo(
            f"now is {now.astimezone(MOSCOW):%Y-%m-%d %H:%M} Moscow time; "
            + (
                f"the store's history ends at {since.astimezone(MOSCOW):%Y-%m-%d %H:%M}, the demo goes on from there"
                if since
                else "an empty store"
            )
        )
        jobs = DemoWorker(engine, seed)
        timeline = Timeline(Simulation(engine, seed, agency_gateway=_agencies(engine), job_worker=jobs), applications)
        for simulated in timeline.catch_up(now, days, since):
            report = simulated.report
            upto = "" if simulated.done else f" (up to {now.astimezone(MOSCOW):%H:%M})"
            click.echo(
                f"{simulated.day.isoformat()}{upto}: {report.tickets} visitors took a ticket "
                f"({report.booked} booked ahead), {report.opened} cases opened, {report.consultations} "
                f"consultations, {report.completed} completed, {report.commands} commands"
            )
        if live:
            now = _live(timeline, clock, every)
        _report(engine, timeline, jobs, world.stopwatch() - began, now)


def demo_clock(start: datetime | None, speed: float) -> Callable[[], datetime]:
    """The demo's now: the wall clock (engine.world), or a clock that starts at ``start``
    and runs ``speed`` times as fast."""
    if start is None and speed == 1:
        return world.now
    origin, began = start or world.now(), world.stopwatch()
    return lambda: origin + timedelta(seconds=(world.stopwatch() - began) * speed)


def _moment(text: str | None) -> datetime | None:
    from okno.demo.simulation import MOSCOW

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        problem = f"{text!r} is not an ISO 8601 moment (2026-11-04T12:00+03:00)"
        raise click.BadParameter(problem, param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=MOSCOW)


def _live(timeline: Any, clock: Callable[[], datetime], every: float) -> datetime:
    """Simulate a slice up to now every ``every`` seconds until SIGINT or SIGTERM; the
    slice under way is finished first, so the store is left as after any slice."""
    from okno.demo.simulation import MOSCOW

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda _sig, _frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"live: a slice every {every:g} s along the clock; Ctrl-C or SIGTERM stops")
    now = clock()
    try:
        last = None
        while not stop.wait(every):
            now = clock()
            day = timeline.advance(now)
            if day is None:
                continue
            report = day.report
            figures = (report.tickets, report.opened, report.completed, report.commands)
            if figures != last:
                click.echo(
                    f"{now.astimezone(MOSCOW):%Y-%m-%d %H:%M:%S}: today {report.tickets} tickets, "
                    f"{report.opened} cases opened, {report.completed} completed, {report.commands} commands"
                )
                last = figures
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("live: stopped")
    return now


def _report(engine: Engine, timeline: Any, jobs: Any, elapsed: float, now: datetime) -> None:
    totals: Counter[str] = Counter()
    services: Counter[str] = Counter()
    messages: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    timers: Counter[str] = Counter()
    for simulated in timeline.days:
        report = simulated.report
        totals.update(
            opened=report.opened, completed=report.completed, commands=report.commands, acknowledged=report.acknowledged
        )
        timers.update(report.timers_fired)
        services.update(report.services)
        messages.update(report.messages_sent)
        refused.update(report.refused)
    _summary(engine, totals, services, messages, refused, elapsed)
    click.echo(
        f"agency gateways acknowledged {totals['acknowledged']} requests from the outbox; timers fired: "
        + (", ".join(f"{name} {count}" for name, count in timers.most_common()) or "none")
    )
    done = jobs.totals
    click.echo(
        f"service tasks: {done.completed} jobs done ("
        + ", ".join(f"{name} {count}" for name, count in sorted(done.by_connector.items()))
        + f"), {done.failed} failed attempts retried with backoff, {done.incidents} incidents "
        f"({done.retried} retried by a supervisor); notifications in the outbox: "
        + (", ".join(f"{k} {v}" for k, v in sorted(engine.notifications.count().items())) or "none")
    )
    _read_models(engine, now)
    if timeline.days:
        _waiting(engine, timeline.days[0].day, timeline.days[-1].day)
        _terms(engine, timeline.days[0].day, timeline.days[-1].day)
    _checkpoint(engine, now)


def _checkpoint(engine: Engine, at: datetime) -> None:
    """Leave the store-wide chain linked and signed, as the worker does, so an auditor can
    export a checkpoint of the demo right away."""
    assert engine.signer is not None
    made = engine.notary().checkpoint(engine.signer, at)
    if made is not None:
        click.echo(
            f"checkpoint {made.sequence} signed at notification {made.head} ({made.cases} cases, "
            f"{made.events} case events): `okno audit checkpoint --output FILE` saves it for an auditor"
        )


def _agencies(engine: Engine) -> Callable[[datetime], int]:
    """The demo's agencies: each morning they take every message the cases sent that
    nobody has acknowledged yet from the outbox and acknowledge it, as a real gateway
    would over GraphQL (whatever the message: new processes send new ones)."""
    from projections.outbox import unacknowledged
    from projections.reader import Reader

    projector = new_projector(engine)
    reader = Reader(projector)

    def pick_up(at: datetime) -> int:
        projector.catch_up()
        done = 0
        for sent in unacknowledged(reader):
            if datetime.fromisoformat(sent.sent_at) > at:
                continue  # sent later than this round (a store an earlier run left ahead of it)
            agency = sent.name.split("_")[0]
            try:
                engine.acknowledge_message(
                    sent.case_number,
                    sent.message,
                    f"{agency.upper()}-{sent.case_number}-{sent.message}",
                    actor=f"agency:{agency}",
                    at=at,
                )
                done += 1
            except OknoError:
                continue
        return done

    return pick_up


def _read_models(engine: Engine, now: datetime) -> None:
    from api.tracking import CLI_CLIENT, Tracking
    from projections.case_queries import cases
    from projections.reader import Reader

    projector = new_projector(engine)
    applied = projector.catch_up()
    lags = ", ".join(f"{s.name} at {s.position} (lag {s.lag})" for s in projector.status())
    click.echo(f"read models: {applied} new events applied; {lags}")
    reader = Reader(projector)
    sample = cases(reader, status="open", first=1).rows
    if sample:
        number = sample[0].number
        pin = engine.vault.pin(case_id_for(number))
        status = Tracking(engine, reader).track(number, pin, now, CLI_CLIENT)
        click.echo(
            f"a citizen tracking {number} with PIN {pin} sees: {status.stage} — {status.next_action} "
            f"(expected by {status.expected_completion})"
        )


def _waiting(engine: Engine, since: date, until: date) -> None:
    """The queue's figures for the simulated days (``until`` included), from the read model."""
    from projections.reception import waiting_figures

    reader = new_reader(engine)
    region = waiting_figures(reader, since, until, per_office=False)
    if not region:
        click.echo("queue: nobody was called to a window")
        return
    r = region[0]
    booked = f"{r.booked_within_cap / r.booked:.0%}" if r.booked else "—"
    click.echo(
        f"queue: {r.visits} visitors called to a window; waited median {r.median_wait_minutes} min, "
        f"90th percentile {r.p90_wait_minutes} min; {r.within_cap_share or 0:.0%} within 15 min "
        f"(booked visitors: {booked} of {r.booked} within 5 min); reception took a median "
        f"{r.median_service_minutes} min; visits ended: "
        + ", ".join(f"{outcome} {count}" for outcome, count in sorted(r.outcomes.items()))
    )
    offices = engine.directory().offices
    slowest = sorted(waiting_figures(reader, since, until), key=lambda f: f.within_cap_share or 0)[:3]
    click.echo(
        "longest waits: "
        + "; ".join(
            f"{offices[f.office or '']['name']} — {f.within_cap_share or 0:.0%} within the cap, median "
            f"{f.median_wait_minutes} min over {f.visits} visits"
            for f in slowest
        )
    )


def _terms(engine: Engine, since: date, until: date) -> None:
    """How the simulated days kept the regulated terms, from the cases read model."""
    from projections.queries import term_figures

    figures = term_figures(new_reader(engine), since, until)
    if not figures.completed:
        click.echo("terms: no case was completed")
        return
    click.echo(
        f"terms: {figures.on_time_share or 0:.1%} of {figures.completed} completed cases had their result ready "
        f"by the regulated deadline; {figures.overdue_open} open cases are past it with no result yet"
        + (
            "; the latest services: " + "; ".join(f"{code} {on_time}/{n}" for code, n, on_time in figures.late_services)
            if figures.late_services
            else ""
        )
    )


def _summary(
    engine: Engine,
    totals: Counter[str],
    services: Counter[str],
    messages: Counter[str],
    refused: Counter[str],
    elapsed: float,
) -> None:
    from projections.case_queries import case_counts, open_task_counts
    from projections.cases import CasesModel
    from projections.reader import Reader

    # From the cases read model: folding every open case again, as this did, took longer
    # at a week's volume than a simulated day.
    projector = new_projector(engine, [CasesModel()])
    projector.catch_up()
    reader = Reader(projector)
    status = case_counts(reader)
    tasks_by_office: Counter[str] = Counter()
    tasks_by_role: Counter[str] = Counter()
    for office, role, count in open_task_counts(reader):
        tasks_by_office[office] += count
        tasks_by_role[role or "-"] += count
    offices = engine.directory().offices
    click.echo("")
    click.echo(
        f"this run: {totals['opened']} cases opened, {totals['completed']} completed, "
        f"{totals['commands']} commands in {elapsed:.1f} s"
    )
    click.echo(
        f"store: {sum(status.values())} cases — {status.get('open', 0)} open, {status.get('completed', 0)} completed, "
        f"{status.get('withdrawn', 0)} withdrawn"
    )
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
