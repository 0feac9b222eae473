"""Mutations: each maps to one engine command; each takes an optional idempotency key and
returns a union of its payload and typed errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from api.auth import OFFICE_ROLES
from api.callers import caller_key
from api.citizens import CITIZEN
from api.context import Context
from api.graphql.cases import Case
from api.graphql.errors import (
    CODE,
    ConflictError,
    Error,
    FieldError,
    NotAllowedError,
    NotFoundError,
    Problem,
    ValidationError,
    as_problem,
    attempt,
)
from api.graphql.job_workers import JobWorkerMutation
from api.graphql.reception import ReceptionMutation
from api.graphql.signals import SignalMutation
from api.graphql.viewer import SignedOut, sign_out
from engine.application import STORE_ERRORS, Engine
from engine.bpmn.sources import SourceFile
from engine.case import Case as StoredCase
from engine.errors import InvalidInput, NotFound, OknoError
from engine.reception_desk import Reception, split_code
from projections import case_queries
from projections.case_queries import CaseRow, TaskRow
from projections.outbox import acknowledged_with


@strawberry.type
class CasePayload:
    case: Case


@strawberry.type
class OpenCasePayload:
    case: Case
    pin: str = strawberry.field(description="Hand it to the citizen: with the number it tracks the case.")


@strawberry.type
class ProcessVersion:
    process_id: str
    version: str
    new: bool


@strawberry.type
class DeployPayload:
    versions: list[ProcessVersion]


@strawberry.type
class ModelProblem:
    file: str
    line: int
    element: str
    message: str


@strawberry.type(
    description="The model was not deployed (code model_invalid); every problem found is listed, "
    "each also as a field error on the file it is in."
)
class DeployProblems(Error):
    code: str = strawberry.field(default="model_invalid", description=CODE)
    problems: list[ModelProblem]


Errors = ValidationError | NotFoundError | NotAllowedError | ConflictError
CaseResult = Annotated[CasePayload | Errors, strawberry.union("CaseResult")]
OpenCaseResult = Annotated[OpenCasePayload | Errors, strawberry.union("OpenCaseResult")]
DeployResult = Annotated[DeployPayload | DeployProblems | Errors, strawberry.union("DeployResult")]


@strawberry.input(
    description="Every field is checked and every problem reported at once (ValidationError.fields, "
    "with a code each); what passes is stored normalised. A blank optional field is not given."
)
class ApplicantInput:
    full_name: str = strawberry.field(description="Letters, spaces, hyphens, apostrophes and dots; not blank.")
    document: str | None = strawberry.field(
        default=None, description="Another identity document, free text (a Russian passport: passportSeries/Number)."
    )
    phone: str | None = strawberry.field(
        default=None, description="Any valid number; Russian without a country code. Stored in E.164 (+79041234567)."
    )
    email: str | None = None
    birth_date: str | None = strawberry.field(
        default=None, description="YYYY-MM-DD; not in the future, at most 130 years ago."
    )
    snils: str | None = strawberry.field(
        default=None, description="11 digits with a valid check number; stored as 000-000-000 00."
    )
    passport_series: str | None = strawberry.field(
        default=None, description="Russian internal passport: 4 digits (with passportNumber)."
    )
    passport_number: str | None = strawberry.field(
        default=None, description="Russian internal passport: 6 digits (with passportSeries)."
    )


@strawberry.input
class OpenCaseInput:
    service_code: str
    office_id: str
    channel: str
    applicant: ApplicantInput
    data: JSON | None = None
    idempotency_key: str | None = None
    ticket_id: str | None = strawberry.field(
        default=None,
        description="The visitor's ticket, called to a window: "
        "opening the case ends the visit (staff only; the case's channel is "
        "then the office's window).",
    )


@strawberry.input
class TaskInput:
    case_number: str
    task_id: str
    idempotency_key: str | None = None


@strawberry.input
class ReassignTaskInput:
    case_number: str
    task_id: str
    holder: str = strawberry.field(
        description="Who gets the task, as Task.holder shows staff: OFFICE/subject, of the case's office."
    )
    idempotency_key: str | None = None


@strawberry.input
class CompleteTaskInput:
    case_number: str
    element: str = strawberry.field(description="The BPMN element id of the task.")
    data: JSON
    task_id: str | None = None
    idempotency_key: str | None = None


@strawberry.input(
    description="An answer for a case: name the case by its number, or by the reference the agency "
    "gave when it acknowledged the request (as an agency's own answer carries it)."
)
class DeliverMessageInput:
    case_number: str | None = None
    reference: str | None = strawberry.field(
        default=None,
        description="The agency's reference from acknowledgeMessage: the answer is correlated to that request's case.",
    )
    name: str = strawberry.field(description="The BPMN message name, e.g. rosreestr_decision.")
    payload: JSON = strawberry.field(
        description="Checked against the message's contract (Case.awaitedMessages, Service.messages): a payload "
        "that breaks it is a ValidationError with code message_payload, its fields naming each problem "
        "(input.payload.decision), and nothing is recorded."
    )
    idempotency_key: str | None = None


@strawberry.input
class WithdrawCaseInput:
    case_number: str
    reason: str
    idempotency_key: str | None = None


@strawberry.input
class RateVisitInput:
    case_number: str
    waiting_time: int
    staff: int
    premises: int
    information: int
    pin: str | None = strawberry.field(
        default=None,
        description="The case's PIN from the receipt: without a token, the citizen rates with the number and it "
        "(counted as track counts its attempts).",
    )
    idempotency_key: str | None = None


@strawberry.input
class AcknowledgeMessageInput:
    case_number: str
    message: int = strawberry.field(description="The message's number within the case (outbox.message).")
    reference: str = strawberry.field(description="The agency's own reference for what it received.")
    idempotency_key: str | None = None


@strawberry.input
class NotificationSentInput:
    key: str


@strawberry.type
class NotificationSentPayload:
    key: str
    sent_at: str


NotificationSentResult = Annotated[NotificationSentPayload | Errors, strawberry.union("NotificationSentResult")]


@strawberry.input
class SourceFileInput:
    name: str
    text: str


@strawberry.input
class DeployProcessInput:
    files: list[SourceFileInput]
    idempotency_key: str | None = None


def _case(info: strawberry.Info[Context, None], number: str) -> Case:
    """The case after a command, as the read models show it (read your own write). The
    command's event is stored by now, so nothing here may turn the answer into an error:
    when the read models cannot show this version (a refresh failed, the case is parked for
    the cases model, a read failed) the case is answered from its stored events instead."""
    services = info.context.services
    services.refresh()
    stored: StoredCase | None = None
    found: tuple[CaseRow, list[TaskRow]] | None = None
    try:
        stored = services.engine.get_case(number)  # the command just loaded it: from the cache
        found = case_queries.case_with_tasks(services.reader, number)
    except STORE_ERRORS:
        pass  # the database went away after the save: answer from what could be read
    if found is not None and (stored is None or found[0].version >= stored.version):
        return Case.of(*found)
    if stored is not None:
        return _from_events(stored)
    raise RecordedButUnreadable(number)


class RecordedButUnreadable(OknoError):
    """The command's event is stored, but neither the case nor its row can be read back now."""

    code = "recorded_not_readable"

    def __init__(self, number: str) -> None:
        super().__init__(
            f"the command on case {number} was recorded, but the case cannot be read back now "
            "(the database is unreachable): query it again shortly; do not resend the command "
            "without its idempotency key"
        )


