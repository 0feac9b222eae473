"""Where cases' steps are computed: one engine's process library, BPMN runtime (with its
script engine) and the live workflows its commands keep. Each Engine has its own, so two
engines in one process share none of them: the same process version id may even name
different models in two stores, and each engine's cases follow its own.

It is also the engine's projector for the event store (:meth:`CaseSteps.fold`): a Case
rebuilt from stored events has every step recomputed from its input and checked against
what was recorded, which needs this engine's library and runtime, so the store's
repository folds events through it (engine.application.OknoStore)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from engine.bpmn.library import ProcessLibrary
from engine.bpmn.runtime import LiveCache, Runtime, Step, canonical
from engine.case import Case
from engine.commands import Command, StartCase, input_from_dict
from engine.errors import IntegrityViolation, ReplayDivergence
from engine.integrity import GENESIS, chain_of, signature_problem
from engine.sealed_fields import FieldSeal, holds_tokens, personal_names
from engine.signing import KeyRing

# The state of a case whose key was shredded, read as recorded: its workflow cannot be
# rebuilt (the personal values it ran on are gone), so it takes no more input.
SHREDDED = "shredded"

# Commands keep the workflows they step (see LiveCache): enough for the cases in flight on
# one process at once (the benchmark works 50), small beside the aggregate cache.
LIVE_WORKFLOWS = 256


class CaseSteps:
    """Computes the step an input makes on a case, for commands and for rebuilding."""

    def __init__(self, keys: KeyRing | None = None, live_workflows: int = LIVE_WORKFLOWS) -> None:
        # The public keys whose signatures loading a case accepts (engine.signing).
        self.keys = keys if keys is not None else KeyRing()
        self.library = ProcessLibrary()
        self.runtime = Runtime()
        self.live = LiveCache(live_workflows)
        # The case's personal values open with its key from the vault (set by the Engine);
        # without one, every case reads as having none sealed.
        self.field_seal: Callable[[UUID], FieldSeal | None] = lambda _case_id: None
        self._personal: dict[str, frozenset[str]] = {}

    def personal(self, process_version: str) -> frozenset[str]:
        """The variable names the version declares personal (engine.sealed_fields), once per version."""
        names = self._personal.get(process_version)
        if names is None:
            names = self._personal[process_version] = personal_names(self.library.get(process_version))
        return names

    def opened(self, case_id: UUID, tree: Any) -> Any | None:
        """A recorded input or effects with its sealed values opened; None when the case's
        key was shredded and it holds some."""
        if not holds_tokens(tree):
            return tree
        seal = self.field_seal(case_id)
        return None if seal is None else seal.open(tree)

    # -- commands: computed once, on the kept live workflow when there is one -----------
    def opening(self, process_version: str, case_id: UUID, at: datetime, start: StartCase) -> Step:
        return self.runtime.start_kept(self.library.get(process_version), case_id, at, start, self.live)

    def next(self, case: Case, step_input: Command, at: datetime) -> Step:
        """The step an input would make now; records nothing. Runs on the case's live
        workflow when one is kept in exactly this case's state, which gives the same step
        byte for byte as restoring it (tests/engine: recorded histories, replay property)."""
        process = self.library.get(case.process_version)
        if isinstance(step_input, StartCase):
            return self.runtime.start(process, case.id, at, step_input)
        return self.runtime.apply_kept(process, case.id, case.state, at, step_input, self.live)

    def element_states(self, case: Case) -> tuple[set[str], set[str]]:
        """The BPMN elements the case has passed, and those it is at now (for drawing it)."""
        process = self.library.get(case.process_version)
        return self.runtime.element_states(process, case.id, case.state, case.modified_on)

    # -- rebuilding from the store -----------------------------------------------------------
    def fold(self, aggregate: Any, events: Iterable[Any]) -> Any:
        """The store's projector: each event applied, and a case's step recomputed and
        checked first, so a case refused halfway is left as it was (the repository's cache
        fast-forwards the aggregate it holds in place)."""
        for event in events:
            step = self._replayed(aggregate, event) if isinstance(event, Case.Event) else None
            aggregate = event.mutate(aggregate)
            if step is not None:
                assert isinstance(aggregate, Case) and isinstance(event, Case.Event)
                aggregate.advance(event, step)
        return aggregate

    def check_links(self, events: list[Any], *, signatures: bool = True) -> None:
        """Refuse a case whose stored events (all of them from its opening, as before a
        snapshot) do not link or are not signed as they must be: hashes and signatures only,
        no replay. ``signatures=False`` when a signed seal already vouches for the last
        event's hash (a sealed snapshot): each hash covers all before it, so hashes are
        enough, and they cost a fraction of a signature check each."""
        previous, previous_key, number = GENESIS, None, "?"
        for expected, event in enumerate(events, start=1):
            if isinstance(event, Case.Opened):
                number = event.number
            if event.originator_version != expected:
                raise IntegrityViolation(f"case {number}: version {expected} is missing")
            self._check_link(number, event, previous, previous_key, signatures=signatures)
            previous, previous_key = event.chain, event.key

    def _check_link(
        self, number: str, event: Case.Event, previous: str, previous_key: str | None, *, signatures: bool = True
    ) -> None:
        """The event's hash follows from its content and the previous hash; it is signed by
        a trusted key, or it is unsigned and so was every event before it (recorded before
        signing began)."""
        where = f"case {number} version {event.originator_version}"
        if chain_of(event, previous) != event.chain:
            raise IntegrityViolation(
                f"{where}: the stored event does not match its hash chain (edited, deleted or reordered)"
            )
        if event.signature is None and previous_key is not None:
            raise IntegrityViolation(f"{where}: the event is unsigned, after signed ones")
        problem = signature_problem(event, self.keys) if signatures else None
        if problem is not None:
            raise IntegrityViolation(f"{where}: {problem}")

    def _replayed(self, case: Case | None, event: Case.Event) -> Step:
        """The step a stored event made, if it is the event that was recorded. Recomputed
        the way replay's reference does, restoring the workflow from the state: loading a
        case never trusts a workflow kept in memory."""
        if isinstance(event, Case.Opened):
            number, previous, version, state = event.number, GENESIS, event.process_version, ""
        else:
            assert case is not None, "a case's first event is its opening"
            number, previous, version, state = case.number, case.chain, case.process_version, case.state
        self._check_link(number, event, previous, getattr(case, "last_key", None) if case is not None else None)
        plain_input = self.opened(event.originator_id, event.input)
        recorded_effects = self.opened(event.originator_id, event.effects)
        if plain_input is None or recorded_effects is None or state == SHREDDED:
            # Shredded: the chain is checked (above), the effects are taken as recorded.
            return Step(SHREDDED, event.effects)
        step_input = input_from_dict(plain_input)
        process = self.library.get(version)
        if isinstance(step_input, StartCase):
            step = self.runtime.start(process, event.originator_id, event.timestamp, step_input)
        else:
            step = self.runtime.apply(process, event.originator_id, state, event.timestamp, step_input)
        if canonical(step.effects) != canonical(recorded_effects):
            raise ReplayDivergence(
                f"case {number} version {event.originator_version}: replaying the input "
                "does not reproduce the recorded effects"
            )
        return step
