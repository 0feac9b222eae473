"""How often one client tried a case number's PIN: the lockout behind a citizen's `track`.

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

from projections.base import transaction

TABLE = "okno_track_attempts"
LEGACY_TABLE = "okno_pin_attempts"  # one counter per number: it locked the citizen out too


@dataclass(frozen=True)
class Window:
    """The client's attempts on one number in the window that began at ``started``."""

    attempts: int
    started: datetime


class PinAttempts:
    def __init__(self, datastore: Any, dialect: str, window: timedelta) -> None:
        self.datastore, self.dialect, self.window = datastore, dialect, window

    def create(self) -> None:
        with transaction(self.datastore, self.dialect, commit=True) as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (client TEXT NOT NULL, number TEXT NOT NULL, "
                       "window_start TEXT NOT NULL, attempts INTEGER NOT NULL, PRIMARY KEY (client, number))")
            db.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_window ON {TABLE} (window_start)")
            db.execute(f"DROP TABLE IF EXISTS {LEGACY_TABLE}")

    def count(self, client: str, number: str, now: datetime) -> Window:
        """Record one attempt and say how many the client made in its current window (a
        window older than ``self.window`` starts again at one)."""
        moment, expired = _stamp(now), _stamp(now - self.window)
        with transaction(self.datastore, self.dialect, commit=True) as db:
            [row] = db.rows(
                f"INSERT INTO {TABLE} (client, number, window_start, attempts) VALUES (?, ?, ?, 1) "
                f"ON CONFLICT (client, number) DO UPDATE SET "
                f"attempts = CASE WHEN {TABLE}.window_start <= ? THEN 1 ELSE {TABLE}.attempts + 1 END, "
                f"window_start = CASE WHEN {TABLE}.window_start <= ? THEN excluded.window_start "
                f"ELSE {TABLE}.window_start END "
                f"RETURNING attempts, window_start", (client, number, moment, expired, expired))
        if row["attempts"] == 1:
            # A new window: the stale windows of every client go, so the table holds only what
            # can still lock someone out. In a transaction of its own: holding this row's lock
            # while waiting for others' could deadlock with another process doing the same.
            with transaction(self.datastore, self.dialect, commit=True) as db:
                db.execute(f"DELETE FROM {TABLE} WHERE window_start <= ?", (expired,))
        return Window(int(row["attempts"]), datetime.fromisoformat(row["window_start"]))

    def forget(self, client: str, number: str) -> None:
        """The client gave the right PIN: its count starts again."""
        with transaction(self.datastore, self.dialect, commit=True) as db:
            db.execute(f"DELETE FROM {TABLE} WHERE client = ? AND number = ?", (client, number))


def _stamp(moment: datetime) -> str:
    """One fixed-width UTC form, so that comparing the text compares the times."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