def _from_events(case: StoredCase) -> Case:
    """The case as its own events say, for when the read models lag behind: what only a read
    model works out (district, stages passed, deadline, next action) is left empty."""
    done = case.status != "open"
    return Case.of(
        CaseRow(
            number=case.number,
            service_code=case.service,
            office_code=case.office,
            district="",
            channel=case.channel,
            status=case.status,
            outcome=case.outcome,
            stage=case.stage,
            stages=[],
            opened_at=case.created_on.astimezone(UTC).isoformat(),
            closed_at=case.modified_on.astimezone(UTC).isoformat() if done else None,
            deadline=None,
            next_action="",
            version=case.version,
        )
    )


STAFF = ("operator", "supervisor")  # the front desk: open, withdraw
TASK_STAFF = OFFICE_ROLES  # operator, expert, supervisor: who works user tasks (each task narrows it by role)
# Who works a task, as the schema tells integrators (the rule is engine/staff.py's).
WHO_WORKS = (
    "(Task.role: the model's candidate groups, as in Camunda). A task naming no staff role is open to "
    "all staff of the office. Supervisors work a task only when it names them; they reassign and "
    "release any task's claim."
)
CaseCommand = Callable[[Engine, str, datetime], object]


def _on_case(
    info: strawberry.Info[Context, None], number: str, roles: tuple[str, ...], command: CaseCommand
) -> CasePayload | Problem:
    """One command on one case: check the caller's role (and office, for staff), run it
    with the caller as actor at the server's time, answer with the case as it now is."""

    def run() -> CasePayload:
        services = info.context.services
        info.context.who.require(*roles, office=services.engine.get_case(number).office)
        command(services.engine, info.context.actor(), services.clock())
        return CasePayload(case=_case(info, number))

    return attempt(run)


