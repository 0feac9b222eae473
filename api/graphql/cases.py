"""Cases: what offices, integrators and auditors read, and what citizens track."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar, cast
from urllib.parse import quote

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from api.context import Context
from api.graphql import read_model_check
from api.graphql.directory import Office, Service
from api.graphql.enums import CaseState, Channel
from api.graphql.jobs import Job
from api.graphql.messages import MessageContract
from api.graphql.read_model_check import ReadModelCheck
from api.graphql.relay import Connection, Node, global_id
from api.graphql.tasks import Task
from api.graphql.views import from_view
from engine.replay import history
from projections import directory
from projections.case_queries import CaseRow, TaskRow, tasks_of_cases
from projections.case_queries import CaseStatus as CaseStatusView
from projections.case_queries import Stage as StageRow
from projections.jobs import JobRow, jobs_of_cases
from projections.reader import Reader

PERSONAL_DATA_ROLES = ("operator", "expert", "supervisor", "auditor")
HISTORY_ROLES = ("auditor", "supervisor", "operator", "expert")
DIAGRAM_ROLES = ("operator", "expert", "supervisor", "auditor", "integrator")  # as /cases/{number}/diagram.svg


@strawberry.type
class Stage(StageRow):
    pass


@strawberry.type(description="One recorded event: the input that came from outside and its effects.")
class HistoryEvent:
    version: int
    kind: str
    at: str
    actor: str
    input: JSON
    effects: JSON
    data_change: JSON = strawberry.field(description='{"set": {name: value}, "removed": [name]}')


@strawberry.type(description="Personal data of the applicant; every read is recorded for auditors.")
class Applicant:
    full_name: str | None
    document: str | None
    phone: str | None = strawberry.field(description="E.164, as stored: +79041234567.")
    email: str | None
    shredded: bool = strawberry.field(description="True when retention removed the case's key.")
    birth_date: str | None = strawberry.field(default=None, description="YYYY-MM-DD.")
    snils: str | None = strawberry.field(default=None, description="000-000-000 00.")
    passport_series: str | None = strawberry.field(default=None, description="4 digits.")
    passport_number: str | None = strawberry.field(default=None, description="6 digits.")


@strawberry.type(description="A recorded read of an applicant's personal data.")
class PersonalDataRead:
    at: str
    actor: str
    role: str
    purpose: str


@strawberry.type(
    description="The case's process model and where the case is in it, for a client that draws the "
    "model itself (as bpmn-js does): the same marks as diagramUrl's SVG."
)
class CaseDiagram:
    xml: str = strawberry.field(description="The process's BPMN XML, exactly as deployed (with its diagram).")
    passed: list[str] = strawberry.field(description="Ids of the elements the case has gone through.")
    active: list[str] = strawberry.field(description="Ids of the elements the case is at now.")


@strawberry.type
class Case(CaseRow, Node):
    stages: Sequence[Stage]  # the row's stages, published as the GraphQL type that extends them
    channel: Channel  # type: ignore[assignment]  # the row's text, as its enum
    status: CaseState  # type: ignore[assignment]  # the row's text, as its enum
    deadline: str | None = strawberry.field(description="Regulated deadline (date), in working days.")
    next_action: str = strawberry.field(description="What the citizen has to do next.")
    ready_day: str | None = strawberry.field(
        default=None,
        description="The day the result was first ready (waiting at the window to be handed out, or the case "
        "closed): the regulated term is met when this is on or before `deadline`.",
    )
    read_tasks: strawberry.Private[list[Task] | None] = None
    as_of: strawberry.Private[datetime | None] = None  # read as of this moment (the row rebuilt from the events)
    read_jobs: strawberry.Private[list[Job] | None] = None  # as they stood at asOf; None: today's, loaded

    @classmethod
    def of(cls, row: CaseRow, tasks: list[TaskRow] | None = None, jobs: list[JobRow] | None = None) -> Case:
        """The case from its row. ``tasks``: its tasks read with the row, from the same snapshot
        (``case_with_tasks``) or the same moment (asOf), so the case's version, stage and tasks
        agree; without them, ``tasks`` loads them apart (a page of cases, in one query)."""
        return from_view(
            cls,
            row,
            id=global_id("Case", row.number),
            channel=Channel(row.channel),
            status=CaseState(row.status),
            read_tasks=None if tasks is None else [Task.of(t) for t in tasks],
            read_jobs=None if jobs is None else [Job.of(j) for j in jobs],
        )

    @strawberry.field(
        description="The case's process drawn as SVG, path taken and current tasks highlighted "
        "(GET with the same bearer token)."
    )
    def diagram_url(self) -> str:
        return f"/cases/{quote(self.number)}/diagram.svg"

    @strawberry.field(
        description="The case's process model with the path taken and the current elements, as the case "
        "is now even when read with asOf (the case office's staff, auditors, integrators: as diagramUrl)."
    )
    def diagram(self, info: strawberry.Info[Context, None]) -> CaseDiagram:
        info.context.who.require(*DIAGRAM_ROLES, office=self.office_code)
        found = info.context.services.engine.case_diagram(self.number)
        return CaseDiagram(xml=found.xml, passed=sorted(found.passed), active=sorted(found.active))

    @strawberry.field
    def service(self, info: strawberry.Info[Context, None]) -> Service | None:
        found = directory.service(info.context.services.reader, self.service_code)
        return Service.of(found) if found else None

    @strawberry.field
    def office(self, info: strawberry.Info[Context, None]) -> Office | None:
        found = directory.office(info.context.services.reader, self.office_code)
        return Office.of(found) if found else None

    @strawberry.field(description="Open and claimed tasks of the case.")
    async def tasks(self, info: strawberry.Info[Context, None]) -> list[Task]:
        _not_anonymous(info)
        if self.read_tasks is not None:
            return self.read_tasks
        loader: DataLoader[str, list[Task]] = info.context.loaders["tasks_by_case"]
        return await loader.load(self.number)

    @strawberry.field(
        description="The messages the case waits for now, each with its payload schema (deliverMessage checks it)."
    )
    def awaited_messages(self, info: strawberry.Info[Context, None]) -> list[MessageContract]:
        _not_anonymous(info)
        return [MessageContract.of(c) for c in info.context.services.engine.awaited_messages(self.number)]

    @strawberry.field(description="Service tasks the case waits on (their connectors), incidents among them.")
    async def jobs(self, info: strawberry.Info[Context, None]) -> list[Job]:
        _not_anonymous(info)
        if self.read_jobs is not None:
            return self.read_jobs
        loader: DataLoader[str, list[Job]] = info.context.loaders["jobs_by_case"]
        return await loader.load(self.number)

    @strawberry.field(
        description="Every event in order, with the change it made to the case data, read from the events "
        "(never cut to the read model's version: `readModel` says where they disagree); with asOf, the events "
        "up to that moment (auditors; the case office's staff)."
    )
    def history(self, info: strawberry.Info[Context, None]) -> list[HistoryEvent]:
        info.context.who.require(*HISTORY_ROLES, office=self.office_code)
        engine = info.context.services.engine
        events = self._events(engine)
        engine.ensure_version(cast(Any, events[0]).process_version)
        return [
            HistoryEvent(
                version=h.version,
                kind=h.kind,
                at=h.timestamp.isoformat(),
                actor=h.actor,
                input=cast(JSON, h.input),
                effects=cast(JSON, h.effects),
                data_change=cast(JSON, h.data_change),
            )
            for h in history(engine.steps, events)
        ]

    @strawberry.field(
        description="Whether the lists' row of this case (version, status, stage, outcome) agrees with its events, "
        "and the read models that parked it (auditors; the case office's staff)."
    )
    def read_model(self, info: strawberry.Info[Context, None]) -> ReadModelCheck:
        info.context.who.require(*HISTORY_ROLES, office=self.office_code)
        engine = info.context.services.engine
        if self.as_of is not None:  # the row was folded from these very events
            last = self._events(engine)[-1].originator_version
            return ReadModelCheck(
                events_version=last, read_model_version=self.version, agrees=True, warning=None, parked_in=[]
            )
        return read_model_check.check(engine, info.context.services.reader, self, list(engine.case_events(self.number)))

    def _events(self, engine: Any) -> list[Any]:
        """The case's events from the store; with asOf, those up to that moment."""
        events = list(engine.case_events(self.number))
        return events if self.as_of is None else [e for e in events if e.timestamp <= self.as_of]

    @strawberry.field(description="Auditors: who read the applicant's personal data, when and why.")
    def personal_data_reads(self, info: strawberry.Info[Context, None]) -> list[PersonalDataRead]:
        info.context.who.require("auditor")
        return [
            PersonalDataRead(at=r.timestamp.isoformat(), actor=r.actor, role=r.role, purpose=r.purpose)
            for r in info.context.services.engine.personal_data_reads(self.number)
        ]

    @strawberry.field(
        description="Staff of the case's office (operators, experts, supervisors), and auditors. Recorded."
    )
    def applicant(self, info: strawberry.Info[Context, None]) -> Applicant:
        who = info.context.who
        who.require(*PERSONAL_DATA_ROLES, office=self.office_code)
        data = info.context.services.engine.read_applicant(
            self.number,
            actor=info.context.actor(),
            role=who.role,
            purpose="graphql case.applicant",
            at=info.context.services.clock(),
        )
        if data is None:
            return Applicant(full_name=None, document=None, phone=None, email=None, shredded=True)
        return Applicant(
            full_name=data.get("full_name"),
            document=data.get("document"),
            phone=data.get("phone"),
            email=data.get("email"),
            shredded=False,
            birth_date=data.get("birth_date"),
            snils=data.get("snils"),
            passport_series=data.get("passport_series"),
            passport_number=data.get("passport_number"),
        )


