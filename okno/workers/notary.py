"""The worker's notary round: link what the log gained into the store-wide chain, and
sign a checkpoint every so many events or minutes (engine.notary)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from eventsourcing.persistence import IntegrityError

from engine.application import Engine
from engine.checkpoints import Checkpoint


@dataclass(frozen=True)
class CheckpointPolicy:
    every_events: int = 1000  # notifications linked since the latest checkpoint
    every_minutes: float = 10.0  # or this long since it, if anything was linked
    at_end: bool = False  # `okno worker --once`: a checkpoint whenever anything is new

    def due(self, linked: int, latest: Checkpoint | None, now: datetime) -> bool:
        if linked == 0:
            return False
        if self.at_end or latest is None or linked >= self.every_events:
            return True
        return now - datetime.fromisoformat(latest.at) >= timedelta(minutes=self.every_minutes)


def notarise(engine: Engine, policy: CheckpointPolicy, now: datetime) -> tuple[int, Checkpoint | None]:
    """How many notifications were linked this round, and the checkpoint signed, if one was."""
    notary = engine.notary()
    try:
        linked = notary.follow()
        since, latest = notary.since_checkpoint()
        if engine.signer is None or not policy.due(since, latest, now):
            return linked, None
        return linked, notary.checkpoint(engine.signer, now)
    except IntegrityError:  # another worker's notary linked or signed the same rows first
        return 0, None
