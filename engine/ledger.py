"""The store-wide chain: every stored event linked in the order of the notification log.

A case's own chain (engine.integrity) cannot tell that its last events, or the whole
case, were deleted: what is left still links. The ledger links each notification, in
order, to the one before: ``link`` is SHA-256 over the previous link, the notification
id, the originator and version and the event's own chain hash (empty for events that
have none). The notary (engine.notary) follows the log, appends a row per notification
and signs checkpoints over the link at a head; a row deleted, added or moved before that
head, in any case, changes every link after it.

The ledger's rows are also the memory of what was there: when the recomputed chain no
longer reaches a checkpoint, the rows say which notification (which case, which version)
went missing or moved. An administrator may edit them too, but not the signed checkpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from engine.side_table import SideTable

GENESIS = ""


def ledger_link(previous: str, notification_id: int, originator_id: str, version: int, chain: str) -> str:
    """The link of one notification: it covers the whole log before it, through ``previous``."""
    text = f"okno-ledger\0{previous}\0{notification_id}\0{originator_id}\0{version}\0{chain}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One notification as the ledger records it. ``case`` is the case number for a case
    event (so a deleted case can still be named), empty for any other event."""

    notification_id: int
    originator_id: str
    version: int
    chain: str
    case: str
    link: str

    def describes(self) -> str:
        what = f"case {self.case} v{self.version}" if self.case else f"{self.originator_id} v{self.version}"
        return f"notification {self.notification_id} ({what})"


class Ledger(SideTable):
    """The ledger's rows: appended by the notary, never updated."""

    def __init__(self, datastore: Any, dialect: str) -> None:
        super().__init__(datastore, dialect, "okno_ledger")

    def create(self) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (notification_id BIGINT PRIMARY KEY, "
                "originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, chain TEXT NOT NULL, "
                "case_number TEXT NOT NULL, link TEXT NOT NULL)"
            )
            # A case's number is looked up by its opening row (engine.notary.CaseNames).
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS okno_ledger_by_originator ON {self._table} "
                "(originator_id, originator_version)"
            )

    def head(self) -> Entry | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"{self._select()} ORDER BY notification_id DESC LIMIT 1")
            row = cursor.fetchone()
        return None if row is None else _entry(row)

    def entries(self, after: int = 0, limit: int = 1000) -> list[Entry]:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"{self._select()} WHERE notification_id > {self._marker} ORDER BY notification_id LIMIT {int(limit)}",
                (after,),
            )
            return [_entry(row) for row in cursor.fetchall()]

    def count_between(self, after: int, upto: int) -> int:
        """Rows with ``after`` < notification id <= ``upto``."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {self._table} WHERE notification_id > {self._marker} "
                f"AND notification_id <= {self._marker}",
                (after, upto),
            )
            row = cursor.fetchone()
        return int(next(iter(row.values())) if isinstance(row, dict) else row[0])

    def case_of(self, originator_id: str) -> str:
        """The case number the ledger recorded at a case's opening (empty if none)."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT case_number FROM {self._table} WHERE originator_id = {self._marker} "
                "AND originator_version = 1",
                (originator_id,),
            )
            row = cursor.fetchone()
        return "" if row is None else str(row["case_number"] if isinstance(row, dict) else row[0])

    def append(self, entries: list[Entry]) -> None:
        """Append in one transaction. Two notaries racing: the second one's rows collide on
        the primary key and its whole batch is refused (the caller starts again from the head)."""
        if not entries:
            return
        m = self._marker
        with self._datastore.transaction(commit=True) as cursor:
            for entry in entries:
                cursor.execute(
                    f"INSERT INTO {self._table} (notification_id, originator_id, originator_version, chain, "
                    f"case_number, link) VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
                    (entry.notification_id, entry.originator_id, entry.version, entry.chain, entry.case, entry.link),
                )

    def _select(self) -> str:
        return f"SELECT notification_id, originator_id, originator_version, chain, case_number, link FROM {self._table}"


def _entry(row: Any) -> Entry:
    values = list(row.values()) if isinstance(row, dict) else list(row)
    return Entry(int(values[0]), str(values[1]), int(values[2]), str(values[3]), str(values[4]), str(values[5]))
