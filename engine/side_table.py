"""A table of okno's own beside the event store's, on the same database: case keys,
notifications to send, revoked tokens. On PostgreSQL it lives in the store's schema."""

from __future__ import annotations

from typing import Any


class SideTable:
    """What every such table knows: its datastore, the driver's placeholder and its
    qualified name. Subclasses add the statements."""

    def __init__(self, datastore: Any, dialect: str, name: str) -> None:
        self._datastore = datastore
        self._dialect = dialect
        self._marker = "?" if dialect == "sqlite" else "%s"
        schema = getattr(datastore, "schema", "")
        self._table = f"{schema}.{name}" if dialect == "postgres" and schema else name
