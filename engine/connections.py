"""PostgreSQL connections that die while idle in the pool are dropped before anyone uses them.

What a lost connection does to okno without this (measured with ``pg_terminate_backend``
on eventsourcing 9.5 and psycopg_pool 3.3): the pool hands out a connection whose
server is gone; it learns so only from the failed statement, and discards the connection
when it comes back (its state is "unknown"). The library's recorder methods retry such a
failure (10 times, 0.2 s apart), but every statement of our own on the datastore
(read models, case keys, the outbox, the runner's page) fails once per dead connection
in the pool: five failures in a row after one burst.

A pool ``check`` callback runs on every checkout. The usual check is a round trip (an
empty query) on every checkout; ours costs one ``poll`` instead: an idle connection in
autocommit has nothing to hear from the server, so a readable socket means the server
said goodbye (PostgreSQL sends its FATAL "terminating connection" and closes) — only then
is a round trip spent to be sure. A dead one means its siblings idle beside it were most
likely cut off too (a restart, a failover, an administrator's burst): the pool is drained,
so they are all replaced at once instead of failing one by one.
"""

from __future__ import annotations

import select
import weakref
from typing import Any

import psycopg


def discard_broken_connections(datastore: Any) -> None:
    """Install the check on an eventsourcing PostgresDatastore's pool."""
    pool = datastore.pool
    # psycopg_pool takes the check only as a constructor argument, and the library builds
    # the pool itself (with an always-round-trip check, or none): set the attribute the
    # constructor sets. Fail loudly if a new psycopg_pool renames it.
    if not hasattr(pool, "_check"):
        raise RuntimeError("psycopg_pool.ConnectionPool has no _check: update engine/connections.py")

    owner = weakref.ref(pool)  # the pool holds the check: no cycle back to it

    def check(connection: psycopg.Connection[Any]) -> None:
        if connection.closed or connection.broken:
            raise psycopg.OperationalError("the connection is closed")
        if not _readable(connection):
            return
        try:
            connection.execute("")
        except psycopg.Error:
            cut_off = owner()
            if cut_off is not None:
                cut_off.drain()  # its idle siblings were most likely cut off with it
            raise

    pool._check = check


def _readable(connection: psycopg.Connection[Any]) -> bool:
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no poll() here, or no socket: ask the server
        return True
