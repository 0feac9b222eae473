"""How an engine locks the events table when it runs as the writer role of `okno migrate
--writer` (okno.store_roles sets the roles up).

The eventsourcing library takes ``LOCK TABLE … IN EXCLUSIVE MODE`` on the events table
before every insert (so readers of the notification log never miss a late commit), and
PostgreSQL lets only a role that may UPDATE, DELETE or TRUNCATE the table take that lock.
The writer may do none of those; the administrator owns ``LOCK_FUNCTION``, a SECURITY
DEFINER function that takes exactly that lock, and the writer may execute it. The lock is
the same, held to the end of the same transaction: only who is allowed to take it differs.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

LOCK_FUNCTION = "okno_lock_events"


def lock_as_connected_role(recorder: Any) -> bool:
    """If the store's role may not lock the events table itself, make ``recorder`` (the
    library's PostgreSQL application recorder) take the lock through ``LOCK_FUNCTION``.
    True when it did. One query, when an engine starts."""
    datastore = recorder.datastore
    table = sql.Identifier(datastore.schema, recorder.events_table_name).as_string()
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT has_table_privilege(%s, 'UPDATE') AS may_lock", (table,))
        row = cursor.fetchone()
    may_lock = bool(row["may_lock"] if isinstance(row, dict) else row[0])
    if may_lock:
        return False
    recorder.lock_table_statements = [
        sql.SQL("SET LOCAL lock_timeout = '{0}s'").format(datastore.lock_timeout),
        sql.SQL("SELECT {}()").format(sql.Identifier(datastore.schema, LOCK_FUNCTION)),
    ]
    return True
