"""Replay: rebuild a case from its inputs alone and check, event by event, that every
recorded effect is reproduced exactly. This is what an auditor's verify runs, and what
the recorded histories under tests/ are replayed with on every run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from engine.bpmn.runtime import LiveCase, canonical
from engine.case import Case
from engine.case_status import OPEN, status_after
from engine.case_steps import CaseSteps
from engine.commands import Command, StartCase, input_from_dict
from engine.errors import OknoError
from engine.integrity import broken_links, signature_problem
from engine.signing import KeyRing


@dataclass(frozen=True)
class Recorded:
    """One recorded event, as stored or as checked in under tests/histories/."""

    version: int
    kind: str
    timestamp: datetime
    input: dict[str, Any]
    effects: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "kind": self.kind,
            "timestamp": self.timestamp.isoformat(),
            "input": self.input,
            "effects": self.effects,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recorded:
        return cls(
            data["version"], data["kind"], datetime.fromisoformat(data["timestamp"]), data["input"], data["effects"]
        )

    @classmethod
    def of(cls, event: Case.Event) -> Recorded:
        return cls(event.originator_version, type(event).__name__, event.timestamp, event.input, event.effects)


@dataclass(frozen=True)
class EventCheck:
    version: int
    kind: str
    reproduced: bool
    recorded: dict[str, Any]
    replayed: dict[str, Any] | None
    error: str | None = None


@dataclass
class CaseReplay:
    number: str
    checks: list[EventCheck] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    # The first version whose personal values are sealed under a shredded key: from it on
    # the inputs cannot be run again, so the events stand as recorded, checked by the hash
    # chain alone (engine.sealed_fields). None: every event was replayed.
    shredded_from: int | None = None

    @property
    def ok(self) -> bool:
        replayed = bool(self.checks) or self.shredded_from is not None
        return not self.gaps and replayed and all(check.reproduced for check in self.checks)

    def divergences(self) -> list[EventCheck]:
        return [check for check in self.checks if not check.reproduced]


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    kind: str
    timestamp: datetime
    actor: str
    input: dict[str, Any]
    effects: dict[str, Any]
    data_change: dict[str, Any]  # {"set": {name: value}, "removed": [name]}


def history(steps: CaseSteps, events: Iterable[Case.Event]) -> list[HistoryEntry]:
    """Every event of a case with the change it made to the case data (by replaying it
    on ``steps``, an engine's library and runtime)."""
    events = list(events)
    if not events or not isinstance(events[0], Case.Opened):
        return []
    first = events[0]
    process = steps.library.get(first.process_version)
    # The data changes show personal values sealed, as the events record them (reading
    # them in clear is reading the applicant's data: recorded, engine.access_log).
    names = steps.personal(first.process_version)
    seal = steps.field_seal(first.originator_id) if names else None
    records, _ = opened_records(steps, events)
    entries: list[HistoryEntry] = []
    state: str | None = None
    before: dict[str, Any] = {}
    for event in events:
        if len(entries) >= len(records):  # shredded: the rest stands as recorded
            entries.append(
                HistoryEntry(
                    event.originator_version,
                    type(event).__name__,
                    event.timestamp,
                    event.actor,
                    event.input,
                    event.effects,
                    {"set": {}, "removed": []},
                )
            )
            continue
        step_input = input_from_dict(records[len(entries)].input)
        if isinstance(step_input, StartCase):
            step = steps.runtime.start(process, event.originator_id, event.timestamp, step_input)
        else:
            assert state is not None
            step = steps.runtime.apply(process, event.originator_id, state, event.timestamp, step_input)
        state = step.state
        after = step.data if step.data or not before else before
        changed = {k: v for k, v in after.items() if before.get(k, _MISSING) != v}
        change = {
            "set": seal.seal(changed, names) if seal is not None else changed,
            "removed": sorted(k for k in before if k not in after),
        }
        entries.append(
            HistoryEntry(
                event.originator_version,
                type(event).__name__,
                event.timestamp,
                event.actor,
                event.input,
                event.effects,
                change,
            )
        )
        before = after
    return entries


_MISSING = object()


@dataclass(frozen=True)
class KeyUse:
    """Which key signed which events of a case: a rotation shows as a second key whose
    first event comes after the first key's last."""

    key: str
    events: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class Verdict:
    """What `okno audit verify` says of one case: plain data, so a worker process can hand
    it back. A case is verified (``ok`` and nothing unsigned), unsigned (sound, but some of
    its events were recorded before signing began, so no key vouches for them), or failed
    (``ok`` is False: each reason is listed)."""

    number: str
    ok: bool
    broken: tuple[int, ...]  # versions whose stored event does not match its hash chain
    divergences: tuple[tuple[int, str, str | None], ...]  # (version, kind, error)
    gaps: tuple[int, ...]
    process_version: str = ""
    problems: tuple[tuple[int, str], ...] = ()  # (version, 0 for the whole case; what is wrong)
    unsigned: tuple[int, ...] = ()  # versions recorded before signing began
    keys: tuple[KeyUse, ...] = ()
    unsigned_until: datetime | None = None  # the time of the case's last unsigned event
    last_version: int = 0  # the newest stored event's version, and the status the events give
    status_now: str = ""

    @property
    def status(self) -> str:
        if not self.ok:
            return "failed"
        return "unsigned" if self.unsigned else "verified"


def refused(number: str, problem: str, process_version: str = "") -> Verdict:
    """The verdict on a case that could not be replayed at all (its opening unreadable,
    its process version missing or edited): failed, with the reason."""
    return Verdict(number, False, (), (), (), process_version, ((0, problem),))


def verify(
    steps: CaseSteps,
    events: list[Case.Event],
    keys: KeyRing | None = None,
    undecodable: tuple[tuple[int, str], ...] = (),
    snapshot_problem: str | None = None,
) -> Verdict:
    """Replay a stored case, check its hash chain and its signatures against ``keys`` (an
    auditor's public keys), and report what else the caller found: stored events that
    cannot be decoded, a snapshot whose seal does not hold. Without ``keys``, the keys
    the engine of ``steps`` trusts."""
    keys = steps.keys if keys is None else keys
    problems = [(version, f"the stored event cannot be decoded ({error})") for version, error in undecodable]
    unsigned: list[int] = []
    uses: dict[str, list[datetime]] = {}
    previous_key: str | None = None
    unsigned_until: datetime | None = None
    for event in events:
        if event.signature is None and event.key is None:
            unsigned.append(event.originator_version)
            unsigned_until = event.timestamp
            if previous_key is not None:
                problems.append((event.originator_version, "the event is unsigned, after signed ones"))
        else:
            problem = signature_problem(event, keys)
            if problem is not None:
                problems.append((event.originator_version, problem))
            if event.key is not None:
                uses.setdefault(event.key, []).append(event.timestamp)
        previous_key = event.key
    if snapshot_problem is not None:
        problems.append((0, f"its snapshot cannot be trusted: {snapshot_problem} (loading passes it over)"))
    opened = events[0] if events and isinstance(events[0], Case.Opened) else None
    try:
        report = replay_case(steps, events)
    except OknoError as error:  # the process version is missing or its stored source edited
        report = CaseReplay(opened.number if opened else "?")
        problems.append((0, str(error)))
    broken = broken_links(events)
    status, outcome = OPEN, None
    for event in events:
        status, outcome = status_after(status, outcome, event)
    return Verdict(
        report.number,
        report.ok and not broken and not problems,
        tuple(broken),
        tuple((c.version, c.kind, c.error) for c in report.divergences()),
        tuple(report.gaps),
        opened.process_version if opened else "",
        tuple(problems),
        tuple(unsigned),
        tuple(KeyUse(key, len(times), min(times), max(times)) for key, times in uses.items()),
        unsigned_until,
        max((e.originator_version for e in events), default=0),
        status,
    )


def replay_case(steps: CaseSteps, events: Iterable[Case.Event]) -> CaseReplay:
    """Replay a stored case (its events as the store returns them)."""
    events = list(events)
    if not events or not isinstance(events[0], Case.Opened):
        return CaseReplay(number="?", gaps=[1])
    first = events[0]
    records, shredded_from = opened_records(steps, events)
    report = replay(steps, first.process_version, first.originator_id, first.number, records)
    report.shredded_from = shredded_from
    return report


def opened_records(steps: CaseSteps, events: list[Case.Event]) -> tuple[list[Recorded], int | None]:
    """The events as recorded, their personal values opened with the case's key; the
    records stop at the first one that holds some when the key was shredded (its version
    returned with them)."""
    records: list[Recorded] = []
    for event in events:
        opened_input = steps.opened(event.originator_id, event.input)
        opened_effects = steps.opened(event.originator_id, event.effects)
        if opened_input is None or opened_effects is None:
            return records, event.originator_version
        kind = type(event).__name__
        records.append(Recorded(event.originator_version, kind, event.timestamp, opened_input, opened_effects))
    return records, None


def replay(steps: CaseSteps, process_version: str, case_id: UUID, number: str, records: list[Recorded]) -> CaseReplay:
    """Replay a case with one live workflow (start, then each input in turn, compared
    step by step with the recorded effects); if anything differs, replay it again the way
    commands and loading a case do (restore the workflow from each step's serialized state)
    and report that.

    Why this is as strict as replaying through the restore path every time:
    - a history is reported as verified only if every recorded effect was reproduced,
      byte for byte, by a deterministic run of its inputs (ids seeded from the case, time
      the event's, the id counter and okno's own state carried exactly as the stored
      state carries them);
    - a divergence is reported only when the restore path, which made the history, finds
      it too, with the same case, version and error as before.
    The two paths agree on every shipped process and on the property test's random
    command sequences, state for state (tests/engine/test_recorded_histories.py,
    test_replay_property.py). Where they could still differ: SpiffWorkflow shares nested
    records between a task's data and its parent's (a shallow merge), and a restored tree
    shares them along the lines of its stored deltas, not necessarily those of the live
    tree, so a script assigning inside a nested record might see other data. Such a model
    turns a live mismatch into a restore-path replay here, never into a wrong verdict; a
    forged history matching the live path alone would pass this check but is still refused
    when the case is loaded (loading recomputes every step the restore way), and whoever
    can rewrite the store can recompute a consistent history anyway: the hash chain has no
    secret. So the final state is not also checked against a restore-path replay, which
    would cost what the live path saves."""
    live = replay_live(steps, process_version, case_id, number, records)
    if live.ok:
        return live
    return replay_restoring(steps, process_version, case_id, number, records)


def replay_live(
    steps: CaseSteps, process_version: str, case_id: UUID, number: str, records: list[Recorded]
) -> CaseReplay:
    """Replay with one live workflow; stops at the first difference (see :func:`replay`)."""
    process = steps.library.get(process_version)
    case: LiveCase | None = None

    def step(step_input: Command, record: Recorded) -> tuple[bool, dict[str, Any]]:
        nonlocal case
        if isinstance(step_input, StartCase):
            case, effects = steps.runtime.start_live(process, case_id, record.timestamp, step_input)
        else:
            assert case is not None  # _replay refuses a history that does not begin with the opening
            effects = steps.runtime.apply_live(case, record.timestamp, step_input)
        # Only a verdict of "reproduced" is kept from this path (a failure is replayed
        # again), so the replayed effects are not decoded here.
        return effects == canonical(record.effects), record.effects

    return _replay(number, records, step, stop_at_difference=True)


def replay_restoring(
    steps: CaseSteps, process_version: str, case_id: UUID, number: str, records: list[Recorded]
) -> CaseReplay:
    """Replay a case as commands compute it: each input applied to the workflow restored
    from the previous step's serialized state. The reference for :func:`replay`."""
    process = steps.library.get(process_version)
    state: str | None = None

    def step(step_input: Command, record: Recorded) -> tuple[bool, dict[str, Any]]:
        nonlocal state
        if isinstance(step_input, StartCase):
            made = steps.runtime.start(process, case_id, record.timestamp, step_input)
        else:
            assert state is not None  # _replay refuses a history that does not begin with the opening
            made = steps.runtime.apply(process, case_id, state, record.timestamp, step_input)
        state = made.state
        return canonical(made.effects) == canonical(record.effects), made.effects

    return _replay(number, records, step, stop_at_difference=False)


Stepper = Callable[[Command, Recorded], tuple[bool, dict[str, Any]]]


def _replay(number: str, records: list[Recorded], step: Stepper, *, stop_at_difference: bool) -> CaseReplay:
    """Walk a history's records in order: note gaps in the versions, run each input through
    ``step`` (whether it reproduced the recorded effects, and the effects to report), and
    report a step that failed or a history that does not begin with the case's opening."""
    report = CaseReplay(number=number)
    if not records:
        report.gaps.append(1)
    opened = False
    for expected, record in enumerate(records, start=1):
        if record.version != expected:
            report.gaps.append(expected)
        try:
            step_input = input_from_dict(record.input)
            if not opened and not isinstance(step_input, StartCase):
                raise OknoError("the history does not begin with the case being opened")
            opened = True
            same, replayed = step(step_input, record)
        except (OknoError, KeyError, ValueError) as error:
            report.checks.append(EventCheck(record.version, record.kind, False, record.effects, None, str(error)))
            break
        report.checks.append(EventCheck(record.version, record.kind, same, record.effects, replayed))
        if not same and stop_at_difference:
            break
    return report
