"""The notary: it follows the notification log, links each notification into the ledger
(engine.ledger) and writes signed checkpoints (engine.checkpoints).

Why a follower and not the writer at commit: the writer would have to read the previous
link inside its own transaction, which serialises every writer on one row. The log
already has an order every reader agrees on (the eventsourcing library's PostgreSQL
recorder takes a table lock while it inserts, so notification ids become visible in
order; SQLite has one writer), and following it after the fact is deterministic: the
same log gives the same ledger, whichever process follows it. Two notaries racing
collide on the ledger's and the checkpoints' primary keys; the loser's batch is refused
and it starts again from the head it then finds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import MapperDeserialisationError

from engine.case import Case
from engine.checkpoints import Checkpoint, Checkpoints
from engine.ledger import GENESIS, Entry, Ledger, ledger_link
from engine.signing import Signer

PAGE = 1000


@dataclass(frozen=True)
class Noted:
    """One notification as the log holds it now (before linking)."""

    notification_id: int
    originator_id: str
    version: int
    chain: str
    case: str


class CaseNames:
    """Case numbers by originator id: from the openings seen, else the ledger's memory."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._known: dict[str, str] = {}

    def note(self, originator_id: str, number: str) -> None:
        self._known[originator_id] = number

    def of(self, originator_id: str) -> str:
        if originator_id not in self._known:
            self._known[originator_id] = self._ledger.case_of(originator_id)
        return self._known[originator_id]


def read_log(store: Any, names: CaseNames, after: int = 0, upto: int | None = None) -> Iterator[Noted]:
    """Every notification after ``after`` (up to ``upto``), in order, with its event's
    chain hash. A row that does not decode is noted by a hash of its stored bytes, so
    damage done to it later still shows."""
    start = after + 1
    while True:
        batch = store.recorder.select_notifications(start, PAGE, stop=upto)
        for notification in batch:
            originator = str(notification.originator_id)
            chain, case = "", ""
            try:
                event = store.mapper.to_domain_event(notification)
            except MapperDeserialisationError:
                chain = "undecodable:" + hashlib.sha256(bytes(notification.state)).hexdigest()
                case = names.of(originator)
            else:
                if isinstance(event, Case.Event):
                    chain = event.chain
                    if isinstance(event, Case.Opened):
                        names.note(originator, event.number)
                    case = names.of(originator)
            yield Noted(notification.id, originator, notification.originator_version, chain, case)
        if len(batch) < PAGE:
            return
        start = batch[-1].id + 1


def link_all(noted: Iterator[Noted], previous: str = GENESIS) -> Iterator[Entry]:
    for item in noted:
        previous = ledger_link(previous, item.notification_id, item.originator_id, item.version, item.chain)
        yield Entry(item.notification_id, item.originator_id, item.version, item.chain, item.case, previous)


@dataclass
class Tally:
    cases: int = 0
    events: int = 0
    notifications: int = 0

    def add(self, entry: Entry) -> None:
        self.notifications += 1
        if entry.case:
            self.events += 1
            if entry.version == 1:
                self.cases += 1


class Notary:
    def __init__(self, store: Any, ledger: Ledger, checkpoints: Checkpoints) -> None:
        self.store = store
        self.ledger = ledger
        self.checkpoints = checkpoints

    def follow(self, limit: int = 10 * PAGE) -> int:
        """Link up to ``limit`` new notifications into the ledger; how many were linked."""
        head = self.ledger.head()
        after, previous = (head.notification_id, head.link) if head else (0, GENESIS)
        names = CaseNames(self.ledger)
        entries: list[Entry] = []
        for entry in link_all(read_log(self.store, names, after), previous):
            entries.append(entry)
            if len(entries) >= limit:
                break
        for start in range(0, len(entries), PAGE):
            self.ledger.append(entries[start : start + PAGE])
        return len(entries)

    def since_checkpoint(self) -> tuple[int, Checkpoint | None]:
        """Notifications linked since the latest checkpoint, and that checkpoint."""
        latest = self.checkpoints.latest()
        head = self.ledger.head()
        if head is None:
            return 0, latest
        return self.ledger.count_between(latest.head if latest else 0, head.notification_id), latest

    def checkpoint(self, signer: Signer, at: datetime) -> Checkpoint | None:
        """Sign a checkpoint at the ledger's head (after following the log to its end);
        None when nothing was linked since the latest one."""
        while self.follow():
            pass
        head = self.ledger.head()
        latest = self.checkpoints.latest()
        if head is None or (latest is not None and latest.head >= head.notification_id):
            return None
        tally = Tally(latest.cases, latest.events, latest.notifications) if latest else Tally()
        after = latest.head if latest else 0
        while True:
            page = self.ledger.entries(after, PAGE)
            for entry in page:
                if entry.notification_id > head.notification_id:
                    break
                tally.add(entry)
            if len(page) < PAGE or page[-1].notification_id >= head.notification_id:
                break
            after = page[-1].notification_id
        checkpoint = Checkpoint(
            sequence=(latest.sequence + 1) if latest else 1,
            head=head.notification_id,
            link=head.link,
            cases=tally.cases,
            events=tally.events,
            notifications=tally.notifications,
            at=at.astimezone(UTC).isoformat(),
            previous=latest.hash if latest else "",
            key=signer.key_id,
        ).signed(signer)
        self.checkpoints.append(checkpoint)
        return checkpoint
