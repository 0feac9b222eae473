"""`okno slots`, `okno queue` and `okno waiting`: reception as an office's staff and
managers see it from a terminal, read from the read models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import click

from engine import world
from okno.bootstrap import new_projector, open_engine
from projections.reader import Reader


@contextmanager
def _reader() -> Iterator[Reader]:
    with open_engine() as engine:
        projector = new_projector(engine)
        projector.catch_up()
        yield Reader(projector)


def _today(reader: Reader, office: str) -> date:
    from projections.reception import office_today

    return office_today(reader, office, world.now())


@click.command("slots", help="Free booking slots for a service at an office.")
@click.option("--office", required=True)
@click.option("--service", required=True)
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="The first day (default: today).")
@click.option("--days", default=1, show_default=True, type=click.IntRange(1, 31))
def slots_command(office: str, service: str, day: datetime | None, days: int) -> None:
    from projections.reception import slots

    with _reader() as reader:
        first = day.date() if day else _today(reader, office)
        found = slots(reader, office, service, first, first + timedelta(days=days - 1), world.now())
        if not found:
            click.echo(f"no free slots for {service} at {office}")
        for slot in found:
            click.echo(f"{slot.id}  {slot.start:%Y-%m-%d %H:%M}–{slot.end:%H:%M}  window {slot.window}")


@click.command("queue", help="An office's live queue: who waits, who is at which window.")
@click.option("--office", required=True)
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Default: today in the office's time zone.")
def queue_command(office: str, day: datetime | None) -> None:
    from projections.reception import live_queue

    with _reader() as reader:
        view = live_queue(reader, office, day.date() if day else _today(reader, office))
        click.echo(
            f"{office} {view.day}: {len(view.waiting)} waiting, {len(view.serving)} at windows, {view.done} visits done"
        )
        for ticket in view.serving:
            click.echo(f"  {ticket['number']} → window {ticket['window_no']}  ({ticket['service']})")
        for ticket in view.waiting:
            click.echo(f"  {ticket['number']}  waiting since {ticket['arrived_at'][11:16]}  ({ticket['service']})")


@click.command("waiting", help="How long visitors waited against the 15-minute cap (5 with a booking).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--office")
def waiting_command(since: datetime, until: datetime, office: str | None) -> None:
    from projections.reception import waiting_figures

    with _reader() as reader:
        figures = waiting_figures(reader, since.date(), until.date(), office)
        if not figures:
            click.echo("nobody was called to a window in that period")
        for f in figures:
            booked = f"{f.booked_within_cap}/{f.booked}" if f.booked else "—"
            click.echo(
                f"{f.office}: {f.visits} visits, {f.within_cap_share or 0:.0%} within the cap "
                f"(booked {booked} within 5 min), median wait {f.median_wait_minutes} min, "
                f"90th percentile {f.p90_wait_minutes} min, median reception {f.median_service_minutes} min"
            )
