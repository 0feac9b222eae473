"""The outside world: the one module allowed to read the wall clock and the OS's
entropy. Everything else in engine/ takes time and ids as arguments, which ruff's
banned-api rule checks (see pyproject.toml); the composition roots (CLI, API, worker)
pass these in."""

from __future__ import annotations

import base64
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from engine.errors import OknoError
from engine.signing import PublicKey, Signer


class MasterKeyError(OknoError):
    code = "configuration"


def now() -> datetime:
    return datetime.now(UTC)


def entropy(size: int) -> bytes:
    return os.urandom(size)


def stopwatch() -> float:
    return time.perf_counter()


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def master_key(environ: dict[str, str] | None = None) -> bytes:
    """``OKNO_MASTER_KEY`` (base64 of 32 bytes), else the key file ``OKNO_KEY_FILE``
    (default ``okno.key`` in the working directory), created on first use so the
    embedded default needs no configuration."""
    environ = dict(os.environ) if environ is None else environ
    encoded = environ.get("OKNO_MASTER_KEY")
    if encoded:
        return _decode(encoded, "OKNO_MASTER_KEY")
    path = Path(environ.get("OKNO_KEY_FILE") or "okno.key")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(entropy(32)).decode("ascii") + "\n")
    return _decode(path.read_text().strip(), str(path))


def _decode(encoded: str, where: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise MasterKeyError(f"{where} is not base64") from None
    if len(key) != 32:
        raise MasterKeyError(f"{where} must hold 32 bytes (base64), it holds {len(key)}")
    return key


SIGNING_KEY_FILE = "okno-signing.key"


def signing_key(environ: dict[str, str] | None = None) -> Signer:
    """The writer's Ed25519 key: the PEM file ``OKNO_SIGNING_KEY`` (default
    ``okno-signing.key`` in the working directory, created on first use like the master
    key). It must live outside the database: whoever holds it can sign history."""
    environ = dict(os.environ) if environ is None else environ
    path = Path(environ.get("OKNO_SIGNING_KEY") or SIGNING_KEY_FILE)
    if not path.exists():
        write_signing_key(path)
    return Signer.from_pem(path.read_bytes(), str(path))


def write_signing_key(path: Path) -> Signer:
    """A new private key in ``path`` (never overwriting one), readable by its owner only."""
    signer = Signer.from_seed(entropy(32))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(signer.pem())
    return signer


def retired_keys(environ: dict[str, str] | None = None) -> list[PublicKey]:
    """``OKNO_PUBLIC_KEYS``: public key files (separated like PATH) of the keys the writer
    signed with before its current one, so cases signed before a rotation still load."""
    environ = dict(os.environ) if environ is None else environ
    names = [name for name in (environ.get("OKNO_PUBLIC_KEYS") or "").split(os.pathsep) if name]
    return [PublicKey.from_pem(Path(name).read_bytes(), name) for name in names]
