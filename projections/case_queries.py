"""Cases and their user tasks as the cases read model holds them: one case, a page of
cases or of an office's work list, a page of cases' tasks at once, a citizen's status."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.case_status import COMPLETED, OPEN, WITHDRAWN
from engine.errors import InvalidInput
from engine.input_checks import CODE, LINE, Maybe, check, checked
from projections.paging import Keyset, Page, keyset_page
from projections.reader import Reader


@dataclass
class Stage:
    stage: str
    since: str  # when the case entered it (UTC, ISO 8601)


@dataclass
class CaseRow:
    number: str
    service_code: str
    office_code: str
    district: str
    channel: str
    status: str
    outcome: str | None
    stage: str | None
    stages: Sequence[Stage]
    opened_at: str
    closed_at: str | None
    deadline: str | None  # the regulated deadline (a date), in working days
    next_action: str  # what the citizen has to do next
    version: int
    ready_day: str | None = None  # when the result was first ready to hand out (or the case closed)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CaseRow:
        return cls(
            number=row["number"],
            service_code=row["service"],
            office_code=row["office"],
            district=row["district"],
            channel=row["channel"],
            status=row["status"],
            outcome=row["outcome"],
            stage=row["stage"],
            stages=_stages(row["stages"]),
            opened_at=row["opened_at"],
            closed_at=row["closed_at"],
            deadline=row["deadline"],
            next_action=row["next_action"],
            version=row["version"],
            ready_day=row.get("ready_day"),
        )


@dataclass
class TaskRow:
    task_id: str
    case_number: str
    office: str
    element: str  # the BPMN element id of the task
    name: str
    role: str | None
    state: str  # open, claimed or completed
    holder: str | None
    opened_at: str
    due_day: str | None
    completed_by: str | None = None  # who (or what: a timer, a withdrawal) closed it
    completed_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TaskRow:
        return cls(
            task_id=row["task_id"],
            case_number=row["case_number"],
            office=row["office"],
            element=row["element"],
            name=row["name"],
            role=row["role"],
            state=row["state"],
            holder=row["holder"],
            opened_at=row["opened_at"],
            due_day=row["due_day"],
            completed_by=row.get("completed_by"),
            completed_at=row.get("completed_at"),
        )


@dataclass
class CaseStatus:
    """What a citizen sees by case number and PIN: nothing personal."""

    number: str
    service: str
    office: str
    status: str
    outcome: str | None
    stage: str | None
    stages: Sequence[Stage]
    opened_at: str
    expected_completion: str | None
    next_action: str


CASES_NEWEST_FIRST = Keyset(("opened_at", "number"), (str, str), descending=True)
TASKS_OLDEST_FIRST = Keyset(("opened_at", "task_id"), (str, str))
# The orders a work list is read in; each is its own keyset, so a cursor holds its sort key.
TASK_SORTS = {
    "created_asc": TASKS_OLDEST_FIRST,
    "created_desc": Keyset(("opened_at", "task_id"), (str, str), descending=True),
    "due_asc": Keyset(("due_key", "task_id"), (str, str)),  # a task without a due day comes last
    "due_desc": Keyset(("due_key", "task_id"), (str, str), descending=True),
}
TASK_STATES = ("open", "claimed", "completed")  # completed tasks are kept apart (rm_done_tasks)
CASE_STATES = (OPEN, COMPLETED, WITHDRAWN)


def case(reader: Reader, number: str) -> CaseRow | None:
    found = reader.rows("SELECT * FROM rm_cases WHERE number = ?", (number,))
    return CaseRow.from_row(found[0]) if found else None


def case_with_tasks(reader: Reader, number: str) -> tuple[CaseRow, list[TaskRow]] | None:
    """A case's row and its open and claimed tasks (oldest first), from one snapshot: the
    tasks are those of the row's version (read apart, a commit of the projector between the
    two queries would pair a new task with the old stage and version)."""

    def read(snapshot: Reader) -> tuple[CaseRow, list[TaskRow]] | None:
        row = case(snapshot, number)
        return None if row is None else (row, tasks_of_cases(snapshot, [number])[number])

    return reader.consistent(read)


@dataclass(frozen=True)
class DeadlineFilter:
    """Cases by their regulated deadline, as the work list narrows tasks by due day."""

    due_before: date | None = None  # the deadline is this day or before
    overdue: bool | None = None  # the deadline is before ``today`` (False: not, or no deadline)
    today: date | None = None  # the office's today, for ``overdue``


@checked(office=Maybe(CODE), status=Maybe(CODE))
def cases(
    reader: Reader,
    office: str | None = None,
    status: str | None = None,
    *,
    first: int = 20,
    after: Sequence[Any] | None = None,
    deadline: DeadlineFilter = DeadlineFilter(),
) -> Page[CaseRow]:
    """Cases newest first, of one office and in one status if named, narrowed by deadline."""
    sql, params = "SELECT * FROM rm_cases WHERE 1 = 1", list[Any]()
    if office:
        sql += " AND office = ?"
        params.append(office)
    if status:
        sql += " AND status = ?"
        params.append(status)
    if deadline.due_before is not None:
        sql += " AND deadline <= ?"
        params.append(deadline.due_before.isoformat())
    if deadline.overdue is not None:
        sql += _overdue("deadline", deadline.overdue, deadline.today, params)
    return keyset_page(reader.rows, sql, params, CASES_NEWEST_FIRST, first, after, CaseRow.from_row)


def open_case_numbers(reader: Reader) -> list[str]:
    """The numbers of every open case, in order: what is left to work on (the demo's
    morning backlog), from the read model rather than a pass over the event log."""
    return [
        row["number"] for row in reader.rows("SELECT number FROM rm_cases WHERE status = ? ORDER BY number", (OPEN,))
    ]


def case_counts(reader: Reader) -> dict[str, int]:
    """How many cases the read model holds in each status."""
    rows = reader.rows("SELECT status, COUNT(*) AS n FROM rm_cases GROUP BY status")
    return {row["status"]: int(row["n"]) for row in rows}


def open_task_counts(reader: Reader) -> list[tuple[str, str | None, int]]:
    """How many open and claimed tasks each office holds for each role: (office, role, count)."""
    rows = reader.rows("SELECT office, role, COUNT(*) AS n FROM rm_tasks GROUP BY office, role ORDER BY office, role")
    return [(row["office"], row["role"], int(row["n"])) for row in rows]


def cases_with_tasks(
    reader: Reader,
    office: str | None = None,
    status: str | None = None,
    *,
    first: int = 20,
    after: Sequence[Any] | None = None,
    deadline: DeadlineFilter = DeadlineFilter(),
) -> tuple[Page[CaseRow], dict[str, list[TaskRow]]]:
    """A page of ``cases`` and their tasks from one snapshot, so no case on the page is
    shown at one version with the tasks of another (as ``case_with_tasks`` for one case)."""

    def read(snapshot: Reader) -> tuple[Page[CaseRow], dict[str, list[TaskRow]]]:
        page = cases(snapshot, office, status, first=first, after=after, deadline=deadline)
        return page, tasks_of_cases(snapshot, [row.number for row in page.rows])

    return reader.consistent(read)


def task(reader: Reader, task_id: str) -> TaskRow | None:
    """A task by its id, open or done."""
    found = reader.rows("SELECT * FROM rm_tasks WHERE task_id = ?", (task_id,)) or reader.rows(
        "SELECT * FROM rm_done_tasks WHERE task_id = ?", (task_id,)
    )
    return TaskRow.from_row(found[0]) if found else None


@dataclass(frozen=True)
class WorkListFilter:
    """What narrows a work list beyond its office: each one named is required of a task."""

    role: str | None = None  # the task names this role (or none at all)
    state: str | None = None  # one of TASK_STATES; none: the open and claimed ones
    service: str | None = None  # the service code of the task's case
    holder: str | None = None  # held by this actor (office/subject)
    unassigned: bool = False  # held by nobody
    due_before: date | None = None  # due on this day or before
    due_after: date | None = None  # due on this day or after
    overdue: bool | None = None  # due before ``today`` (False: not overdue, or no due day)
    today: date | None = None  # the office's today, for ``overdue``


@checked(office=CODE, role=Maybe(CODE), state=Maybe(CODE))
def work_list(
    reader: Reader,
    office: str,
    role: str | None = None,
    state: str | None = None,
    *,
    first: int = 100,
    after: Sequence[Any] | None = None,
    only: WorkListFilter = WorkListFilter(),
    sort: Keyset = TASKS_OLDEST_FIRST,
) -> Page[TaskRow]:
    """An office's open and claimed tasks (its completed ones if ``state`` is completed),
    oldest first unless ``sort`` is another of TASK_SORTS, for one role and in one state if
    named, narrowed by ``only``. A task that names no role is open to any staff of its
    office, so every role sees it; a task naming several groups (``expert,supervisor``) is
    on each one's list."""
    role, state = role or only.role, state or only.state
    if state is not None and state not in TASK_STATES:
        raise InvalidInput(f"unknown task state {state!r}; states: {', '.join(TASK_STATES)}")
    if sort not in TASK_SORTS.values():
        raise InvalidInput("a work list is sorted by one of its own orders")
    table = "rm_done_tasks" if state == "completed" else "rm_tasks"
    sql, params = f"SELECT * FROM {table} WHERE office = ?", list[Any]([office])
    if role:
        sql += " AND (role IS NULL OR role = ? OR ',' || role || ',' LIKE ? ESCAPE '!')"
        literal = role.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        params += [role, f"%,{literal},%"]
    if state and state != "completed":
        sql += " AND state = ?"
        params.append(state)
    more, values = _narrowed(only)
    return keyset_page(reader.rows, sql + more, [*params, *values], sort, first, after, TaskRow.from_row)


