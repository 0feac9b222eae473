"""The application service: one method per command, each deciding first and recording
ONE event after, so a refused command has written nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, Repository, project_aggregate
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import (
    IntegrityError,
    InternalError,
    MapperDeserialisationError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from eventsourcing.utils import get_topic, strtobool

from engine.access_log import PersonalDataAccess, access_log_id
from engine.applicant import normalised as applicant_details
from engine.bpmn.form_model import TaskForm
from engine.bpmn.library import ElementInfo
from engine.bpmn.message_contracts import MessageContract, awaited_contract
from engine.bpmn.runtime import Step
from engine.bpmn.sources import ProcessBundle, SourceFile
from engine.bpmn.validation import Problem, validate
from engine.case import Case, Sealing, as_is, case_id_for
from engine.case_status import OPEN, status_after
from engine.case_steps import CaseSteps
from engine.case_variables import opening_variables
from engine.catalog import CatalogInvalid, Service
from engine.checkpoints import Checkpoints
from engine.commands import (
    Acknowledge,
    ClaimTask,
    Command,
    Complain,
    CompleteJob,
    CompleteLockedJob,
    CompleteTask,
    DeliverMessage,
    DeliverSignal,
    FailJob,
    FailLockedJob,
    FireTimer,
    LockJob,
    Rate,
    ReassignTask,
    ReleaseTask,
    RetryIncident,
    StartCase,
    ThrowJobError,
    Withdraw,
    registered,
)
from engine.connections import discard_broken_connections
from engine.connectors.notifications import NotificationOutbox
from engine.diagram import CaseDiagram
from engine.directory import DIRECTORY_ID, CatalogChanges, Directory, ProcessSource
from engine.errors import (
    CaseBroken,
    CaseClosed,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    IntegrityViolation,
    InvalidInput,
    OknoError,
    ReplayDivergence,
    SchemaNotReady,
    ServiceRetired,
    SignalNotAwaited,
    UnknownCase,
    UnknownOffice,
    UnknownProcessVersion,
    UnknownService,
)
from engine.events_lock import lock_as_connected_role
from engine.group_commit import Group, GroupCommitter, Outcome
from engine.idempotency import CaseNumbers, number_token
from engine.input_checks import (
    ACTOR,
    APPLICANT,
    CASE_DATA,
    CASE_NUMBER,
    CODE,
    FREE_TEXT,
    JSON_OBJECT,
    KEY,
    LINE,
    POSITION,
    SCORES,
    SOURCES,
    Items,
    Maybe,
    Text,
    Whole,
    checked,
)
from engine.ledger import Ledger
from engine.notary import Notary
from engine.offices import Office, network_problems
from engine.personal_data import Entropy, KeyTable, PersonalDataError, Vault
from engine.pinned_versions import PinnedVersions
from engine.reception.office_day import OfficeDay
from engine.revocations import RevokedTokens
from engine.sealed_fields import FieldSeal, mentions
from engine.shredding import delete_snapshots
from engine.signing import KeyRing, PublicKey, Signer
from engine.snapshot_seal import SEAL, seal, seal_problem
from engine.store import StoreConfig

LOCK_SECONDS = Whole(1, 24 * 3600)  # how long an external worker holds a job
LOCK_SECONDS_OR_NONE = Whole(0, 24 * 3600)  # a worker's backoff before the job's next activation
RETRIES = Whole(0, 100)  # the retries a worker says a job has left
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ID = UUID(int=0)
# What a missing table raises, whichever layer sees it first (the library, or a driver).
STORE_ERRORS = (PersistenceError, sqlite3.Error, psycopg.Error)
CHANNELS = frozenset({"window", "portal", "terminal", "call_centre", "remote_office"})
SOURCE_NAMESPACE = uuid5(NAMESPACE_URL, "https://okno.example/process-source")
# After a shared commit conflicted: how often a command is decided again alone before its
# caller is told of the conflict (each attempt decides on the newest case).
ALONE_ATTEMPTS = 3
MAX_BROADCAST_CASES = 100_000  # a bound on one broadcast's fan-out, so a command stays a bounded input


class CaseRepository(Repository[UUID]):
    """The library's repository, folding stored events through one engine's
    :meth:`CaseSteps.fold` unless told otherwise: a case is only ever rebuilt with its
    steps recomputed and checked, also when the library loads one itself (a snapshot)."""

    def __init__(self, steps: CaseSteps, **options: Any) -> None:
        super().__init__(**options)
        self.steps = steps

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = project_aggregate,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        if projector_func is project_aggregate:
            projector_func = self.steps.fold
        return super().get(
            aggregate_id,
            version=version,
            projector_func=projector_func,
            fastforward_skipping=fastforward_skipping,
            deepcopy_from_cache=deepcopy_from_cache,
        )

    def _reconstruct_aggregate(self, aggregate_id: UUID, version: int | None, projector_func: Any) -> Any:
        """The library's reconstruction, except that a case's snapshot is used only when
        its seal (signed, naming the chain hash of the event it was taken at) holds and every
        event up to it links to that hash (no replay, no signature: the seal vouches for the
        hash, which covers all before it); an untrusted snapshot is passed over and the case
        derived from its events. A broken link before a sealed snapshot refuses the case."""
        snapshot: Any = None
        if self.snapshot_store is not None:
            snapshot = next(iter(self.snapshot_store.get(aggregate_id, desc=True, limit=1, lte=version)), None)
        if snapshot is not None and snapshot.topic == CASE_TOPIC:
            earlier = list(self.event_store.get(aggregate_id, lte=snapshot.originator_version))
            if seal_problem(snapshot, self.steps.keys, earlier[-1] if earlier else None) is None:
                self.steps.check_links(earlier, signatures=False)
                snapshot.state.pop(SEAL)
            else:
                snapshot = None
        events = self.event_store.get(
            aggregate_id, gt=snapshot.originator_version if snapshot is not None else None, lte=version
        )
        aggregate = projector_func(None, chain([snapshot] if snapshot is not None else [], events))
        if aggregate is None:
            raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} version {version!r} not found.")
        return aggregate


CASE_TOPIC = get_topic(Case)


def _event_class(command: type[Command]) -> type[Case.Event]:
    event = getattr(Case, command.event, None)
    if not (isinstance(event, type) and issubclass(event, Case.Event)):
        raise TypeError(f"command {command.__name__} names {command.event!r}, which is no Case event class")
    return event


# The handler table: each command's Case event class, by the name its command declares
# (engine/commands/). Built when the engine is imported, so a misnamed event fails at once.
CASE_EVENTS: dict[type[Command], type[Case.Event]] = {command: _event_class(command) for command in registered()}


class OknoStore(Application[UUID]):
    name = "okno"
    # A snapshot every 10 events keeps loading a case O(1) in its history length; an
    # office's busy day has hundreds of reception events.
    snapshotting_intervals = {Case: 10, OfficeDay: 50}  # noqa: RUF012 - the library's own class attribute
    env = {  # noqa: RUF012
        "AGGREGATE_CACHE_MAXSIZE": "2000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(self, steps: CaseSteps, env: dict[str, str], signer: Signer | None = None) -> None:
        self.steps = steps  # before the library's __init__, which constructs the repository
        self.signer = signer  # seals the cases' snapshots (engine.snapshot_seal)
        super().__init__(env=env)

    def construct_repository(self) -> Repository[UUID]:
        """The library's own construction (the same settings from ``env``), as a CaseRepository."""
        size = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CaseRepository(
            self.steps,
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(size) if size else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def _take_snapshots(self, processing_event: Any) -> None:
        """Snapshot a case from the aggregate just saved. The library's own way rebuilds
        the case from the store first, which re-runs every input since the last snapshot
        through the workflow: a tenth of a command's time (see docs/PERFORMANCE.md). The
        aggregate in hand is that same state; loading still checks the events after it."""
        if self.snapshots is None:
            return
        taken = []
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate is not None else None
            if interval is None or event.originator_version % interval:
                continue
            if aggregate.version != event.originator_version:  # several events of one case in one save
                aggregate = self.repository.get(event.originator_id, version=event.originator_version)
            taken.append(self._snapshot(aggregate))
        if taken:  # a group commit's snapshots go in one write, not one transaction each
            self.snapshots.put(taken)

    def _snapshot(self, aggregate: Any) -> Any:
        """A snapshot of ``aggregate``; a case's is sealed with the writer's key."""
        snapshot = type(aggregate).Snapshot.take(aggregate)
        if isinstance(aggregate, Case) and self.signer is not None:
            snapshot.state[SEAL] = seal(snapshot.state, snapshot.originator_version, self.signer)
        return snapshot


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version: str
    new: bool


@dataclass
class DeployReport:
    deployed: list[Deployed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # never blocking (validation.ModelWarning)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class SignalBroadcast:
    """Whom a broadcast signal reached, and whom it passed over (no longer waiting)."""

    reached: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)


T = TypeVar("T")


def schema_ready(create: Callable[[], T], attempts: int = 5) -> T:
    """Run a step that creates tables. Processes starting together on PostgreSQL race in
    CREATE TABLE IF NOT EXISTS ("tuple concurrently updated"); the loser simply finds the
    tables there on the next attempt."""
    for attempt in range(attempts):
        try:
            return create()
        except (InternalError, IntegrityError, OperationalError, ProgrammingError):
            # OperationalError: SQLite's "database is locked" when two first writers meet;
            # ProgrammingError: PostgreSQL's "type … already exists" when two create one table.
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def number_from_entropy(office: str, entropy: Entropy) -> str:
    """A case opened without an idempotency key (one under a key: engine.idempotency)."""
    return f"{office}-{number_token(int.from_bytes(entropy(8), 'big'))}"


class Engine:
    """okno's commands and reads over one event store."""

    def __init__(
        self,
        config: StoreConfig,
        *,
        master_key: bytes,
        entropy: Entropy,
        signer: Signer | None = None,
        retired_keys: Iterable[PublicKey] = (),
    ) -> None:
        """``signer`` signs every event this engine records (okno.bootstrap always passes
        one; None writes as okno did before signing began, which only tests of old stores
        want). Loading a case trusts the signer's public key and ``retired_keys``."""
        self.config = config
        self.signer = signer
        trusted = KeyRing([*([signer.public] if signer else []), *retired_keys])
        # This engine's own process library, runtime and live workflows: nothing of them is
        # shared with another engine in the same process.
        self.steps = CaseSteps(trusted)
        self.store = schema_ready(lambda: OknoStore(self.steps, env=config.env, signer=signer))
        if config.is_postgres:
            discard_broken_connections(self.store.recorder.datastore)  # type: ignore[attr-defined]
            lock_as_connected_role(self.store.recorder)  # the writer role locks through its function
        dialect = "postgres" if config.is_postgres else "sqlite"
        self.keys = KeyTable(self.store.recorder.datastore, dialect)  # type: ignore[attr-defined]
        self.notifications = NotificationOutbox(self.store.recorder.datastore, dialect)  # type: ignore[attr-defined]
        self.revoked_tokens = RevokedTokens(self.store.recorder.datastore, dialect)  # type: ignore[attr-defined]
        # The store-wide chain and its signed checkpoints (engine.notary).
        self.ledger = Ledger(self.store.recorder.datastore, dialect)  # type: ignore[attr-defined]
        self.checkpoints = Checkpoints(self.store.recorder.datastore, dialect)  # type: ignore[attr-defined]
        if config.creates_tables:
            schema_ready(self.ledger.create)
            schema_ready(self.checkpoints.create)
            schema_ready(self.keys.create)
            schema_ready(self.notifications.create)
            schema_ready(self.revoked_tokens.create)
        else:
            self._check_schema()
        self.vault = Vault(self.keys, master_key, entropy)
        self.steps.field_seal = self.vault.field_seal  # loading a case opens its sealed values
        self.numbers = CaseNumbers(master_key)
        self._entropy = entropy
        # The group commit open in this thread or task, if any (engine.group_commit).
        self._group: ContextVar[Group | None] = ContextVar(f"okno_group_{id(self)}", default=None)
        self.committer: GroupCommitter | None = None  # see share_commits
        # Each case's pinned version, read once (a task's form is looked up by it).
        self.pinned = PinnedVersions(self._pinned_version)
        self._reference: Directory | None = None  # see reference()

    def close(self) -> None:
        self.store.close()

    def notary(self) -> Notary:
        """The follower that links the log into the ledger and writes checkpoints."""
        return Notary(self.store, self.ledger, self.checkpoints)

    def _check_schema(self) -> None:
        """With table creation off, a missing table is a deployment mistake: say so at start."""
        try:
            self.store.recorder.max_notification_id()
            self.keys.get(EPOCH_ID)
            self.notifications.count()
            self.revoked_tokens.current(EPOCH)
            self.ledger.head()
            self.checkpoints.latest()
        except STORE_ERRORS as error:
            self.store.close()
            raise SchemaNotReady(
                f"the store at {self.config.url} is missing tables ({type(error).__name__}): "
                "run `okno migrate` once, or let this process create them "
                "(OKNO_CREATE_TABLES=yes)"
            ) from None

    # -- reference data -------------------------------------------------------------
    def directory(self, at: datetime = EPOCH) -> Directory:
        """The reference data, a copy of its own to change and save; a new, empty one
        (created at ``at``) before the first deploy."""
        try:
            directory: Any = self.store.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return Directory.create(at)
        assert isinstance(directory, Directory)
        return directory

    def reference(self) -> Directory:
        """The reference data to read, never to change: one copy shared until the
        directory's version moves. Every reception command and every case opened reads
        it, and a copy of 172 offices and the catalog per command was 13 % of a day's
        commands (docs/PERFORMANCE.md); the cache's fast-forward still sees a deploy from
        another process at once."""
        try:
            current: Any = self.store.repository.get(DIRECTORY_ID, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return Directory.create(EPOCH)
        assert isinstance(current, Directory)
        if self.store.repository.cache is None:
            return current  # rebuilt from its events for this call: this caller's own
        kept = self._reference
        if kept is None or kept.version != current.version:
            kept = self._reference = deepcopy(current)  # the cache's object moves on in place
        return kept

    @checked(sources=SOURCES)
    def deploy(self, sources: list[SourceFile], at: datetime) -> DeployReport:
        plan = validate(sources)
        if plan.problems:
            return DeployReport(problems=plan.problems, warnings=list(plan.warnings))
        directory = self.directory(at)
        stored: list[ProcessSource] = []
        report = DeployReport(warnings=list(plan.warnings))
        for bundle in plan.bundles:
            source_id = uuid5(SOURCE_NAMESPACE, bundle.version)
            if source_id not in self.store.repository:
                stored.append(
                    ProcessSource._create(ProcessSource.Stored, id=source_id, timestamp=at, bundle=bundle.to_dict())
                )
            self.steps.library.add(bundle)
            report.deployed.append(
                Deployed(bundle.process_id, bundle.version, directory.deploy(bundle.process_id, bundle.version, at))
            )
        self._save(directory, *stored)
        return report

    def publish_catalog(self, services: list[Service], at: datetime) -> CatalogChanges:
        """Add and update the catalog's services; one it does not mention stays published
        (retiring is explicit: retire_services)."""
        directory = self.directory(at)
        missing = sorted({s.process for s in services if directory.current_version(s.process) is None})
        if missing:
            raise CatalogInvalid("catalog", [f"process {p!r} is not deployed" for p in missing])
        changes = directory.publish([s.to_dict() for s in services], at)
        self._save(directory)
        return changes

    def retire_services(self, codes: list[str], at: datetime) -> list[str]:
        """Stop the services taking new cases (open cases go on); the codes retired now,
        leaving out those retired before. An unknown code retires nothing."""
        return self._retirement(codes, at, retire=True)

    def restore_services(self, codes: list[str], at: datetime) -> list[str]:
        """Let retired services take new cases again; the codes restored now."""
        return self._retirement(codes, at, retire=False)

    def _retirement(self, codes: list[str], at: datetime, *, retire: bool) -> list[str]:
        directory = self.directory(at)
        unknown = [code for code in codes if code not in directory.services]
        if unknown:
            raise UnknownService(", ".join(unknown))
        changed = directory.retire(codes, at) if retire else directory.restore(codes, at)
        self._save(directory)
        return changed

    def register_offices(self, offices: list[Office], at: datetime) -> bool:
        directory = self.directory(at)
        # The network after this registration: what is registered already, with these
        # offices replacing their earlier entries, must hold together as a whole.
        codes = {o.code for o in offices}
        kept = [Office.from_dict(o) for code, o in directory.offices.items() if code not in codes]
        problems = network_problems(offices + kept)
        if problems:
            raise InvalidInput("offices not registered: " + "; ".join(problems))
        changed = directory.register([o.to_dict() for o in offices], at)
        self._save(directory)
        return changed

    def ensure_version(self, version: str) -> None:
        if self.steps.library.knows(version):
            return
        try:
            source: Any = self.store.repository.get(uuid5(SOURCE_NAMESPACE, version))
        except AggregateNotFoundError:
            return  # the library's get() will report the unknown version
        assert isinstance(source, ProcessSource)
        bundle = ProcessBundle.from_dict(source.bundle)
        if bundle.version != version:  # the version is the hash of the source it names
            raise IntegrityViolation(
                f"process version {version}: its stored source was edited (it now hashes to {bundle.version})"
            )
        self.steps.library.add(bundle)

    # -- cases ------------------------------------------------------------------------
    # Each command declares how its arguments from outside are checked (engine.input_checks):
    # a refused value raises InputRefused before anything is decided or written.
    @checked(
        service=CODE,
        office=CODE,
        channel=CODE,
        applicant=APPLICANT,
        actor=ACTOR,
        data=Maybe(CASE_DATA),
        idempotency_key=Maybe(KEY),
    )
    def open_case(
        self,
        *,
        service: str,
        office: str,
        channel: str,
        applicant: dict[str, str],
        actor: str,
        at: datetime,
        data: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        def decide(number: str | None) -> tuple[Case, bool]:
            return self._new_case(
                number,
                service=service,
                office=office,
                channel=channel,
                applicant=applicant,
                actor=actor,
                at=at,
                data=data,
                idempotency_key=idempotency_key,
            )

        group = self._group.get()
        case, created = decide(None)
        if group is None:
            if created and not self._shared_commit(case):
                again, made = decide(case.number)  # the shared batch conflicted: decided again alone
                if made:
                    self.save_new_case(again)
                return again
            return case

        def redo(outcome: Outcome) -> None:  # after a conflict: the same number, decided again
            again, made = decide(case.number)
            if made:
                self.save_new_case(again)
            _settle(outcome, again, again.last_effects if made else None)

        outcome = group.add(case.number, redo)
        _settle(outcome, case, case.last_effects if created else None)
        if created:
            group.cases[case.id] = case
        return case

    @checked(
        service=CODE,
        office=CODE,
        channel=CODE,
        applicant=APPLICANT,
        actor=ACTOR,
        data=Maybe(CASE_DATA),
        idempotency_key=Maybe(KEY),
    )
    def new_case(
        self,
        *,
        service: str,
        office: str,
        channel: str,
        applicant: dict[str, str],
        actor: str,
        at: datetime,
        data: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        preconditions: Callable[[], None] | None = None,
        retried: Callable[[Case], None] | None = None,
        number: str | None = None,
    ) -> Case:
        """A case opened but not yet saved (it has pending events), or the case an earlier
        request under the same key opened (it has none): for a caller that saves the new
        case together with another aggregate, as reception does with the visit it ends.
        ``preconditions`` are the caller's own refusals, run once the request is known to
        be new and before anything is written; ``retried`` checks that a retry's case fits
        the rest of the caller's request; ``number`` is the one an earlier attempt of this
        same request decided (its key row is then reused)."""
        return self._new_case(
            number,
            service=service,
            office=office,
            channel=channel,
            applicant=applicant,
            actor=actor,
            at=at,
            data=data,
            idempotency_key=idempotency_key,
            preconditions=preconditions,
            retried=retried,
        )[0]

    def _new_case(
        self,
        number: str | None,
        *,
        service: str,
        office: str,
        channel: str,
        applicant: dict[str, str],
        actor: str,
        at: datetime,
        data: dict[str, Any] | None,
        idempotency_key: str | None,
        preconditions: Callable[[], None] | None = None,
        retried: Callable[[Case], None] | None = None,
    ) -> tuple[Case, bool]:
        """The case decided (True: new, to be saved) or found done under its key (False).

        Every refusal comes before the only write, the case's key row, which is the last
        step of the decision: a refused request leaves nothing behind (issue 14, #9)."""
        # First, so that a retry compares the applicant as it was stored: normalised.
        applicant = applicant_details(applicant, at)
        directory = self.reference()
        if service not in directory.services:
            raise UnknownService(service)
        if not directory.takes_cases(service):
            raise ServiceRetired(service)
        if office not in directory.offices:
            raise UnknownOffice(office)
        if channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {channel!r}; channels: {', '.join(sorted(CHANNELS))}", field="channel")
        entry = Service.from_dict(directory.services[service])
        version = directory.current_version(entry.process)
        assert version is not None  # publish_catalog refuses services without a process
        self.ensure_version(version)
        drawn = number is None and not idempotency_key
        if number is None:
            number = (
                self.numbers.for_key(actor, office, idempotency_key)
                if idempotency_key
                else number_from_entropy(office, self._entropy)
            )
        start = StartCase({**opening_variables(entry, office, channel), **(data or {})})
        if idempotency_key:
            existing = self._find(number)
            if existing is not None:
                self._check_retry(existing, actor, idempotency_key, start, applicant)
                if retried is not None:
                    retried(existing)
                return existing, False
        if preconditions is not None:
            preconditions()
        case_id = case_id_for(number)
        sealed = self.vault.seal_new(case_id, applicant, drawn=drawn)  # nothing written yet
        step = self.steps.opening(version, case_id, at, start)  # refuses when the model fails at its start
        sealing = self._sealing(version, case_id, sealed.field_seal())
        case = Case.open(
            sealing=sealing,
            number=number,
            service=service,
            office=office,
            channel=channel,
            process_version=version,
            applicant=sealed.fields,
            start=start,
            step=step,
            actor=actor,
            at=at,
            idempotency_key=idempotency_key,
            signer=self.signer,
        )
        if not self.vault.keep(sealed):  # another attempt of this request stored the case's key first
            raise ConcurrencyConflict(number, 0)
        return case, True

    def _check_retry(self, existing: Case, actor: str, key: str, start: StartCase, applicant: dict[str, str]) -> None:
        """A case found under this caller's key is a retry only if the whole request is the
        same, the applicant included. The applicant is compared sealed-side: unsealed in
        memory, never stored or digested anywhere else. No refusal names the case."""
        if not existing.already_did(actor, key, start, self._sealing(existing.process_version, existing.id)):
            # Only a 50-bit number collision with another request's case gets here.
            raise IdempotencyKeyReused("this idempotency key cannot be used here; use a new key")
        if self.vault.unseal(existing.id, existing.applicant) != applicant:
            raise IdempotencyKeyReused(
                "this idempotency key was already used for a different request "
                "(another applicant); use a new key for a new request"
            )

    def save_new_case(self, case: Case, *others: Any) -> None:
        """Save a new case, and in the same transaction whatever else its opening changed."""
        try:
            self.store.save(case, *others)
        except IntegrityError:
            raise ConcurrencyConflict(case.number, 0) from None
        self._remember(case)

    @checked(
        number=CASE_NUMBER,
        element=CODE,
        data=JSON_OBJECT,
        actor=ACTOR,
        task=Maybe(CODE),
        role=Maybe(CODE),
        idempotency_key=Maybe(KEY),
    )
    def complete_task(
        self,
        number: str,
        element: str,
        data: dict[str, Any],
        *,
        actor: str,
        at: datetime,
        task: str | None = None,
        role: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """The actor completes the task: only its holder may, and an unclaimed task is
        claimed by the actor in the same event. ``role``: the staff role the actor acts in,
        checked against the task's (None: a caller of the engine's own, unchecked)."""
        return self._handle(number, CompleteTask(element, data, task, actor, role), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, name=CODE, payload=JSON_OBJECT, actor=ACTOR, idempotency_key=Maybe(KEY))
    def deliver_message(
        self,
        number: str,
        name: str,
        payload: dict[str, Any],
        *,
        actor: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        return self._handle(number, DeliverMessage(name, payload), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, name=CODE, payload=JSON_OBJECT, actor=ACTOR, idempotency_key=Maybe(KEY))
    def deliver_signal(
        self,
        number: str,
        name: str,
        payload: dict[str, Any],
        *,
        actor: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """A broadcast signal reaching one case that waits for it (okno.signals fans out)."""
        return self._handle(number, DeliverSignal(name, payload), actor, at, idempotency_key)

    # The key is short enough that the broadcast's key, a colon and a case number fit in a
    # case's KEY.
    @checked(
        name=CODE,
        payload=JSON_OBJECT,
        cases=Items(CASE_NUMBER, max_items=MAX_BROADCAST_CASES),
        actor=ACTOR,
        idempotency_key=Text(max_length=160),
    )
    def broadcast_signal(
        self,
        name: str,
        payload: dict[str, Any],
        cases: list[str],
        *,
        actor: str,
        at: datetime,
        idempotency_key: str,
    ) -> SignalBroadcast:
        """A signal to every case in ``cases`` (the caller reads who waits for it from the
        signals read model): one SignalReceived event per case, each under its own key
        derived from the broadcast's, so a retried broadcast records nothing twice. A case
        that no longer waits (it moved on, or closed, since the read model saw it) is
        passed over."""
        broadcast = SignalBroadcast()
        for number in cases:
            try:
                self.deliver_signal(
                    number, name, payload, actor=actor, at=at, idempotency_key=f"{idempotency_key}:{number}"
                )
            except (SignalNotAwaited, CaseClosed):
                broadcast.passed_over.append(number)
            else:
                broadcast.reached.append(number)
        return broadcast

    @checked(number=CASE_NUMBER, element=CODE, actor=ACTOR, idempotency_key=Maybe(KEY))
    def fire_timer(
        self, number: str, element: str, *, at: datetime, actor: str = "timer", idempotency_key: str | None = None
    ) -> Case:
        return self._handle(number, FireTimer(element), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, task=CODE, actor=ACTOR, role=Maybe(CODE), idempotency_key=Maybe(KEY))
    def claim_task(
        self,
        number: str,
        task: str,
        *,
        actor: str,
        at: datetime,
        role: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        return self._handle(number, ClaimTask(task, actor, role), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, task=CODE, actor=ACTOR, role=Maybe(CODE), idempotency_key=Maybe(KEY))
    def release_task(
        self,
        number: str,
        task: str,
        *,
        actor: str,
        at: datetime,
        role: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """Its holder releases a task, or a supervisor anyone's."""
        return self._handle(number, ReleaseTask(task, actor, role), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, task=CODE, holder=ACTOR, actor=ACTOR, role=Maybe(CODE), idempotency_key=Maybe(KEY))
    def reassign_task(
        self,
        number: str,
        task: str,
        holder: str,
        *,
        actor: str,
        at: datetime,
        role: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """A supervisor gives the task to ``holder``; whoever held it loses it (one event)."""
        return self._handle(number, ReassignTask(task, holder, role), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, message=POSITION, reference=LINE, actor=ACTOR, idempotency_key=Maybe(KEY))
    def acknowledge_message(
        self, number: str, message: int, reference: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Case:
        """An agency gateway confirms it received message ``message`` (1, 2, … in the case's
        outbox), with its own reference; also after the case closed."""
        return self._handle(number, Acknowledge(message, reference), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, scores=SCORES, actor=ACTOR, idempotency_key=Maybe(KEY))
    def rate_case(
        self, number: str, scores: dict[str, int], *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Case:
        """A citizen rates the service, also after the case is closed."""
        return self._handle(number, Rate(scores), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, topic=CODE, actor=ACTOR, idempotency_key=Maybe(KEY))
    def file_complaint(
        self, number: str, topic: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Case:
        return self._handle(number, Complain(topic), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, task=CODE, result=CASE_DATA, actor=ACTOR, idempotency_key=Maybe(KEY))
    def complete_job(
        self,
        number: str,
        task: str,
        result: dict[str, Any],
        *,
        actor: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """A connector's result for a service task's job (task id): the task completes."""
        return self._handle(number, CompleteJob(task, result), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, task=CODE, error=FREE_TEXT, actor=ACTOR, idempotency_key=Maybe(KEY))
    def fail_job(
        self, number: str, task: str, error: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Case:
        """A connector failed on a job: it is retried after a backoff, or becomes an incident."""
        return self._handle(number, FailJob(task, error), actor, at, idempotency_key)

    # -- external job workers (engine/commands/job_workers.py) ------------------------
    @checked(number=CASE_NUMBER, task=CODE, worker=ACTOR, lock_seconds=LOCK_SECONDS, actor=ACTOR)
    def lock_job(self, number: str, task: str, worker: str, lock_seconds: int, *, actor: str, at: datetime) -> Case:
        """An external worker activates a job: it holds it for ``lock_seconds`` from ``at``."""
        return self._handle(number, LockJob(task, worker, lock_seconds), actor, at, None)

    @checked(number=CASE_NUMBER, task=CODE, worker=ACTOR, variables=CASE_DATA, actor=ACTOR, idempotency_key=Maybe(KEY))
    def complete_locked_job(
        self,
        number: str,
        task: str,
        worker: str,
        variables: dict[str, Any],
        *,
        actor: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """The worker holding a job completes it with ``variables``, merged into the case data."""
        return self._handle(number, CompleteLockedJob(task, worker, variables), actor, at, idempotency_key)

    @checked(
        number=CASE_NUMBER,
        task=CODE,
        worker=ACTOR,
        retries=RETRIES,
        error=FREE_TEXT,
        backoff_seconds=LOCK_SECONDS_OR_NONE,
        actor=ACTOR,
        idempotency_key=Maybe(KEY),
    )
    def fail_locked_job(
        self,
        number: str,
        task: str,
        worker: str,
        retries: int,
        error: str,
        backoff_seconds: int,
        *,
        actor: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """The worker holding a job failed on it: ``retries`` left (0 makes it an incident)."""
        command = FailLockedJob(task, worker, retries, error, backoff_seconds)
        return self._handle(number, command, actor, at, idempotency_key)

    @checked(
        number=CASE_NUMBER,
        task=CODE,
        worker=ACTOR,
        code=CODE,
        message=Text(max_length=2_000, min_length=0, free=True),
        variables=JSON_OBJECT,
        actor=ACTOR,
        idempotency_key=Maybe(KEY),
    )
    def throw_job_error(
        self,
        number: str,
        task: str,
        worker: str,
        code: str,
        message: str,
        variables: dict[str, Any],
        *,
        actor: str,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """The worker holding a job throws BPMN error ``code`` at its service task: an error
        boundary event catches it, or the job is an incident."""
        command = ThrowJobError(task, worker, code, message, variables)
        return self._handle(number, command, actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, task=CODE)
    def job_variables(self, number: str, task: str) -> dict[str, Any]:
        """The case data a job's service task sees (read only)."""
        case = self.get_case(number)
        process = self.steps.library.get(case.process_version)
        data: dict[str, Any] = self.steps.runtime.job_data(process, case.id, case.state, case.modified_on, task)
        return data

    @checked(number=CASE_NUMBER, task=CODE, actor=ACTOR, idempotency_key=Maybe(KEY))
    def retry_incident(
        self, number: str, task: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Case:
        return self._handle(number, RetryIncident(task), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER, reason=FREE_TEXT, actor=ACTOR, idempotency_key=Maybe(KEY))
    def withdraw_case(
        self, number: str, reason: str, *, actor: str, at: datetime, idempotency_key: str | None = None
    ) -> Case:
        return self._handle(number, Withdraw(reason), actor, at, idempotency_key)

    @checked(number=CASE_NUMBER)
    def get_case(self, number: str) -> Case:
        case = self._find(number)
        if case is None:
            raise UnknownCase(number)
        return case

    def applicant(self, number: str) -> dict[str, str] | None:
        case = self.get_case(number)
        return self.vault.unseal(case.id, case.applicant)

    @checked(number=CASE_NUMBER)
    def shred_case(self, number: str) -> None:
        """Crypto-shred a case (retention, a citizen's request): its key and snapshots are
        deleted (engine.shredding); its events stay, chain-checked, personal values sealed
        for good. The case is read from then on as recorded and takes no more input that
        carries personal values."""
        case_id = self.get_case(number).id  # an unknown case is refused
        self.vault.shred(case_id)
        if self.store.snapshots is not None:
            dialect = "postgres" if self.config.is_postgres else "sqlite"
            delete_snapshots(self.store.snapshots.recorder, dialect, case_id)
        cache = self.store.repository.cache
        if cache is not None:  # the cached case holds the workflow's state in clear
            cache.put(case_id, self.steps.fold(None, self.store.events.get(case_id)))

    def opened(self, number: str, tree: Any) -> Any:
        """``tree`` (a recorded payload) with the case's sealed personal values opened; as
        it is once the case's key has been shredded. The caller records the read."""
        opened = self.steps.opened(case_id_for(number), tree)
        return tree if opened is None else opened

    @checked(number=CASE_NUMBER, actor=ACTOR, role=CODE, purpose=FREE_TEXT)
    def read_applicant(
        self, number: str, *, actor: str, role: str, purpose: str, at: datetime
    ) -> dict[str, str] | None:
        """The applicant's personal data, with the read recorded first (no record, no read)."""
        case = self.record_personal_data_read(number, actor=actor, role=role, purpose=purpose, at=at)
        return self.vault.unseal(case.id, case.applicant)

    @checked(number=CASE_NUMBER, actor=ACTOR, role=CODE, purpose=FREE_TEXT)
    def record_personal_data_read(self, number: str, *, actor: str, role: str, purpose: str, at: datetime) -> Case:
        """Record in the case's access log that someone is about to read its personal data."""
        case = self.get_case(number)
        for _ in range(5):  # concurrent readers of one case: retry on the log's version
            try:
                log: Any = self.store.repository.get(access_log_id(case.id))
            except AggregateNotFoundError:
                log = PersonalDataAccess.start(case.id, number, at)
            log.record(actor, role, purpose, at)
            try:
                self.store.save(log)
                break
            except IntegrityError:
                continue
        else:
            raise ConcurrencyConflict(f"{number} (personal data access log)", 0)
        return case

    def message_contracts(self, process: str, at: datetime) -> tuple[MessageContract, ...]:
        """What the current version of a process receives and sends (none before its deploy)."""
        version = self.reference().current_version(process)
        if version is None:
            return ()
        self.ensure_version(version)
        return self.steps.library.get(version).contracts

    @checked(number=CASE_NUMBER)
    def awaited_messages(self, number: str) -> list[MessageContract]:
        """The messages the case waits for now, each with the contract of its pinned version."""
        case = self.get_case(number)
        contracts = self.steps.library.get(case.process_version).contracts
        return [awaited_contract(contracts, name) for name in case.awaiting]

    @checked(number=CASE_NUMBER, element=CODE)
    def task_form(self, number: str, element: str) -> TaskForm | None:
        """The form a case's user task declares in the case's pinned version (None: it
        declares none), whether the task is open now or done: compiled once per version,
        and the case's version remembered, so a work list costs no parsing per task."""
        version = self.pinned.of(number)
        if version is None:
            raise UnknownCase(number)
        self.ensure_version(version)
        element_info = self.steps.library.get(version).elements.get(element)
        return element_info.form if element_info is not None else None

    @checked(process=CODE)
    def user_tasks(self, process: str) -> list[ElementInfo]:
        """The user tasks of a process's current version, in the model's order, each with
        its form: what a client learns before any case exists (an unknown process: none)."""
        version = self.reference().current_version(process)
        if version is None:
            return []
        self.ensure_version(version)
        return [e for e in self.steps.library.get(version).elements.values() if e.kind == "userTask"]

    def _pinned_version(self, number: str) -> str | None:
        first = next(iter(self.store.events.get(case_id_for(number), lte=1)), None)
        return first.process_version if isinstance(first, Case.Opened) else None

    def diagram(self, number: str) -> str:
        """The case's process as SVG, with the path taken and the current tasks highlighted."""
        from engine.diagram import render_svg

        case = self.get_case(number)
        done, active = self.steps.element_states(case)
        bundle = self.steps.library.get(case.process_version).bundle
        return render_svg(bundle, done, active, title=f"{case.number} — {case.service} — {case.status}")

    def case_diagram(self, number: str) -> CaseDiagram:
        """The case's process model and the elements it passed and is at: the SVG's marks,
        for a client that draws the model itself."""
        case = self.get_case(number)
        done, active = self.steps.element_states(case)
        bundle = self.steps.library.get(case.process_version).bundle
        return CaseDiagram(bundle.bpmn.text, frozenset(done), frozenset(active))

    def personal_data_reads(self, number: str) -> list[PersonalDataAccess.Read]:
        case_id = case_id_for(number)
        return [e for e in self.store.events.get(access_log_id(case_id)) if isinstance(e, PersonalDataAccess.Read)]

    def readable_case_events(self, number: str) -> tuple[list[Case.Event], list[tuple[int, str]]]:
        """A case's stored events, each decoded alone: the ones that decode, and the
        versions of those that do not with why (a flipped bit in a compressed row), so an
        auditor's verify reads past a damaged row instead of stopping at it."""
        decoded: list[Case.Event] = []
        undecodable: list[tuple[int, str]] = []
        for stored in self.store.events.recorder.select_events(case_id_for(number)):
            try:
                event = self.store.events.mapper.to_domain_event(stored)
            except MapperDeserialisationError as error:
                undecodable.append((stored.originator_version, str(error.__cause__ or error)))
                continue
            if isinstance(event, Case.Event):
                decoded.append(event)
        return decoded, undecodable

    def latest_snapshot(self, number: str) -> Any:
        """The newest snapshot of a case, as stored (None when none was taken)."""
        if self.store.snapshots is None:
            return None
        return next(iter(self.store.snapshots.get(case_id_for(number), desc=True, limit=1)), None)

    @checked(number=CASE_NUMBER)
    def case_events(self, number: str, after: int | None = None, upto: int | None = None) -> Iterator[Case.Event]:
        """The case's events in order; ``after``/``upto``: only those of versions in (after, upto]."""
        case_id = case_id_for(number)
        for event in self.store.events.get(case_id, gt=after, lte=upto):
            assert isinstance(event, Case.Event)
            yield event

    # -- internals --------------------------------------------------------------------
    def _find(self, number: str) -> Case | None:
        if not isinstance(number, str) or not 0 < len(number) <= 64:
            raise InvalidInput("a case number is a text of 1 to 64 characters")
        case_id = case_id_for(number)
        group = self._group.get()
        if group is not None and case_id in group.cases:
            return group.cases[case_id]  # a group sees its own commands' results
        try:
            case: Any = self._load(case_id)
        except AggregateNotFoundError:
            return None
        except (IntegrityViolation, ReplayDivergence, OriginatorVersionError, MapperDeserialisationError) as error:
            # Its stored history does not hold: no command, and no view of it, goes on.
            raise CaseBroken(
                f"case {number} cannot be loaded, its stored history is damaged: {error}; "
                f"`okno audit verify {number}` gives the full verdict"
            ) from None
        if not isinstance(case, Case):
            return None
        self.ensure_version(case.process_version)
        return case

    def _load(self, case_id: UUID) -> Any:
        try:
            return self.store.repository.get(case_id)
        except UnknownProcessVersion:
            # Rebuilding the case replays its inputs, which needs its pinned version: a
            # process that has not met this version yet loads it from the store first.
            first = next(iter(self.store.events.get(case_id, lte=1)), None)
            if not isinstance(first, Case.Opened):
                raise
            self.ensure_version(first.process_version)
            return self.store.repository.get(case_id)

    def _handle(self, number: str, command: Command, actor: str, at: datetime, idempotency_key: str | None) -> Case:
        """Every command on an existing case comes here: decided on the case, recorded as
        the event its command names (CASE_EVENTS), saved alone or with its group."""

        def decide() -> tuple[Case, Step | None]:
            return self._decide(number, command, actor, at, idempotency_key)

        group = self._group.get()
        case, step = decide()
        if group is None:
            if step is None or self._shared_commit(case):
                return case
            return self._decide_alone(decide)

        def redo(outcome: Outcome) -> None:  # after a conflict: decided again on the newest case
            again, made = decide()
            if made is not None:
                self._save_case(again)
            _settle(outcome, again, made.effects if made is not None else None)

        outcome = group.add(number, redo)
        _settle(outcome, case, step.effects if step is not None else None)
        if step is not None:
            group.cases[case.id] = case
        return case

    def _decide_alone(self, decide: Callable[[], tuple[Case, Step | None]]) -> Case:
        """After a shared batch conflicted and wrote nothing: decided again on the newest
        case and saved alone, as a group's redo is. Requests on one case that met in a batch
        retry alone at the same moment, so one may lose once more: it decides again, up to
        ALONE_ATTEMPTS times, then its caller is told of the conflict."""
        for _ in range(ALONE_ATTEMPTS - 1):
            case, step = decide()
            if step is None:
                return case
            try:
                self._save_case(case)
                return case
            except ConcurrencyConflict:
                continue
        case, step = decide()
        if step is not None:
            self._save_case(case)
        return case

    def _decide(
        self, number: str, command: Command, actor: str, at: datetime, idempotency_key: str | None
    ) -> tuple[Case, Step | None]:
        """The case with this command's event recorded (not saved) and its step, or the case
        and None when the command was already done under its idempotency key."""
        case = self.get_case(number)
        sealing = self._sealing(case.process_version, case.id)
        if case.already_did(actor, idempotency_key, command, sealing):
            return case, None
        if not case.is_open and not command.closed_ok:
            raise CaseClosed(f"case {number} is {case.status}: it takes no more input")
        if at < case.modified_on:
            raise InvalidInput(
                f"time {at.isoformat()} is before the case's last event ({case.modified_on.isoformat()})"
            )
        step = self.steps.next(case, command, at)
        case.record(
            CASE_EVENTS[type(command)],
            command,
            step,
            actor=actor,
            at=at,
            idempotency_key=idempotency_key,
            sealing=sealing,
            signer=self.signer,
        )
        return case, step

    def _sealing(self, version: str, case_id: UUID, seal: FieldSeal | None = None) -> Sealing:
        """What a case's events record in place of its personal values: each sealed under
        the case's key (engine.sealed_fields; ``seal``: a new case's, not stored yet). A
        case whose key was shredded takes no more personal values: they could only be
        stored in clear."""
        names = self.steps.personal(version)
        if not names:
            return as_is
        seal = seal or self.vault.field_seal(case_id)
        if seal is None:

            def refuse(tree: Any) -> Any:
                if mentions(tree, names):
                    raise PersonalDataError(f"the case's personal data was shredded: it takes no more ({case_id})")
                return tree

            return refuse
        return lambda tree: seal.seal(tree, names)

    def _save_case(self, case: Case) -> None:
        version = case.version - len(case.pending_events)
        try:
            self.store.save(case)
        except IntegrityError:
            raise ConcurrencyConflict(case.number, version) from None
        self._remember(case)

    # -- group commit -------------------------------------------------------------------
    def share_commits(self, most: int = 200) -> GroupCommitter:
        """From now on, commands from concurrent threads (a server's requests) share durable
        commits: each decides alone and its case is saved with whatever other threads have
        queued meanwhile, in one transaction (engine.group_commit.GroupCommitter)."""
        self.committer = GroupCommitter(self.store.save, IntegrityError, most)
        return self.committer

    def _shared_commit(self, case: Case) -> bool:
        """Save a decided case: alone, or through the shared committer. False when the
        shared batch hit a conflict and nothing of it was written (decide again alone)."""
        if self.committer is None:
            self._save_case(case)
            return True
        if not self.committer.commit(case):
            return False
        self._remember(case)
        return True

    @contextmanager
    def group_commit(self) -> Iterator[Group]:
        """Commands run inside the block are decided as always and saved together in one
        transaction when it ends (see engine.group_commit). A group opened inside another
        joins it."""
        outer = self._group.get()
        if outer is not None:
            yield outer
            return
        group = Group()
        token = self._group.set(group)
        try:
            yield group
        except BaseException as error:
            self._group.reset(token)
            for outcome in group.outcomes:  # nothing of the group is written
                if outcome.error is None:
                    outcome.case, outcome.version, outcome.effects = None, None, None
                    outcome.error = error if isinstance(error, Exception) else None
            raise
        self._group.reset(token)
        self._commit(group)

    def _commit(self, group: Group) -> None:
        pending = group.pending
        if pending:
            try:
                self.store.save(*pending)
            except IntegrityError:
                # Another writer moved one of the cases: nothing of the group was written.
                # Each command runs again alone, deciding on the newest state.
                group.retried = True
                for outcome in group.outcomes:
                    if outcome.redo is None or outcome.error is not None:
                        continue  # refused when decided: it changed nothing then, nor now
                    outcome.case, outcome.version, outcome.effects = None, None, None
                    try:
                        outcome.redo(outcome)
                    except (OknoError, PersistenceError) as error:
                        outcome.error = error
                return
            except Exception as error:
                for outcome in group.outcomes:
                    if outcome.error is None:
                        outcome.case, outcome.version, outcome.effects = None, None, None
                        outcome.error = error
                raise
        for case in pending:
            self._remember(case)

    def _remember(self, case: Case) -> None:
        """Put the just-saved case in the repository's cache. With fast-forwarding on
        (several processes may write), the library caches only what it loads, so the
        next command would re-apply the event this one just computed."""
        cache = self.store.repository.cache
        if cache is not None:
            cache.put(case.id, deepcopy(case))
        self.pinned.remember(case.number, case.process_version)  # saved: its version is known for good

    def _save(self, *aggregates: Any) -> None:
        pending = [a for a in aggregates if a.pending_events]
        if not pending:
            return
        try:
            self.store.save(*pending)
        except IntegrityError:
            raise ConcurrencyConflict("directory", pending[0].version) from None


def _settle(outcome: Outcome, case: Case, effects: dict[str, Any] | None) -> None:
    outcome.case = case
    outcome.version = case.version if effects is not None else None
    outcome.effects = effects


EngineFactory = Callable[[StoreConfig], Engine]


@dataclass
class CaseSummary:
    number: str
    service: str
    office: str
    status: str
    opened_at: datetime
    last_at: datetime


def scan_cases(engine: Engine, page: int = 1000, unreadable: set[UUID] | None = None) -> dict[str, CaseSummary]:
    """Every case in the store, folded from the notification log.

    A stop-gap for the demo and `audit verify --all` until the read models land: it
    decodes every case event once, which is fast (tens of thousands per second) but
    grows with the store. A row that does not decode is passed over, its case's id added
    to ``unreadable``.
    """
    from eventsourcing.utils import get_topic

    topics = [get_topic(event) for event in CASE_EVENTS.values()]
    found: dict[UUID, CaseSummary] = {}
    start: int | None = None
    while True:
        batch = engine.store.recorder.select_notifications(start, page, topics=topics, inclusive_of_start=start is None)
        for notification in batch:
            try:
                event = engine.store.mapper.to_domain_event(notification)
            except MapperDeserialisationError:  # a damaged row: verify gives its case the verdict
                if unreadable is not None:
                    unreadable.add(UUID(str(notification.originator_id)))
                continue
            if isinstance(event, Case.Opened):
                found[event.originator_id] = CaseSummary(
                    event.number, event.service, event.office, OPEN, event.timestamp, event.timestamp
                )
            summary = found.get(event.originator_id)
            if summary is None or not isinstance(event, Case.Event):
                continue
            summary.last_at = event.timestamp
            summary.status, _ = status_after(summary.status, None, event)
        if len(batch) < page:
            break
        start = batch[-1].id
    if unreadable is not None:  # a case found by its opening gets its verdict by its number
        unreadable.difference_update(found)
    return {summary.number: summary for summary in found.values()}
