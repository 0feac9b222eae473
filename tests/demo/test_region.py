"""The Lipetsk region's network as shipped with the demo: at full size, whole, and with
the information terminals the `terminal` channel needs."""

from __future__ import annotations

import random
from collections import Counter

from engine.offices import Office, network_problems
from okno.demo.hall import booking_channel
from okno.demo.region import lipetsk_offices

DISTRICTS = {
    "Липецк",
    "Елец",
    "Воловский",
    "Грязинский",
    "Данковский",
    "Добринский",
    "Добровский",
    "Долгоруковский",
    "Елецкий",
    "Задонский",
    "Измалковский",
    "Краснинский",
    "Лебедянский",
    "Лев-Толстовский",
    "Липецкий",
    "Становлянский",
    "Тербунский",
    "Усманский",
    "Хлевенский",
    "Чаплыгинский",
}
# Codes stored cases and tests use: the network as it was before it grew.
FIRST_CENTRES: tuple[str, ...] = ("LPK", "ELC", "VOL", "GRZ", "DNK", "DBR", "DBV", "DLG", "ELR", "ZDN")
FIRST_CENTRES += ("IZM", "KRS", "LBD", "LVT", "LPR", "STN", "TRB", "USM", "HLV", "CPL")
FIRST_REMOTE = {
    "LBD": 5,
    "GRZ": 2,
    "LPR": 3,
    "USM": 2,
    "ZDN": 2,
    "DBR": 2,
    "CPL": 1,
    "DNK": 1,
    "ELR": 2,
    "TRB": 1,
    "KRS": 1,
}
FIRST_CODES = FIRST_CENTRES + tuple(f"{c}-T{n}" for c, count in FIRST_REMOTE.items() for n in range(1, count + 1))


def test_the_shipped_network_holds_together() -> None:
    offices = lipetsk_offices()
    assert network_problems(offices) == []  # codes unique, hours and windows valid, parents of their district
    assert len({o.name for o in offices}) == len(offices)


def test_one_centre_per_district_and_city_and_every_remote_office_in_a_district_with_a_centre() -> None:
    offices = lipetsk_offices()
    centres = Counter(o.district for o in offices if o.kind == "centre")
    assert set(centres) == DISTRICTS and set(centres.values()) == {1}
    remote = [o for o in offices if o.kind == "remote"]
    assert len(remote) >= 140
    by_district = Counter(o.district for o in remote)
    assert len(by_district) >= 19  # all 18 districts and the city of Lipetsk
    assert all(1 <= o.windows <= 2 for o in remote)


def test_the_first_offices_keep_their_codes() -> None:
    codes = {o.code for o in lipetsk_offices()}
    assert set(FIRST_CODES) <= codes


def test_small_remote_offices_keep_short_weeks_with_a_lunch_break() -> None:
    remote = [o for o in lipetsk_offices() if o.kind == "remote"]
    days_open = Counter(len(o.hours) for o in remote)
    assert days_open[2] >= 20 and days_open[3] >= 20 and days_open[5] >= 20
    assert all(len(spans) == 2 for o in remote for spans in o.hours.values())  # a lunch break every day


def test_terminals_are_in_the_offices_and_in_villages_without_one() -> None:
    offices = lipetsk_offices()
    assert all(o.terminals >= 1 for o in offices if o.kind == "centre")
    points = [o for o in offices if o.kind == "terminal"]
    assert len(points) >= 5
    assert all(not o.receives_visitors and o.parent for o in points)


def test_villagers_book_from_their_village_terminal_point() -> None:
    offices = {o.code: o for o in lipetsk_offices()}
    points = {"ZDN": ["ZDN-I1", "ZDN-I2"]}
    rng = random.Random(1)
    chosen = Counter(booking_channel(rng, offices["ZDN-T3"], points) for _ in range(400))
    assert {actor for channel, actor in chosen if channel == "terminal"} == {
        "ZDN-T3/terminal",
        "ZDN-I1/terminal",
        "ZDN-I2/terminal",
    }
    # Villagers use terminals more than the portal; a centre's visitors the other way round.
    by_channel = Counter(channel for channel, _ in chosen.elements())
    assert by_channel["terminal"] > by_channel["portal"] > by_channel["call_centre"] > 0
    lone = Office("X", "МФЦ без терминалов", "centre", "Липецк", 2)
    assert {c for c, _ in (booking_channel(rng, lone, {}) for _ in range(100))} == {"portal", "call_centre"}
