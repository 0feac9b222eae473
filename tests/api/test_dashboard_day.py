"""An office's dashboard counts by the office's own today, as its work list and its
deadlines do: at half past one in the night in Lipetsk it is already the new day there,
though UTC still has yesterday."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import Server

DASHBOARD = 'query { office(id: "LPK") { dashboard { day } } }'


def test_the_dashboards_today_is_the_offices_own(server: Server) -> None:
    now = datetime.now(UTC)
    late_evening_utc = datetime.combine(now.date(), datetime.min.time(), UTC) + timedelta(hours=22, minutes=30)
    server.clock_offset[0] = late_evening_utc - now  # 01:30 the next day in Moscow time (UTC+3)
    day = server.run("supervisor", DASHBOARD, office="LPK")["office"]["dashboard"]["day"]
    assert day == (late_evening_utc + timedelta(hours=3)).date().isoformat()
