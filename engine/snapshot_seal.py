"""A case snapshot is a convenience, never a source of truth: the writer seals each one
(the version and chain hash of the signed event it was taken at, and a digest of its
state, signed with the writer's key), and loading uses a snapshot only when its seal holds
and the signed events up to it link; otherwise the case is derived from its events.
`okno audit verify` ignores snapshots for its verdicts and reports the ones whose seal
does not hold."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from engine.signing import KeyRing, Signer, snapshot_message

SEAL = "okno_seal"  # the key of the seal in a snapshot's state; never an attribute of a Case


def state_digest(state: dict[str, Any]) -> str:
    """SHA-256 over a snapshot's state (without its seal). ``default=str`` writes the
    datetimes and ids the same before storing and after reading back."""
    content = json.dumps({k: v for k, v in state.items() if k != SEAL}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def seal(state: dict[str, Any], version: int, signer: Signer) -> dict[str, Any]:
    chain = str(state["chain"])
    digest = state_digest(state)
    return {
        "version": version,
        "chain": chain,
        "digest": digest,
        "key": signer.key_id,
        "signature": signer.sign(snapshot_message(signer.key_id, version, chain, digest)),
    }


def seal_problem(snapshot: Any, keys: KeyRing, event: Any | None) -> str | None:
    """Why a case snapshot cannot be trusted, or None. ``event`` is the stored event at the
    snapshot's version (None when there is none)."""
    found = snapshot.state.get(SEAL)
    if not isinstance(found, dict):
        return "it carries no seal (taken before signing began)"
    version = snapshot.originator_version
    try:
        key, chain, digest, signature = (str(found[k]) for k in ("key", "chain", "digest", "signature"))
    except KeyError:
        return "its seal is incomplete"
    if found.get("version") != version or chain != snapshot.state.get("chain"):
        return "its seal names another version or chain than the snapshot holds"
    if digest != state_digest(snapshot.state):
        return "its state does not match its seal's digest (edited)"
    if not keys.verifies(key, snapshot_message(key, version, chain, digest), signature):
        return f"its seal's signature does not verify with a trusted key (key {key})"
    if event is None or event.originator_version != version:
        return f"the event it was taken at (version {version}) is missing"
    if event.chain != chain:
        return f"it names a chain hash that version {version}'s stored event does not carry"
    return None
