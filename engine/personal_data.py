"""Personal data of applicants, sealed with a key per case (envelope encryption).

The applicant's fields are encrypted with a data key of their own; the data key is
stored wrapped by the installation's master key in ``okno_case_keys``, outside the event
log. Deleting that row (retention, a citizen's request) makes the personal fields
unreadable for good while every event stays in place and verifiable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import OknoError
from engine.sealed_fields import FieldSeal
from engine.side_table import SideTable

Entropy = Callable[[int], bytes]
SEALED_FIELDS = (
    "full_name",
    "document",
    "phone",
    "email",
    "birth_date",
    "snils",
    "passport_series",  # the Russian internal passport; other documents stay in `document`
    "passport_number",
)


class PersonalDataError(OknoError):
    code = "personal_data"


class KeyTable(SideTable):
    """The per-case key table on whichever datastore the event store uses."""

    def __init__(self, datastore: Any, dialect: str) -> None:
        super().__init__(datastore, dialect, "okno_case_keys")

    def create(self) -> None:
        key_type = "BLOB" if self._dialect == "sqlite" else "BYTEA"
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (case_id TEXT PRIMARY KEY, wrapped {key_type} NOT NULL)"
            )

    def put_if_absent(self, case_id: UUID, wrapped: bytes) -> bytes:
        m = self._marker
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (case_id, wrapped) VALUES ({m}, {m}) ON CONFLICT (case_id) DO NOTHING",
                (str(case_id), wrapped),
            )
            cursor.execute(f"SELECT wrapped FROM {self._table} WHERE case_id = {m}", (str(case_id),))
            row = cursor.fetchone()
        return bytes(row["wrapped"] if isinstance(row, dict) else row[0])

    def get(self, case_id: UUID) -> bytes | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT wrapped FROM {self._table} WHERE case_id = {self._marker}", (str(case_id),))
            row = cursor.fetchone()
        if row is None:
            return None
        return bytes(row["wrapped"] if isinstance(row, dict) else row[0])

    def delete(self, case_id: UUID) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            if self._dialect == "sqlite":
                cursor.execute("PRAGMA secure_delete = ON")  # the wrapped key's bytes are zeroed, not freed
            cursor.execute(f"DELETE FROM {self._table} WHERE case_id = {self._marker}", (str(case_id),))


@dataclass(frozen=True)
class Sealed:
    """An applicant's fields sealed for a case not yet saved, with the case's data key
    (wrapped) when the store has none yet: nothing is written until :meth:`Vault.keep`."""

    case_id: UUID
    fields: dict[str, str]
    wrapped: bytes | None  # None: the case's key row is already stored and was used
    data_key: bytes = field(default=b"", repr=False)  # in memory only: seals the opening's personal values

    def field_seal(self) -> FieldSeal:
        return FieldSeal(self.case_id, self.data_key)


class Vault:
    def __init__(self, keys: KeyTable, master_key: bytes, entropy: Entropy) -> None:
        if len(master_key) != 32:
            raise PersonalDataError("the master key must be 32 bytes (base64 in OKNO_MASTER_KEY)")
        self._keys = keys
        self._master = AESGCM(master_key)
        self._pin_key = hmac.new(master_key, b"okno-pin-key", hashlib.sha256).digest()
        self._entropy = entropy

    def seal(self, case_id: UUID, applicant: dict[str, str]) -> dict[str, str]:
        """Seal fields under the case's key, storing a new key first if it has none."""
        sealed = self.seal_new(case_id, applicant)
        if not self.keep(sealed):  # another writer stored the case's key meanwhile: use theirs
            sealed = self.seal_new(case_id, applicant)
        return sealed.fields

    def seal_new(self, case_id: UUID, applicant: dict[str, str], *, drawn: bool = False) -> Sealed:
        """Seal an applicant for a case being decided, writing nothing: a command refused
        after this leaves no key row behind. A key row already there (a retry's earlier
        attempt that lost a race) is used, so the case's fields open with it. ``drawn``:
        the case id was just drawn at random, so no row can be there and none is read."""
        check_fields(applicant)
        wrapped = None if drawn else self._keys.get(case_id)
        if wrapped is None:
            nonce, data_key = self._entropy(12), self._entropy(32)
            fresh = nonce + self._master.encrypt(nonce, data_key, case_id.bytes)
            return Sealed(case_id, self._encrypt(case_id, data_key, applicant), fresh, data_key)
        data_key = self._unwrap(case_id, wrapped)
        return Sealed(case_id, self._encrypt(case_id, data_key, applicant), None, data_key)

    def keep(self, sealed: Sealed) -> bool:
        """Store a newly sealed case's key: the last step before its first event is saved.
        False when another writer stored a different key for the case first: the fields
        sealed here would not open, so the command must be decided again."""
        if sealed.wrapped is None:
            return True
        return self._keys.put_if_absent(sealed.case_id, sealed.wrapped) == sealed.wrapped

    def _encrypt(self, case_id: UUID, data_key: bytes, applicant: dict[str, str]) -> dict[str, str]:
        nonce = self._entropy(12)
        plain = json.dumps(applicant, sort_keys=True, ensure_ascii=False).encode("utf-8")
        sealed = AESGCM(data_key).encrypt(nonce, plain, case_id.bytes)
        return {"alg": "AES-256-GCM", "nonce": _b64(nonce), "ciphertext": _b64(sealed)}

    def unseal(self, case_id: UUID, sealed: dict[str, str]) -> dict[str, str] | None:
        """The applicant's fields, or None when the case's key has been shredded."""
        wrapped = self._keys.get(case_id)
        if wrapped is None:
            return None
        data_key = self._unwrap(case_id, wrapped)
        try:
            plain = AESGCM(data_key).decrypt(
                base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]), case_id.bytes
            )
        except (InvalidTag, KeyError, ValueError):
            raise PersonalDataError(f"personal data of case {case_id} does not decrypt") from None
        result: dict[str, str] = json.loads(plain)
        return result

    def field_seal(self, case_id: UUID) -> FieldSeal | None:
        """What seals and opens the case's personal form and message values (engine.sealed_fields),
        or None when the case's key has been shredded (or it never had one)."""
        wrapped = self._keys.get(case_id)
        return None if wrapped is None else FieldSeal(case_id, self._unwrap(case_id, wrapped))

    def pin(self, case_id: UUID) -> str:
        """The citizen's 6-digit PIN for tracking a case: derived from the master key and
        the case id, so it is never stored and a receipt can be reprinted."""
        digest = hmac.new(self._pin_key, b"okno-pin:" + case_id.bytes, hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"

    def check_pin(self, case_id: UUID, pin: str) -> bool:
        return hmac.compare_digest(self.pin(case_id), pin)

    def shred(self, case_id: UUID) -> None:
        self._keys.delete(case_id)

    def _unwrap(self, case_id: UUID, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(wrapped[:12], wrapped[12:], case_id.bytes)
        except InvalidTag:
            raise PersonalDataError(
                "a case key does not open with this master key: is OKNO_MASTER_KEY the one this database was made with?"
            ) from None


def check_fields(applicant: dict[str, str]) -> None:
    unknown = sorted(set(applicant) - set(SEALED_FIELDS))
    if unknown:
        raise PersonalDataError(f"unknown applicant fields: {', '.join(unknown)}; known: {', '.join(SEALED_FIELDS)}")
    if not all(isinstance(v, str) for v in applicant.values()):
        raise PersonalDataError("applicant fields are texts")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
