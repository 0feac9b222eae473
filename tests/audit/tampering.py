"""What an administrator with database access can do to the stored rows: read, rewrite,
delete events and snapshots by SQL, and recompute a case's hash chain with okno's own code
(he has everything but the writer's private key)."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any
from uuid import UUID

from engine.application import Engine
from engine.case import case_id_for
from engine.integrity import GENESIS, link
from engine.signing import Signer, event_message
from tests.commands import okno_here
from tests.conftest import FIXTURES, MASTER_KEY, SIGNING_KEY

PUBLIC_KEY = FIXTURES / "signing.pub"
NEXT_KEY, NEXT_PUBLIC_KEY = FIXTURES / "signing-next.key", FIXTURES / "signing-next.pub"
# The administrator's own key: he can sign, but no auditor holds its public key.
FORGER = Signer.from_seed(b"an administrator's own key, 32 b")


class Tables:
    """Raw access to the events and snapshots tables, as someone with database access has."""

    def __init__(self, engine: Engine) -> None:
        self.datastore: Any = engine.store.recorder.datastore  # type: ignore[attr-defined]
        self.postgres = engine.config.is_postgres
        self.mark = "%s" if self.postgres else "?"
        self.events = self._table(engine.store.recorder.events_table_name)  # type: ignore[attr-defined]
        assert engine.store.snapshots is not None
        self.snapshots = self._table(engine.store.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]

    def _table(self, name: str) -> str:
        return f"{self.datastore.schema}.{name}" if self.postgres else name

    def _id(self, originator: str | UUID) -> Any:
        uuid = originator if isinstance(originator, UUID) else case_id_for(originator)
        return uuid if self.postgres else uuid.hex

    def blob(self, originator: str | UUID, version: int, table: str | None = None) -> bytes:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT state FROM {table or self.events} WHERE originator_id = {self.mark} "
                f"AND originator_version = {self.mark}",
                (self._id(originator), version),
            )
            row = cursor.fetchone()
        assert row is not None, f"no row for {originator} v{version}"
        return bytes(row["state"] if isinstance(row, dict) else row[0])

    def put_blob(self, originator: str | UUID, version: int, blob: bytes, table: str | None = None) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"UPDATE {table or self.events} SET state = {self.mark} WHERE originator_id = {self.mark} "
                f"AND originator_version = {self.mark}",
                (blob, self._id(originator), version),
            )

    def read(self, originator: str | UUID, version: int, table: str | None = None) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(zlib.decompress(self.blob(originator, version, table)))
        return state

    def write(self, originator: str | UUID, version: int, state: dict[str, Any], table: str | None = None) -> None:
        self.put_blob(originator, version, zlib.compress(json.dumps(state, separators=(",", ":")).encode()), table)

    def delete(self, number: str, version: int) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self.events} WHERE originator_id = {self.mark} AND originator_version = {self.mark}",
                (self._id(number), version),
            )

    def rechain(self, number: str, versions: int, signer: Signer | None = None) -> None:
        """Recompute the chain of a case's events 1..``versions`` from what they now say,
        with okno's own code; re-sign with ``signer`` (the forger's key) or keep the old
        signatures."""
        previous = GENESIS
        for version in range(1, versions + 1):
            state = self.read(number, version)
            opened = (
                {k: state[k] for k in ("number", "service", "office", "channel", "process_version", "applicant")}
                if version == 1
                else None
            )
            key = signer.key_id if signer else state.get("key")
            state["key"] = key
            state["chain"] = link(
                previous,
                version=version,
                kind=_kind(self, number, version),
                timestamp=_timestamp(state),
                actor=state["actor"],
                input=state["input"],
                effects=state["effects"],
                idempotency_key=state["idempotency_key"],
                opened=opened,
                key=key,
            )
            if signer is not None:
                state["signature"] = signer.sign(event_message(signer.key_id, state["chain"]))
            self.write(number, version, state)
            previous = state["chain"]


def _kind(tables: Tables, number: str, version: int) -> str:
    with tables.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT topic FROM {tables.events} WHERE originator_id = {tables.mark} "
            f"AND originator_version = {tables.mark}",
            (tables._id(number), version),
        )
        row = cursor.fetchone()
    topic = str(row["topic"] if isinstance(row, dict) else row[0])
    return topic.rsplit(".", 1)[-1]


def _timestamp(state: dict[str, Any]) -> Any:
    from datetime import datetime

    stamp = state["timestamp"]
    return datetime.fromisoformat(stamp["_data_"] if isinstance(stamp, dict) else stamp)


def audit(url: str, cwd: Path, *args: str) -> Any:
    """`okno audit ARGS` (or any okno command) on the store at ``url``, signing with the
    tests' key as the writer does."""
    return okno_here(
        *args,
        cwd=cwd,
        env={
            "OKNO_DATABASE_URL": url,
            "OKNO_MASTER_KEY": base64.b64encode(MASTER_KEY).decode(),
            "OKNO_SIGNING_KEY": str(SIGNING_KEY),
        },
    )
