"""Signatures a database administrator cannot make: each event's chain hash (and each
snapshot's seal) is signed with Ed25519 by the writer's private key, which lives in a
key file outside the database (okno.bootstrap reads it; engine/ never reads files).
Auditors check with public keys alone. A key is named by its id, a fingerprint of its
public key, which every signed event records, so a rotation (a new key from some event
on) is visible in the history itself. Ed25519 is deterministic: the same chain signed
with the same key gives the same signature, so nothing random enters an event."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import OknoError


class SigningKeyError(OknoError):
    code = "configuration"


def key_id_of(public: Ed25519PublicKey) -> str:
    """A key's name: the first 16 hex digits of SHA-256 over its raw public bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def event_message(key_id: str, chain: str) -> bytes:
    """What an event's signature covers: its chain hash (which covers its content, its
    key id and, through the previous hash, everything before it) and the key's id."""
    return f"okno-event\0{key_id}\0{chain}".encode()


def snapshot_message(key_id: str, version: int, chain: str, digest: str) -> bytes:
    """What a snapshot's seal covers: the event it was taken at and its state's digest."""
    return f"okno-snapshot\0{key_id}\0{version}\0{chain}\0{digest}".encode()


@dataclass(frozen=True)
class PublicKey:
    key: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return key_id_of(self.key)

    def verifies(self, message: bytes, signature: str) -> bool:
        try:
            self.key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def pem(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @classmethod
    def from_pem(cls, data: bytes, where: str = "public key") -> PublicKey:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as error:
            raise SigningKeyError(f"{where} is not a PEM public key: {error}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{where} is not an Ed25519 public key")
        return cls(key)


class Signer:
    """The writer's private key, handed to the engine by the composition root."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = PublicKey(private.public_key())
        self.key_id = self.public.key_id

    @classmethod
    def from_pem(cls, data: bytes, where: str = "signing key") -> Signer:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise SigningKeyError(f"{where} is not an unencrypted PEM private key: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{where} is not an Ed25519 private key")
        return cls(key)

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        """From 32 bytes of entropy (engine.world draws them for a new key)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._private.sign(message)).decode("ascii")


class KeyRing:
    """The public keys a reader trusts, by key id: an auditor's (the files given to
    `okno audit verify --public-key`), or an engine's (its own signer's and the retired
    keys configured beside it)."""

    def __init__(self, keys: Iterable[PublicKey] = ()) -> None:
        self.keys = {key.key_id: key for key in keys}

    def knows(self, key_id: str) -> bool:
        return key_id in self.keys

    def verifies(self, key_id: str, message: bytes, signature: str) -> bool:
        key = self.keys.get(key_id)
        return key is not None and key.verifies(message, signature)