def _narrowed(only: WorkListFilter) -> tuple[str, list[Any]]:
    check({"service": only.service, "holder": only.holder}, {"service": Maybe(CODE), "holder": Maybe(LINE)})
    sql, params = "", list[Any]()
    if only.service is not None:
        sql += " AND case_number IN (SELECT number FROM rm_cases WHERE service = ?)"
        params.append(only.service)
    if only.holder is not None:
        sql += " AND holder = ?"
        params.append(only.holder)
    if only.unassigned:
        sql += " AND holder IS NULL"
    if only.due_before is not None:
        sql += " AND due_day <= ?"
        params.append(only.due_before.isoformat())
    if only.due_after is not None:
        sql += " AND due_day >= ?"
        params.append(only.due_after.isoformat())
    if only.overdue is not None:
        sql += _overdue("due_day", only.overdue, only.today, params)
    return sql, params


def tasks_of_cases(reader: Reader, numbers: Sequence[str]) -> dict[str, list[TaskRow]]:
    """The tasks of each of ``numbers``, oldest first, in one query (a page of cases' tasks)."""
    found: dict[str, list[TaskRow]] = {number: [] for number in numbers}
    if numbers:
        marks = ", ".join("?" for _ in numbers)
        for row in reader.rows(
            f"SELECT * FROM rm_tasks WHERE case_number IN ({marks}) ORDER BY opened_at, task_id", tuple(numbers)
        ):
            found[row["case_number"]].append(TaskRow.from_row(row))
    return found