@strawberry.type
class CaseEdge:
    node: Case
    cursor: str


@strawberry.type
class CaseConnection(Connection):
    edges: list[CaseEdge]


@strawberry.type(description="What a citizen sees by case number and PIN; nothing personal.")
class CaseStatus(CaseStatusView):
    stages: Sequence[Stage]  # as Case.stages
    # The same enum as Case.status, so a portal compares the track with the case one way.
    status: CaseState  # type: ignore[assignment]  # the view's text, as its enum

    @classmethod
    def of(cls, view: CaseStatusView) -> CaseStatus:
        return from_view(cls, view, status=CaseState(view.status))


K = TypeVar("K")
T = TypeVar("T")


def _not_anonymous(info: strawberry.Info[Context, None]) -> None:
    """A citizen who rates a visit by number and PIN gets the case back with no token: what
    track shows is theirs, but not who holds its tasks or what its jobs were asked."""
    _ = info.context.who


def grouped_loader(
    rows_of: Callable[[Sequence[str]], dict[str, list[K]]], make: Callable[[K], T]
) -> DataLoader[str, list[T]]:
    """One query for the rows of a whole page of cases (their tasks, their jobs)."""

    async def load(numbers: Sequence[str]) -> list[list[T]]:
        found = rows_of(numbers)
        return [[make(row) for row in found[number]] for number in numbers]

    return DataLoader(load_fn=load)


def case_loaders(reader: Reader) -> dict[str, Any]:
    """The per-request DataLoaders of the case fields."""
    return {
        "tasks_by_case": grouped_loader(partial(tasks_of_cases, reader), Task.of),
        "jobs_by_case": grouped_loader(partial(jobs_of_cases, reader), Job.of),
    }
