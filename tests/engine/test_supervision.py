"""A supervised loop waits longer after each failure in a row (0.1 s doubling to 5 s) and
starts afresh after a round that works."""

from __future__ import annotations

from eventsourcing.persistence import OperationalError

from engine.supervision import REASON_CHARS, Supervision


def test_failures_in_a_row_back_off_from_a_tenth_of_a_second_to_five_and_a_success_resets() -> None:
    supervision = Supervision("worker")
    delays = [supervision.failed(OperationalError("terminating connection\nDETAIL: …")) for _ in range(9)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    assert not supervision.healthy and supervision.reason == "OperationalError: terminating connection"
    assert supervision.succeeded(), "the first success after failures is worth a log line"
    assert supervision.healthy and supervision.reason is None and not supervision.succeeded()
    assert supervision.failed(OperationalError("x" * 10_000)) == 0.1
    assert supervision.reason is not None and len(supervision.reason) == REASON_CHARS
