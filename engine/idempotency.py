"""Idempotency keys belong to the caller who sent them.

A key names one request of one caller (the actor the API passes: "LPK/subject",
"integrator/subject"): the same key from another caller is another request, never an
answer to the first. So what an aggregate remembers of a key is the pair (caller, key),
and the number of a case opened under a key is a keyed function of (caller, office, key)
with a secret derived from the installation's master key, which the database never
holds: a retry lands on the same case, and nobody can compute another caller's number
from a key they guessed. HMAC is deterministic, so engine/ stays so.
"""

from __future__ import annotations

import hashlib
import hmac
import json

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def request_id(actor: str, key: str) -> str:
    """What an aggregate remembers one caller's key under. A digest, since keys are client
    text; JSON keeps the pair unambiguous whatever either part contains."""
    pair = json.dumps([actor, key], ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(pair).hexdigest()[:32]


def number_token(value: int) -> str:
    """Ten Crockford base-32 characters (50 bits): readable aloud, no I/O/L/U."""
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(10))


class CaseNumbers:
    """Numbers for cases opened under an idempotency key."""

    def __init__(self, master_key: bytes) -> None:
        self._secret = hmac.new(master_key, b"okno-case-numbers-from-keys", hashlib.sha256).digest()

    def for_key(self, actor: str, office: str, key: str) -> str:
        request = json.dumps([actor, office, key], ensure_ascii=False).encode("utf-8", "surrogatepass")
        digest = hmac.new(self._secret, request, hashlib.sha256).digest()
        return f"{office}-{number_token(int.from_bytes(digest[:8], 'big'))}"
