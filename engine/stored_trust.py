"""What a reader of a case's stored events can say of their trust without replaying them:
the hash link and the signature of each event, and the rows that are missing or do not
decode. Cheap (a hash and a signature check per event), so the auditors' history and
export check every case they show instead of showing a forged value as if it were true;
`okno audit verify` remains the full verdict (replay, snapshots, read models)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.integrity import GENESIS, chain_of, signature_problem
from engine.signing import KeyRing

DECODE = "the stored event cannot be decoded"
MISSING = "the event is missing (deleted)"
CHAIN = "the stored event does not match its hash chain (edited, deleted or reordered)"


def untrusted(events: Sequence[Any], undecodable: Sequence[tuple[int, str]], keys: KeyRing) -> dict[int, str]:
    """Each version of a case's history that cannot be trusted, with why (empty: every
    event links and its signature holds). ``events``: the decoded ones in order;
    ``undecodable``: (version, why) of the rows that do not decode."""
    problems: dict[int, str] = {version: f"{DECODE} ({why})" for version, why in undecodable}
    by_version = {event.originator_version: event for event in events}
    last = max([*by_version, *problems, 0])
    for version in range(1, last + 1):
        if version not in by_version and version not in problems:
            problems[version] = MISSING
    previous: Any = None
    for event in events:
        version = event.originator_version
        # An event after a missing or undecodable one has no known predecessor to link to:
        # the gap is already that version's problem.
        known = version == 1 or (previous is not None and previous.originator_version == version - 1)
        if known and chain_of(event, previous.chain if version > 1 else GENESIS) != event.chain:
            problems[version] = CHAIN
        else:
            signed = signature_problem(event, keys)
            if signed is not None:
                problems[version] = signed
        previous = event
    return dict(sorted(problems.items()))


def integrity_words(problems: dict[int, str]) -> str:
    """One line for a case's problems, for the XES attribute and the CLI's warnings."""
    return "failed: " + "; ".join(f"v{version}: {why}" for version, why in problems.items())
