"""Personal values in a case's record, sealed under the case's own key (issue 18).

A process version names its personal variables: the form fields marked ``personal`` and
the message payload properties marked ``"x-personal": true`` in its message contracts.
Wherever a value under one of those names appears in what a case records — the input of
an event (task data, opening data, message payloads) and its effects (messages sent, the
data they carry) — it is stored as a token ``{"$sealed": "…"}``: AES-256-GCM under the
case's data key (engine.personal_data), the same key the applicant's fields use, so
deleting that one key (shredding) makes every copy unreadable.

The seal is deterministic (its nonce is derived from the key and the value, as in SIV
modes): replaying an input reproduces the recorded effects byte for byte, and a retry's
input is recognised by its fingerprint. Equal values in one case give equal tokens; across
cases (other keys) they do not. The workflow runs on the plain values: a command seals
what it records; loading a case unseals the inputs before they are replayed.

After shredding, nothing opens: the case is read as recorded (engine.case_steps), its
hash chain still checked, its effects with tokens in place of the personal values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.bpmn.library import CompiledProcess
from engine.errors import OknoError

SEALED_KEY = "$sealed"  # the one key of a sealed value's object


class SealedValueError(OknoError):
    code = "personal_data"


def personal_names(process: CompiledProcess) -> frozenset[str]:
    """The variable names a process version declares personal (forms and message contracts)."""
    names = {f.id.split(".")[-1] for e in process.elements.values() for f in e.fields if f.personal}
    names |= {f.id.split(".")[-1] for e in process.elements.values() if e.form for f in e.form.fields if f.personal}
    for contract in process.contracts:
        names |= set(_schema_personal(contract.schema))
    return frozenset(names)


def _schema_personal(schema: Any) -> Iterable[str]:
    if not isinstance(schema, dict):
        return
    for name, spec in (schema.get("properties") or {}).items():
        if isinstance(spec, dict):
            if spec.get("x-personal") is True:
                yield name
            yield from _schema_personal(spec)
    yield from _schema_personal(schema.get("items"))


def is_token(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(SEALED_KEY), str)


def holds_tokens(tree: Any) -> bool:
    if is_token(tree):
        return True
    if isinstance(tree, dict):
        return any(holds_tokens(v) for v in tree.values())
    if isinstance(tree, list):
        return any(holds_tokens(v) for v in tree)
    return False


def mentions(tree: Any, names: frozenset[str]) -> bool:
    """Whether a value under a personal name (not None, not sealed) is in ``tree``."""
    if isinstance(tree, dict):
        return any(
            (key in names and value is not None and not is_token(value)) or mentions(value, names)
            for key, value in tree.items()
        )
    if isinstance(tree, list):
        return any(mentions(item, names) for item in tree)
    return False


class FieldSeal:
    """Seals and opens personal values of one case with its data key."""

    def __init__(self, case_id: UUID, data_key: bytes) -> None:
        self._case_id = case_id
        self._aead = AESGCM(data_key)
        self._nonce_key = hmac.new(data_key, b"okno-sealed-field-nonce", hashlib.sha256).digest()

    def seal_value(self, value: Any) -> dict[str, str]:
        plain = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        nonce = hmac.new(self._nonce_key, plain, hashlib.sha256).digest()[:12]
        sealed = nonce + self._aead.encrypt(nonce, plain, self._case_id.bytes)
        return {SEALED_KEY: base64.b64encode(sealed).decode("ascii")}

    def open_value(self, token: dict[str, str]) -> Any:
        raw = base64.b64decode(token[SEALED_KEY])
        try:
            plain = self._aead.decrypt(raw[:12], raw[12:], self._case_id.bytes)
        except InvalidTag:
            raise SealedValueError(f"a sealed value of case {self._case_id} does not open with its key") from None
        return json.loads(plain)

    def seal(self, tree: Any, names: frozenset[str]) -> Any:
        """``tree`` with every value under a personal name sealed (already sealed ones kept)."""
        if not names:
            return tree
        if isinstance(tree, dict):
            return {
                key: (
                    value
                    if is_token(value)
                    else self.seal_value(value)
                    if key in names and value is not None
                    else self.seal(value, names)
                )
                for key, value in tree.items()
            }
        if isinstance(tree, list):
            return [self.seal(item, names) for item in tree]
        return tree

    def open(self, tree: Any) -> Any:
        """``tree`` with every sealed value opened."""
        if is_token(tree):
            return self.open_value(tree)
        if isinstance(tree, dict):
            return {key: self.open(value) for key, value in tree.items()}
        if isinstance(tree, list):
            return [self.open(item) for item in tree]
        return tree
