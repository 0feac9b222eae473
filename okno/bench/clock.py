"""Timing helpers. The benchmark is a composition root: it reads the wall clock (through
engine.world) to time the engine, never to drive it."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from engine.world import stopwatch

__all__ = ["percentile", "rate", "stopwatch"]


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0 < p < 100), by statistics.quantiles' inclusive method."""
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[max(0, min(98, round(p) - 1))]


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")