def _rated_by_citizen(
    info: strawberry.Info[Context, None], number: str, pin: str, scores: dict[str, int], key: str | None
) -> CasePayload | Problem:
    """A rating without a token: the number and PIN open it as they open `track` (the same
    attempts, so rating is no way around track's lockout)."""

    def run() -> CasePayload:
        services = info.context.services
        now = services.clock()
        services.tracking.track(number, pin, now, caller_key(None, info.context.request))
        services.engine.rate_case(number, scores, actor=CITIZEN, at=now, idempotency_key=key)
        return CasePayload(case=_case(info, number))

    return attempt(run)


def _correlated(info: strawberry.Info[Context, None], number: str | None, reference: str | None) -> str:
    """The case an answer is for: its number, or the case whose request the agency
    acknowledged under ``reference``."""
    if reference is None:
        if number is None:
            raise InvalidInput("name the case: caseNumber, or the agency's reference", field="case_number")
        return number
    info.context.services.refresh()
    found = acknowledged_with(info.context.services.reader, reference)
    if not found:
        raise NotFound(f"no request was acknowledged with reference {reference!r}")
    if len(found) > 1:
        raise InvalidInput(
            f"reference {reference!r} was given to requests of {len(found)} cases: name the case", field="case_number"
        )
    if number is not None and number != found[0]:
        raise InvalidInput(f"reference {reference!r} belongs to case {found[0]}, not {number}", field="reference")
    return found[0]


def _json_object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object", field=what)
    return cast(dict[str, Any], value)


def _open_at_window(
    info: strawberry.Info[Context, None], input: OpenCaseInput, applicant: dict[str, str]
) -> OpenCasePayload:
    """A case opened for the visitor called to the window: the visit ends with it."""
    assert input.ticket_id is not None
    info.context.who.require(*STAFF, office=input.office_id)
    office = split_code(input.ticket_id)[0]
    if office != input.office_id:
        raise InvalidInput(f"ticket {input.ticket_id} is office {office}'s, not {input.office_id}'s", field="ticket_id")
    services = info.context.services
    case = Reception(services.engine).open_case(
        input.ticket_id,
        applicant=applicant,
        actor=info.context.actor(),
        at=services.clock(),
        service=input.service_code,
        data=_json_object(input.data, "data"),
        idempotency_key=input.idempotency_key,
    )
    return OpenCasePayload(case=_case(info, case.number), pin=services.engine.vault.pin(case.id))


