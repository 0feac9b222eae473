"""How often one client tried a case number's PIN: the lockout behind a citizen's `track`,
a side table of the store that the edge (api.tracking) writes before it reads a case.

Attempts are counted per CLIENT and number, so a stranger guessing PINs locks out only
himself, never the citizen tracking the same case from elsewhere. An attempt is counted
BEFORE its PIN is checked, in one statement (INSERT … ON CONFLICT DO UPDATE … RETURNING):
the database serialises concurrent attempts on the row, so however many server processes
answer one client, no more than the limit of PINs is checked in one window. A read then a
write would let each process check its own handful.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.side_table import SideTable

TABLE = "okno_track_attempts"
LEGACY_TABLE = "okno_pin_attempts"  # one counter per number: it locked the citizen out too


@dataclass(frozen=True)
class Window:
    """The client's attempts on one number in the window that began at ``started``."""

    attempts: int
    started: datetime


class PinAttempts(SideTable):
    def __init__(self, datastore: Any, dialect: str, window: timedelta) -> None:
        super().__init__(datastore, dialect, TABLE)
        self.window = window
        self._legacy = self._table.removesuffix(TABLE) + LEGACY_TABLE

    def create(self) -> None:
        table = self._table
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (client TEXT NOT NULL, number TEXT NOT NULL, "
                "window_start TEXT NOT NULL, attempts INTEGER NOT NULL, PRIMARY KEY (client, number))"
            )
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_window ON {table} (window_start)")
            cursor.execute(f"DROP TABLE IF EXISTS {self._legacy}")

    def count(self, client: str, number: str, now: datetime) -> Window:
        """Record one attempt and say how many the client made in its current window (a
        window older than ``self.window`` starts again at one)."""
        moment, expired = _stamp(now), _stamp(now - self.window)
        table, m = self._table, self._marker
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {table} (client, number, window_start, attempts) VALUES ({m}, {m}, {m}, 1) "
                f"ON CONFLICT (client, number) DO UPDATE SET "
                f"attempts = CASE WHEN {table}.window_start <= {m} THEN 1 ELSE {table}.attempts + 1 END, "
                f"window_start = CASE WHEN {table}.window_start <= {m} THEN excluded.window_start "
                f"ELSE {table}.window_start END "
                f"RETURNING attempts, window_start",
                (client, number, moment, expired, expired),
            )
            attempts, started = _values(cursor.fetchone())
        if attempts == 1:
            # A new window: the stale windows of every client go, so the table holds only what
            # can still lock someone out. In a transaction of its own: holding this row's lock
            # while waiting for others' could deadlock with another process doing the same.
            with self._datastore.transaction(commit=True) as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE window_start <= {m}", (expired,))
        return Window(int(attempts), datetime.fromisoformat(started))

    def forget(self, client: str, number: str) -> None:
        """The client gave the right PIN: its count starts again."""
        m = self._marker
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self._table} WHERE client = {m} AND number = {m}", (client, number))


def _values(row: Any) -> list[Any]:
    return list(row.values()) if isinstance(row, dict) else list(row)


def _stamp(moment: datetime) -> str:
    """One fixed-width UTC form, so that comparing the text compares the times."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
