"""What `okno audit verify` prints from its verdicts: every failed case with its case
number, process version and the versions that fail; the cases recorded before signing
began; and which signing key signed which events, so a key rotation is visible."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from engine.replay import Verdict


@dataclass
class VerifyReport:
    verdicts: list[Verdict]
    unreadable: list[UUID]  # cases whose opening row does not decode, so their number is unknown
    # Cases whose read model is ahead of their events, or shows another status at the same
    # version (events deleted, or a read-model row edited): the words for each.
    read_model: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A store's signing began with its first signed event: an unsigned event after it
        # was not recorded before signing, whatever it says, so its case fails.
        starts = [use.first for verdict in self.verdicts for use in verdict.keys]
        self.signing_began: datetime | None = min(starts) if starts else None
        self.late_unsigned = {
            v.number
            for v in self.verdicts
            if v.ok
            and v.unsigned_until is not None
            and self.signing_began is not None
            and v.unsigned_until >= self.signing_began
        }

    @property
    def failed(self) -> int:
        return sum(1 for v in self.verdicts if self._failed(v)) + len(self.unreadable)

    def _failed(self, verdict: Verdict) -> bool:
        return not verdict.ok or verdict.number in self.late_unsigned or verdict.number in self.read_model

    @property
    def unsigned(self) -> int:
        return sum(1 for v in self.verdicts if v.status == "unsigned" and not self._failed(v))

    @property
    def verified(self) -> int:
        return sum(1 for v in self.verdicts if v.status == "verified" and not self._failed(v))

    def lines(self) -> list[str]:
        lines: list[str] = []
        for verdict in self.verdicts:
            if self._failed(verdict):
                lines.append(f"{verdict.number}{_version(verdict)}: failed")
            lines += _failures(verdict)
            if verdict.number in self.read_model:
                lines.append(f"{verdict.number}: {self.read_model[verdict.number]}")
            if verdict.number in self.late_unsigned:
                lines.append(
                    f"{verdict.number}: unsigned events recorded after signing began "
                    f"({self.signing_began.isoformat() if self.signing_began else '?'})"
                )
            elif verdict.status == "unsigned":
                versions = verdict.unsigned
                lines.append(
                    f"{verdict.number}: unsigned (recorded before signing), "
                    f"v{versions[0]}" + (f"–v{versions[-1]}" if len(versions) > 1 else "")
                )
        for case_id in self.unreadable:
            lines.append(f"case id {case_id}: its opening event cannot be decoded, so its number is unknown")
        lines += self.key_lines()
        return lines

    def key_lines(self) -> list[str]:
        """One line per signing key, in the order the keys began: a rotation is a second line."""
        uses: dict[str, tuple[int, datetime, datetime]] = {}
        for verdict in self.verdicts:
            for use in verdict.keys:
                count, first, last = uses.get(use.key, (0, use.first, use.last))
                uses[use.key] = (count + use.events, min(first, use.first), max(last, use.last))
        return [
            f"signed by key {key}: {count} events, {first.isoformat()} to {last.isoformat()}"
            for key, (count, first, last) in sorted(uses.items(), key=lambda item: item[1][1])
        ]


def _version(verdict: Verdict) -> str:
    return f" (process version {verdict.process_version})" if verdict.process_version else ""


def _failures(verdict: Verdict) -> list[str]:
    where = verdict.number
    lines = [
        f"{where} v{version}: the stored event does not match its hash chain (edited, deleted or reordered)"
        for version in verdict.broken
    ]
    lines += [
        f"{where} v{version} {kind}: effects differ{': ' + error if error else ''}"
        for version, kind, error in verdict.divergences
    ]
    lines += [f"{where}: version {gap} is missing" for gap in verdict.gaps]
    lines += [f"{where}{f' v{version}' if version else ''}: {problem}" for version, problem in verdict.problems]
    return lines


def read_model_disagreement(verdict: Verdict, version: int, status: str) -> str | None:
    """What is wrong when the cases read model (``version``, ``status``) cannot have come
    from the case's stored events: it has seen events the store no longer holds, or shows
    another status at the same version. A read model behind the events is only lagging."""
    if version > verdict.last_version or (version == verdict.last_version and status != verdict.status_now):
        return (
            f"the read model shows version {version}, {status}; the events end at version "
            f"{verdict.last_version}, {verdict.status_now} (events deleted or the read model edited)"
        )
    return None