@strawberry.type
class Mutation(ReceptionMutation, JobWorkerMutation, SignalMutation):
    @strawberry.mutation(description="Integrators; operators and supervisors in their own office.")
    def open_case(self, info: strawberry.Info[Context, None], input: OpenCaseInput) -> OpenCaseResult:
        def run() -> OpenCasePayload:
            info.context.who.require("integrator", "operator", "supervisor", office=input.office_id)
            services = info.context.services
            applicant = {k: v for k, v in vars(input.applicant).items() if v is not None}
            if input.ticket_id is not None:
                return _open_at_window(info, input, applicant)
            case = services.engine.open_case(
                service=input.service_code,
                office=input.office_id,
                channel=input.channel,
                applicant=applicant,
                actor=info.context.actor(),
                at=services.clock(),
                data=_json_object(input.data, "data"),
                idempotency_key=input.idempotency_key,
            )
            return OpenCasePayload(case=_case(info, case.number), pin=services.engine.vault.pin(case.id))

        return attempt(run)

    @strawberry.mutation(description="Staff of the case's office whose role the task names " + WHO_WORKS)
    def claim_task(self, info: strawberry.Info[Context, None], input: TaskInput) -> CaseResult:
        role = info.context.who.role if info.context.principal else None
        return _on_case(
            info,
            input.case_number,
            TASK_STAFF,
            lambda engine, actor, at: engine.claim_task(
                input.case_number, input.task_id, actor=actor, at=at, role=role, idempotency_key=input.idempotency_key
            ),
        )

    @strawberry.mutation(
        description="The task's holder lets it go; a supervisor of the case's office may release anyone's claim."
    )
    def release_task(self, info: strawberry.Info[Context, None], input: TaskInput) -> CaseResult:
        role = info.context.who.role if info.context.principal else None
        return _on_case(
            info,
            input.case_number,
            TASK_STAFF,
            lambda engine, actor, at: engine.release_task(
                input.case_number, input.task_id, actor=actor, at=at, role=role, idempotency_key=input.idempotency_key
            ),
        )

    @strawberry.mutation(
        description="Supervisors of the case's office: give an open task to a member of its staff (holder: "
        "OFFICE/subject). Recorded as one event; whoever held the task loses it. The new holder still "
        "completes it only if their role is one the task names."
    )
    def reassign_task(self, info: strawberry.Info[Context, None], input: ReassignTaskInput) -> CaseResult:
        def reassign(engine: Engine, actor: str, at: datetime) -> object:
            office = engine.get_case(input.case_number).office
            if not input.holder.startswith(f"{office}/") or not input.holder[len(office) + 1 :].strip():
                raise InvalidInput(f"holder must be staff of office {office}: {office}/<subject>")
            return engine.reassign_task(
                input.case_number,
                input.task_id,
                input.holder,
                actor=actor,
                at=at,
                role=info.context.who.role,
                idempotency_key=input.idempotency_key,
            )

        return _on_case(info, input.case_number, ("supervisor",), reassign)

    @strawberry.mutation(
        description="Staff of the case's office whose role the task names " + WHO_WORKS + " A claimed task "
        "is completed only by its holder: anyone else is refused (NotAllowedError) before the data is read. "
        "Completing an unclaimed task claims it for the caller in the same event, so the case's history "
        "shows who completed it (effects.claims, input.holder)."
    )
    def complete_task(self, info: strawberry.Info[Context, None], input: CompleteTaskInput) -> CaseResult:
        role = info.context.who.role if info.context.principal else None
        return _on_case(
            info,
            input.case_number,
            TASK_STAFF,
            lambda engine, actor, at: engine.complete_task(
                input.case_number,
                input.element,
                _json_object(input.data, "data"),
                actor=actor,
                at=at,
                task=input.task_id,
                role=role,
                idempotency_key=input.idempotency_key,
            ),
        )

    @strawberry.mutation(description="Integrators (agency gateways): an agency's answer or any BPMN message.")
    def deliver_message(self, info: strawberry.Info[Context, None], input: DeliverMessageInput) -> CaseResult:
        try:
            info.context.who.require("integrator")  # before a reference says which case it is
            number = _correlated(info, input.case_number, input.reference)
        except OknoError as error:
            return as_problem(error)
        return _on_case(
            info,
            number,
            ("integrator",),
            lambda engine, actor, at: engine.deliver_message(
                number,
                input.name,
                _json_object(input.payload, "payload"),
                actor=actor,
                at=at,
                idempotency_key=input.idempotency_key,
            ),
        )

    @strawberry.mutation(description="Integrators (on the citizen's request); staff of the case's office.")
    def withdraw_case(self, info: strawberry.Info[Context, None], input: WithdrawCaseInput) -> CaseResult:
        return _on_case(
            info,
            input.case_number,
            ("integrator", *STAFF),
            lambda engine, actor, at: engine.withdraw_case(
                input.case_number, input.reason, actor=actor, at=at, idempotency_key=input.idempotency_key
            ),
        )

    @strawberry.mutation(description="Integrators (agency gateways): the agency received a message the case sent.")
    def acknowledge_message(self, info: strawberry.Info[Context, None], input: AcknowledgeMessageInput) -> CaseResult:
        return _on_case(
            info,
            input.case_number,
            ("integrator",),
            lambda engine, actor, at: engine.acknowledge_message(
                input.case_number,
                input.message,
                input.reference,
                actor=actor,
                at=at,
                idempotency_key=input.idempotency_key,
            ),
        )

    @strawberry.mutation(
        description="Integrators (terminals, portal, call centre): a citizen's rating, 1–5 each; the citizen "
        "without a token, with the case's PIN."
    )
    def rate_visit(self, info: strawberry.Info[Context, None], input: RateVisitInput) -> CaseResult:
        scores = {
            "waiting_time": input.waiting_time,
            "staff": input.staff,
            "premises": input.premises,
            "information": input.information,
        }
        if info.context.principal is None and input.pin is not None:
            return _rated_by_citizen(info, input.case_number, input.pin, scores, input.idempotency_key)
        return _on_case(
            info,
            input.case_number,
            ("integrator",),
            lambda engine, actor, at: engine.rate_case(
                input.case_number, scores, actor=actor, at=at, idempotency_key=input.idempotency_key
            ),
        )

    @strawberry.mutation(
        description="Supervisors of the case's office: run an incident's job again, with fresh "
        "attempts (after what made its connector fail is fixed)."
    )
    def retry_incident(self, info: strawberry.Info[Context, None], input: TaskInput) -> CaseResult:
        return _on_case(
            info,
            input.case_number,
            ("supervisor",),
            lambda engine, actor, at: engine.retry_incident(
                input.case_number, input.task_id, actor=actor, at=at, idempotency_key=input.idempotency_key
            ),
        )

    @strawberry.mutation(
        description="Integrators (SMS and mail gateways): a notification went out. Marking it "
        "again keeps the first time."
    )
    def mark_notification_sent(
        self, info: strawberry.Info[Context, None], input: NotificationSentInput
    ) -> NotificationSentResult:
        def run() -> NotificationSentPayload:
            info.context.who.require("integrator")
            services = info.context.services
            sent_at = services.engine.notifications.mark_sent(input.key, services.clock())
            if sent_at is None:
                raise NotFound(f"no notification has key {input.key!r}")
            return NotificationSentPayload(key=input.key, sent_at=sent_at)

        return attempt(run)

    @strawberry.mutation(
        description="Anyone with a token: ends its use. The caller's own token is revoked (as `okno token "
        "revoke` does), so a copy of it is refused too; the pages call it when staff sign out."
    )
    def sign_out(self, info: strawberry.Info[Context, None]) -> SignedOut:
        return sign_out(info)

    @strawberry.mutation(description="Analysts: BPMN (and DMN) text in; the versions, or every problem, out.")
    def deploy_process(self, info: strawberry.Info[Context, None], input: DeployProcessInput) -> DeployResult:
        def run() -> DeployPayload | DeployProblems:
            info.context.who.require("analyst")
            services = info.context.services
            report = services.engine.deploy([SourceFile(f.name, f.text) for f in input.files], services.clock())
            if not report.ok:
                files = {f.name: index for index, f in enumerate(input.files)}
                return DeployProblems(
                    message=f"the model was not deployed: {len(report.problems)} problem(s)",
                    fields=[
                        FieldError(
                            field=f"input.files[{files[p.file]}].text" if p.file in files else "input.files",
                            message=f"line {p.line}, {p.element}: {p.message}" if p.element else p.message,
                        )
                        for p in report.problems
                    ],
                    problems=[
                        ModelProblem(file=p.file, line=p.line, element=p.element, message=p.message)
                        for p in report.problems
                    ],
                )
            return DeployPayload(
                versions=[
                    ProcessVersion(process_id=d.process_id, version=d.version, new=d.new) for d in report.deployed
                ]
            )

        result: DeployPayload | DeployProblems | Problem = attempt(run)
        return result
