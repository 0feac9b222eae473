"""Signed checkpoints of the store-wide chain (engine.ledger): at a head notification id,
the ledger's link there, how many cases and events the log held, when, and by which key.
Each names the previous checkpoint's hash, so the checkpoints are a chain of their own,
and each is signed with the writer's key: an auditor who keeps one outside the database
(`okno audit checkpoint --output FILE`) can later prove that nothing before its head was
deleted, added or reordered (`okno audit verify --against FILE`).

``timestamp_token`` is room for an RFC 3161 time-stamp token (base64 DER) over the
checkpoint's hash, from a time-stamping authority the auditor trusts: it proves the
checkpoint existed by then even to someone who doubts the writer's clock. It is not
covered by the hash (a token is obtained after the hash exists) and okno does not yet
request or check one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from engine.bpmn.runtime import canonical
from engine.errors import OknoError
from engine.side_table import SideTable
from engine.signing import KeyRing, Signer

FORMAT = "okno-checkpoint/1"


class BadCheckpoint(OknoError):
    code = "validation"  # a file the auditor gave is not a checkpoint


@dataclass(frozen=True)
class Checkpoint:
    sequence: int  # 1, 2, ... in the order written
    head: int  # the last notification id it covers
    link: str  # the ledger's link at ``head``
    cases: int  # cases opened up to ``head``
    events: int  # case events up to ``head``
    notifications: int  # every notification up to ``head`` (case events and all others)
    at: str  # when it was written (ISO 8601, UTC)
    previous: str  # the previous checkpoint's hash ("" for the first)
    key: str  # the signing key's id
    hash: str = ""
    signature: str = ""
    timestamp_token: str | None = None  # RFC 3161, optional: see the module's note

    def content_hash(self) -> str:
        """SHA-256 over everything but the hash, the signature and the timestamp token."""
        body = {k: v for k, v in asdict(self).items() if k not in ("hash", "signature", "timestamp_token")}
        return hashlib.sha256(canonical({"format": FORMAT, **body}).encode("utf-8")).hexdigest()

    def signed(self, signer: Signer) -> Checkpoint:
        digest = self.content_hash()
        return replace(self, key=signer.key_id, hash=digest, signature=signer.sign(message(signer.key_id, digest)))

    def problem(self, keys: KeyRing) -> str | None:
        """Why this checkpoint cannot be trusted, or None when its hash and signature hold."""
        if self.content_hash() != self.hash:
            return f"checkpoint {self.sequence} (head {self.head}) was edited: its content does not hash to its hash"
        if not keys.knows(self.key):
            return f"checkpoint {self.sequence} is signed by key {self.key}, which is not among the trusted public keys"
        if not keys.verifies(self.key, message(self.key, self.hash), self.signature):
            return f"checkpoint {self.sequence} (head {self.head}): its signature does not verify with key {self.key}"
        return None

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "checkpoint") -> Checkpoint:
        try:
            data = json.loads(text)
            if data.pop("format", None) != FORMAT:
                raise ValueError(f"not an {FORMAT} file")
            checkpoint = cls(**data)
            int(checkpoint.head), int(checkpoint.sequence)
        except (ValueError, TypeError) as error:
            raise BadCheckpoint(f"{where} is not a checkpoint: {error}") from None
        return checkpoint


def message(key_id: str, digest: str) -> bytes:
    """What a checkpoint's signature covers."""
    return f"okno-checkpoint\0{key_id}\0{digest}".encode()


class Checkpoints(SideTable):
    """The checkpoints, appended one after another; a row is never updated."""

    def __init__(self, datastore: Any, dialect: str) -> None:
        super().__init__(datastore, dialect, "okno_checkpoints")

    def create(self) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (sequence BIGINT PRIMARY KEY, body TEXT NOT NULL)"
            )

    def append(self, checkpoint: Checkpoint) -> None:
        """Refused (primary key) when another notary wrote this sequence first."""
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (sequence, body) VALUES ({self._marker}, {self._marker})",
                (checkpoint.sequence, checkpoint.to_json()),
            )

    def latest(self) -> Checkpoint | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT body FROM {self._table} ORDER BY sequence DESC LIMIT 1")
            row = cursor.fetchone()
        return None if row is None else Checkpoint.from_json(_body(row))

    def all(self) -> list[Checkpoint]:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT body FROM {self._table} ORDER BY sequence")
            return [Checkpoint.from_json(_body(row)) for row in cursor.fetchall()]


def _body(row: Any) -> str:
    return str(row["body"] if isinstance(row, dict) else row[0])
