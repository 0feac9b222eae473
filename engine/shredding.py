"""Crypto-shredding a case: what makes every copy of its personal data unreadable.

The events stay (they are the record, linked by the hash chain); what goes is the case's
key, under which the applicant's fields, the personal form and message values of its
events, its outbox payloads and notification recipients are sealed (engine.personal_data,
engine.sealed_fields), and the case's snapshots, which hold the workflow's state in clear
(they are conveniences: the case is rebuilt from its events, as recorded). A booking's
contact was moved under the case's key when the case opened from it (engine.reception_desk).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID


def delete_snapshots(recorder: Any, dialect: str, case_id: UUID) -> None:
    """Delete a case's snapshots from the store's snapshot table (the library's recorder)."""
    table = recorder.events_table_name
    if dialect == "postgres":
        schema = getattr(recorder.datastore, "schema", "")
        table = f"{schema}.{table}" if schema else table
        statement, key = f"DELETE FROM {table} WHERE originator_id = %s", case_id
    else:  # the library's SQLite recorder keys events by the id's hex
        statement, key = f"DELETE FROM {table} WHERE originator_id = ?", case_id.hex  # type: ignore[assignment]
    with recorder.datastore.transaction(commit=True) as cursor:
        if dialect == "sqlite":
            cursor.execute(SECURE_DELETE)
        cursor.execute(statement, (key,))


# SQLite leaves a deleted row's bytes in the file's free pages until they are reused;
# this has them overwritten with zeros (the connection keeps it on: later deletes of
# keys and snapshots are shredding too). PostgreSQL keeps dead rows until VACUUM, which
# the operator's retention job runs after shredding (docs: ARCHITECTURE.md, Personal data).
SECURE_DELETE = "PRAGMA secure_delete = ON"
