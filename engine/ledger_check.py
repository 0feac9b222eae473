"""Checking the store-wide chain: the log recomputed into links, compared with the ledger's
rows (which name what was there: a deleted, inserted or moved notification, by its case
and version), with the ledger's own links, and with signed checkpoints: the stored ones
(their own chain and signatures) and one an auditor kept outside (``against``), whose
link and counts the log up to its head must reproduce. Notifications after a
checkpoint's head are checked for continuity with the ledger only. One pass over the
log and the ledger, in notification order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.checkpoints import Checkpoint
from engine.ledger import GENESIS, Entry, Ledger, ledger_link
from engine.notary import PAGE, CaseNames, Tally, link_all, read_log
from engine.signing import KeyRing

MOST_FINDINGS = 50  # a store rewritten wholesale says so in a page, not a million lines


@dataclass
class LedgerVerdict:
    findings: list[str] = field(default_factory=list)
    more: int = 0  # findings left out beyond MOST_FINDINGS
    notifications: int = 0
    linked: int = 0  # ledger rows read
    checkpoints: int = 0  # stored checkpoints whose signature held
    against: Checkpoint | None = None

    def found(self, words: str) -> None:
        if len(self.findings) < MOST_FINDINGS:
            self.findings.append(words)
        else:
            self.more += 1

    @property
    def failed(self) -> bool:
        return bool(self.findings)


def check_store(
    store: Any, ledger: Ledger, stored: list[Checkpoint], keys: KeyRing, against: Checkpoint | None = None
) -> LedgerVerdict:
    verdict = LedgerVerdict(against=against)
    anchors: list[tuple[str, Checkpoint]] = []
    if against is not None:
        problem = against.problem(keys)
        if problem is not None:
            verdict.found(f"the kept checkpoint cannot be trusted: {problem}")
        else:
            anchors.append(("the kept checkpoint", against))
    previous: Checkpoint | None = None
    for checkpoint in stored:
        expected = previous.sequence + 1 if previous else 1
        if checkpoint.sequence != expected:
            verdict.found(f"stored checkpoints {expected}..{checkpoint.sequence - 1} are missing (deleted)")
        if previous is not None and checkpoint.previous != previous.hash:
            verdict.found(
                f"stored checkpoint {checkpoint.sequence} does not name checkpoint {previous.sequence}'s hash "
                "as its previous (the checkpoints' chain is broken)"
            )
        problem = checkpoint.problem(keys)
        if problem is not None:
            verdict.found(f"stored {problem}")
        else:
            verdict.checkpoints += 1
            anchors.append((f"stored checkpoint {checkpoint.sequence}", checkpoint))
        previous = checkpoint
    if against is not None and stored and against.sequence <= stored[-1].sequence:
        twin = next((c for c in stored if c.sequence == against.sequence), None)
        if twin is None or twin.hash != against.hash:
            verdict.found(f"the kept checkpoint {against.sequence} is not among the stored checkpoints (replaced)")
    _compare(store, ledger, anchors, verdict)
    return verdict


@dataclass
class _At:
    link: str
    tally: Tally


def _compare(store: Any, ledger: Ledger, anchors: list[tuple[str, Checkpoint]], verdict: LedgerVerdict) -> None:
    names = CaseNames(ledger)
    heads = sorted({checkpoint.head for _, checkpoint in anchors})
    at: dict[int, _At] = {}
    tally = Tally()
    link = GENESIS
    recorded = _ledger_rows(ledger)
    row = next(recorded, None)
    row_previous = GENESIS
    ledger_head = ledger.head()
    last_linked = ledger_head.notification_id if ledger_head else 0

    def reach(upto: int) -> None:
        """Record the chain's state for every head before ``upto``."""
        while heads and heads[0] < upto:
            at[heads.pop(0)] = _At(link, Tally(tally.cases, tally.events, tally.notifications))

    def check_row(entry: Entry) -> None:
        nonlocal row_previous
        verdict.linked += 1
        if ledger_link(row_previous, entry.notification_id, entry.originator_id, entry.version, entry.chain) != (
            entry.link
        ):
            verdict.found(f"ledger row of {entry.describes()} does not link to the row before it (edited)")
        row_previous = entry.link

    for noted in link_all(read_log(store, names)):
        reach(noted.notification_id)
        while row is not None and row.notification_id < noted.notification_id:
            check_row(row)
            verdict.found(f"{row.describes()} is in the ledger but missing from the log (deleted)")
            row = next(recorded, None)
        if row is not None and row.notification_id == noted.notification_id:
            check_row(row)
            if (row.originator_id, row.version, row.chain) != (noted.originator_id, noted.version, noted.chain):
                verdict.found(
                    f"notification {row.notification_id}: the ledger recorded {_what(row)}, the log now holds "
                    f"{_what(noted)} (moved, replaced or edited)"
                )
            row = next(recorded, None)
        elif noted.notification_id <= last_linked:
            verdict.found(f"{noted.describes()} is in the log but not in the ledger (inserted, or its row deleted)")
        link = noted.link
        tally.add(noted)
        verdict.notifications += 1
    while row is not None:
        reach(row.notification_id)
        check_row(row)
        verdict.found(f"{row.describes()} is in the ledger but missing from the log (deleted)")
        row = next(recorded, None)
    reach(2**63)
    for name, checkpoint in anchors:
        now = at[checkpoint.head]
        if now.link == checkpoint.link and now.tally == Tally(
            checkpoint.cases, checkpoint.events, checkpoint.notifications
        ):
            continue
        verdict.found(
            f"{name} (sequence {checkpoint.sequence}, head notification {checkpoint.head}, written {checkpoint.at}): "
            f"the log up to its head no longer reproduces it (truncated, deleted, inserted or reordered): it "
            f"counted {checkpoint.cases} cases, {checkpoint.events} case events, {checkpoint.notifications} "
            f"notifications; the log now holds {now.tally.cases}, {now.tally.events}, {now.tally.notifications}"
        )


def _what(item: Entry) -> str:
    return f"case {item.case} v{item.version}" if item.case else f"{item.originator_id} v{item.version}"


def _ledger_rows(ledger: Ledger) -> Iterator[Entry]:
    after = 0
    while True:
        page = ledger.entries(after, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].notification_id
