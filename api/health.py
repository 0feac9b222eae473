"""The server's background refresher, supervised, and what /healthz says.

The refresher keeps the read models current between requests. It runs each round in a
worker thread, so a connection being re-made (up to the pool's timeout) never stalls
the event loop, and /healthz answers from what the rounds found without touching the
database itself: it stays quick and truthful while the database is away. A failed round
is retried with backoff (0.1 s doubling to 5 s); a round that works makes the server
current again.

Degraded (HTTP 503, each reason named): the last refresh failed (the error); no refresh
has worked for a while (a round stuck re-making its connection); read models hold parked
cases (`okno projections retry` after a fix).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.context import Services
from projections.parking import ParkedCase

REFRESH_SECONDS = 0.5
STALE_SECONDS = 3.0  # no refresh worked for this long (a round takes milliseconds): say so while it still tries


@dataclass(frozen=True)
class Health:
    status: str  # "ok" or "degraded"
    reasons: list[str]
    read_models: dict[str, dict[str, int]]
    parked: list[ParkedCase] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": self.reasons,
            "read_models": self.read_models,
            "parked": [
                {"model": c.model, "case": c.number or c.case_id, "position": c.position, "error": c.error}
                for c in self.parked[:20]
            ],
            "parked_count": len(self.parked),
        }


class Refresher:
    def __init__(
        self,
        services: Services,
        *,
        interval: float = REFRESH_SECONDS,
        stale: float = STALE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.interval, self.stale = interval, stale
        self._monotonic = monotonic
        self._refreshed_at = monotonic()  # start-up counts as fresh: the first round is under way
        self._read_models: dict[str, dict[str, int]] = {}
        self._parked: list[ParkedCase] = []
        self._stopping = asyncio.Event()

    async def run_forever(self) -> None:
        """Rounds until ``stop``. A round is never cancelled mid-way: its thread would go on
        using the store after the server closed it (a crash in SQLite's C code), so shutdown
        asks the loop to stop and waits for the round in hand to end."""
        while not self._stopping.is_set():
            try:
                current = await asyncio.to_thread(self.round)
            except Exception as error:  # never die silently: whatever it was, report it and go on
                self.services.refreshing.failed(error)
                current = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), self.interval if current else self.services.refreshing.delay()
                )

    def stop(self) -> None:
        self._stopping.set()

    def round(self) -> bool:
        """Refresh the read models and note their positions and parked cases: True when it all worked."""
        if not self.services.refresh(probe=True):
            return False
        try:
            status = self.services.projector.status()
            parked = self.services.projector.parked()
        except Exception as error:  # the store went away since the refresh: the next round tries again
            self.services.refreshing.failed(error)
            return False
        self._read_models = {s.name: {"position": s.position, "lag": s.lag} for s in status}
        self._parked = parked
        self._refreshed_at = self._monotonic()
        return True

    def health(self) -> Health:
        reasons = []
        supervision = self.services.refreshing
        if not supervision.healthy:
            reasons.append(
                f"the read models cannot be refreshed ({supervision.failures} failures in a row, "
                f"retrying): {supervision.reason}"
            )
        quiet = self._monotonic() - self._refreshed_at
        if quiet > self.stale:
            reasons.append(f"no refresh of the read models has worked for {quiet:.0f} s")
        by_model: dict[str, int] = {}
        for case in self._parked:
            by_model[case.model] = by_model.get(case.model, 0) + 1
        reasons += [
            f"read model {model}: {count} parked case{'s' if count != 1 else ''} (`okno projections retry` after a fix)"
            for model, count in sorted(by_model.items())
        ]
        return Health("degraded" if reasons else "ok", reasons, self._read_models, list(self._parked))
