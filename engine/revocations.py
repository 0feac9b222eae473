"""Revoked bearer tokens: a table on the event store's own database, so every server
process sees a revocation made by `okno token revoke` anywhere.

A row names a token by its id (the JWT's ``jti``) and keeps it until the token would
have expired anyway: after that the signature check refuses it without help, so old
rows are left out of every read and can be dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.side_table import SideTable


class RevokedTokens(SideTable):
    def __init__(self, datastore: Any, dialect: str) -> None:
        super().__init__(datastore, dialect, "okno_revoked_tokens")

    def create(self) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (token_id TEXT PRIMARY KEY, "
                "expires_at TEXT NOT NULL, revoked_at TEXT NOT NULL, revoked_by TEXT NOT NULL)"
            )

    def revoke(self, token_id: str, expires_at: datetime, at: datetime, by: str) -> bool:
        """Record the revocation; False when the token was already revoked (the first stays)."""
        m = self._marker
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (token_id, expires_at, revoked_at, revoked_by) "
                f"VALUES ({m}, {m}, {m}, {m}) ON CONFLICT (token_id) DO NOTHING RETURNING token_id",
                (token_id, _text(expires_at), _text(at), by),
            )
            return bool(cursor.fetchall())

    def current(self, now: datetime) -> frozenset[str]:
        """The ids of revoked tokens that have not yet expired: few (a token lives hours), so
        a verifier can hold them all and ask again after a short while."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT token_id FROM {self._table} WHERE expires_at > {self._marker}", (_text(now),))
            return frozenset(str(row["token_id"] if isinstance(row, dict) else row[0]) for row in cursor.fetchall())

    def forget_expired(self, now: datetime) -> int:
        """Drop the rows of tokens that have expired since (their signature check refuses them)."""
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self._table} WHERE expires_at <= {self._marker} RETURNING token_id", (_text(now),)
            )
            return len(cursor.fetchall())


def _text(at: datetime) -> str:
    # One zone and one format, so text order is time order.
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
