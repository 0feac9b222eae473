"""Background work that outlives a lost connection: a loop that records why its last
round failed and waits longer after each failure in a row (0.1 s doubling to 5 s), so a
database that went away is retried soon but never hammered, and is picked up again
within seconds of coming back. The loops themselves (the server's refresher, `okno
worker`) sleep; this only decides how long, so engine/ still reads no clock."""

from __future__ import annotations

from dataclasses import dataclass

FIRST_DELAY = 0.1
MOST_DELAY = 5.0
REASON_CHARS = 240  # an error's text in a log line or /healthz: its cause, never a whole payload


@dataclass
class Supervision:
    name: str
    first: float = FIRST_DELAY
    most: float = MOST_DELAY
    failures: int = 0  # rounds failed in a row
    reason: str | None = None  # why the last round failed; None once one succeeds

    @property
    def healthy(self) -> bool:
        return self.failures == 0

    def succeeded(self) -> bool:
        """Record a round that worked; True when it ends a run of failures (worth a log line)."""
        recovered = self.failures > 0
        self.failures, self.reason = 0, None
        return recovered

    def failed(self, error: BaseException) -> float:
        """Record a failed round; the seconds to wait before the next."""
        self.failures += 1
        self.reason = describe(error)
        return self.delay()

    def delay(self) -> float:
        return min(self.most, self.first * 2.0 ** max(self.failures - 1, 0))


def describe(error: BaseException) -> str:
    """One line naming the error: its type and the first line of its message, cut short."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"