def case_status(reader: Reader, number: str) -> CaseStatus | None:
    """The citizen's view of a case, the service and office by name. Whoever asks has shown
    the case's PIN first (api.tracking)."""
    found = reader.rows(
        "SELECT c.*, s.title AS service_title, o.name AS office_name FROM rm_cases c "
        "LEFT JOIN rm_services s ON s.code = c.service LEFT JOIN rm_offices o ON o.code = c.office "
        "WHERE c.number = ?",
        (number,),
    )
    if not found:
        return None
    row = found[0]
    return CaseStatus(
        number=row["number"],
        service=row["service_title"] or row["service"],
        office=row["office_name"] or row["office"],
        status=row["status"],
        outcome=row["outcome"],
        stage=row["stage"],
        stages=_stages(row["stages"]),
        opened_at=row["opened_at"],
        expected_completion=row["deadline"],
        next_action=row["next_action"],
    )


def _stages(text: str) -> list[Stage]:
    return [Stage(stage=s["stage"], since=s["since"]) for s in json.loads(text)]


def _overdue(column: str, overdue: bool, today: date | None, params: list[Any]) -> str:
    """The condition that a row's ``column`` (a day) is past ``today`` (or, not ``overdue``:
    not past it, or none), its parameter added to ``params``: cases and tasks alike."""
    if today is None:
        raise InvalidInput("overdue needs the office's today")
    params.append(today.isoformat())
    return f" AND {column} < ?" if overdue else f" AND ({column} IS NULL OR {column} >= ?)"
