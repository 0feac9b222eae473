"""Measurements that run in several processes at once, each with its own engine and
connections (what two cores can do): spawn them, let them start together at a barrier,
collect what each reports."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from engine.store import StoreConfig


def in_processes(target: Callable[..., None], config: StoreConfig, parts: list[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(config, *part, barrier, results)`` in one spawned process per part and
    return what each put on ``results``; a worker that reports a text (its error) fails the
    measurement. Workers never create tables: the caller has."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(parts))
    results: Any = context.Queue()
    settled = StoreConfig(config.url, {**config.env, "CREATE_TABLE": "n"})
    workers = [context.Process(target=target, args=(settled, *part, barrier, results)) for part in parts]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
    errors = [r for r in reports if isinstance(r, str)]
    if errors:
        raise RuntimeError(errors[0])
    return reports
