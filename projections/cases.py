"""Cases as offices, citizens and managers see them: one row per case with its stage,
the stages passed with their dates, its regulated deadline in working days and what the
citizen has to do next; plus the services and offices the rows refer to."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.case import Case
from engine.case_status import COMPLETED, OPEN, WITHDRAWN, status_after
from engine.directory import Directory
from engine.working_days import add_working_days
from projections.base import Db

HANDOUT_HINTS = ("handout", "выдач")
CASE_COLUMNS = (
    "number",
    "case_id",
    "service",
    "office",
    "district",
    "channel",
    "status",
    "outcome",
    "stage",
    "stages",
    "opened_at",
    "opened_day",
    "closed_at",
    "closed_day",
    "deadline",
    "next_action",
    "open_tasks",
    "version",
    "ready_day",
)
TASK_COLUMNS = (
    "task_id",
    "case_number",
    "office",
    "role",
    "element",
    "name",
    "state",
    "holder",
    "opened_at",
    "due_day",
    "due_key",
)
# A closed task's row: the open one's, with who closed it and when (a node id stays
# resolvable after its task is done, and the open work list keeps only open rows).
DONE_TASK_COLUMNS = (*TASK_COLUMNS, "completed_by", "completed_at")
NO_DUE = "9999-12-31"  # the due key of a task with no due day: last when sorted by due


# The reference-data events: each one changes the rows the cases after it read.
_DIRECTORY_EVENTS = (
    Directory.CatalogPublished,
    Directory.ServicesPublished,
    Directory.ServicesRetired,
    Directory.ServicesRestored,
    Directory.OfficesRegistered,
)


def _upsert_service(db: Db, s: dict[str, Any]) -> None:
    """A published service's row, taking cases (a legacy catalog could bring back one it dropped)."""
    db.execute(
        "INSERT INTO rm_services (code, title, agency, level, term_days, process, documents, fee, popularity, "
        "reception_minutes, parameters, sources, retired) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
        "ON CONFLICT (code) DO UPDATE "
        "SET title = excluded.title, agency = excluded.agency, level = excluded.level, "
        "term_days = excluded.term_days, process = excluded.process, "
        "documents = excluded.documents, fee = excluded.fee, popularity = excluded.popularity, "
        "reception_minutes = excluded.reception_minutes, parameters = excluded.parameters, "
        "sources = excluded.sources, retired = 0",
        (
            s["code"],
            s["title"],
            s["agency"],
            s["level"],
            s["term_days"],
            s["process"],
            _json(s["documents"]),
            s["fee"],
            s.get("popularity", 1),
            # A catalog published before these existed: the defaults engine.catalog.Service has.
            s.get("reception_minutes", 15),
            _json(s.get("parameters", {})),
            _json(s.get("sources", [])),
        ),
    )


class CasesModel:
    name = "cases"
    version = 9  # bump when the tables change: the runner then rebuilds the model from zero

    def __init__(self) -> None:
        # Offices' and services' rows, read once per transaction rather than once per event.
        self._lookups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._lookups_in: Db | None = None

    def table_names(self) -> list[str]:
        return ["rm_cases", "rm_tasks", "rm_done_tasks", "rm_services", "rm_offices", "rm_ratings", "rm_complaints"]

    def tables(self, dialect: str) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS rm_services (code TEXT PRIMARY KEY, title TEXT NOT NULL, "
            "agency TEXT NOT NULL, level TEXT NOT NULL, term_days INTEGER NOT NULL, process TEXT NOT NULL, "
            "documents TEXT NOT NULL, fee INTEGER NOT NULL, popularity INTEGER NOT NULL, "
            "retired INTEGER NOT NULL DEFAULT 0, reception_minutes INTEGER NOT NULL DEFAULT 15, "
            "parameters TEXT NOT NULL DEFAULT '{}', sources TEXT NOT NULL DEFAULT '[]')",
            "CREATE TABLE IF NOT EXISTS rm_offices (code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, "
            "district TEXT NOT NULL, timezone TEXT NOT NULL, parent TEXT, windows INTEGER NOT NULL, "
            "terminals INTEGER NOT NULL DEFAULT 0)",
            "CREATE TABLE IF NOT EXISTS rm_cases (number TEXT PRIMARY KEY, case_id TEXT NOT NULL, "
            "service TEXT NOT NULL, office TEXT NOT NULL, district TEXT NOT NULL, channel TEXT NOT NULL, "
            "status TEXT NOT NULL, outcome TEXT, stage TEXT, stages TEXT NOT NULL, "
            "opened_at TEXT NOT NULL, opened_day TEXT NOT NULL, closed_at TEXT, closed_day TEXT, "
            "deadline TEXT, next_action TEXT NOT NULL, open_tasks TEXT NOT NULL, version INTEGER NOT NULL, "
            "ready_day TEXT)",
            "CREATE TABLE IF NOT EXISTS rm_tasks (task_id TEXT PRIMARY KEY, case_number TEXT NOT NULL, "
            "office TEXT NOT NULL, role TEXT, element TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, "
            "holder TEXT, opened_at TEXT NOT NULL, due_day TEXT, due_key TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_done_tasks (task_id TEXT PRIMARY KEY, case_number TEXT NOT NULL, "
            "office TEXT NOT NULL, role TEXT, element TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, "
            "holder TEXT, opened_at TEXT NOT NULL, due_day TEXT, due_key TEXT NOT NULL, "
            "completed_by TEXT NOT NULL, completed_at TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_ratings (case_number TEXT PRIMARY KEY, office TEXT NOT NULL, "
            "service TEXT NOT NULL, rated_day TEXT NOT NULL, waiting_time INTEGER NOT NULL, staff INTEGER NOT NULL, "
            "premises INTEGER NOT NULL, information INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rm_complaints (complaint TEXT PRIMARY KEY, case_number TEXT NOT NULL, "
            "office TEXT NOT NULL, topic TEXT NOT NULL, filed_day TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS rm_tasks_worklist ON rm_tasks (office, role, state, opened_at)",
            # An office's whole work list in its order, and a case's tasks: without these a
            # large store sorts or scans every task per query (docs/PERFORMANCE.md).
            "CREATE INDEX IF NOT EXISTS rm_tasks_office_order ON rm_tasks (office, opened_at, task_id)",
            "CREATE INDEX IF NOT EXISTS rm_tasks_case ON rm_tasks (case_number)",
            # The work list sorted by due day, and an office's done tasks in their order.
            "CREATE INDEX IF NOT EXISTS rm_tasks_office_due ON rm_tasks (office, due_key, task_id)",
            "CREATE INDEX IF NOT EXISTS rm_done_tasks_office ON rm_done_tasks (office, opened_at, task_id)",
            "CREATE INDEX IF NOT EXISTS rm_cases_office ON rm_cases (office, status)",
            "CREATE INDEX IF NOT EXISTS rm_cases_service ON rm_cases (service, opened_day)",
            # Every later event of a case finds its row by the case id.
            "CREATE INDEX IF NOT EXISTS rm_cases_case_id ON rm_cases (case_id)",
        ]

    def apply(self, db: Db, event: Any) -> None:
        if db is not self._lookups_in or isinstance(event, _DIRECTORY_EVENTS):
            self._lookups, self._lookups_in = {}, db
        if isinstance(event, (Directory.CatalogPublished, Directory.ServicesPublished)):
            for s in event.services:
                _upsert_service(db, s)
            if isinstance(event, Directory.CatalogPublished):  # recorded before issue 19: it replaced
                named = [s["code"] for s in event.services]  # the catalog, so the others stopped
                kept = f" WHERE code NOT IN ({', '.join('?' for _ in named)})" if named else ""
                db.execute(f"UPDATE rm_services SET retired = 1{kept}", tuple(named))
        elif isinstance(event, (Directory.ServicesRetired, Directory.ServicesRestored)):
            for code in event.codes:
                db.execute(
                    "UPDATE rm_services SET retired = ? WHERE code = ?",
                    (int(isinstance(event, Directory.ServicesRetired)), code),
                )
        elif isinstance(event, Directory.OfficesRegistered):
            for o in event.offices:
                db.execute(
                    "INSERT INTO rm_offices VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
                    "name = excluded.name, kind = excluded.kind, district = excluded.district, "
                    "timezone = excluded.timezone, parent = excluded.parent, windows = excluded.windows, "
                    "terminals = excluded.terminals",
                    (
                        o["code"],
                        o["name"],
                        o["kind"],
                        o["district"],
                        o["timezone"],
                        o.get("parent"),
                        o["windows"],
                        o.get("terminals", 0),  # offices registered before terminals were counted: none
                    ),
                )
        elif isinstance(event, Case.Opened):
            self._opened(db, event)
        elif isinstance(event, Case.Event):
            self._changed(db, event)

    def _opened(self, db: Db, event: Case.Opened) -> None:
        office = self._lookup(db, "SELECT district, timezone FROM rm_offices WHERE code = ?", event.office)
        service = self._lookup(db, "SELECT term_days FROM rm_services WHERE code = ?", event.service)
        zone = ZoneInfo(office[0]["timezone"]) if office else ZoneInfo("Europe/Moscow")
        local_day = event.timestamp.astimezone(zone).date()
        deadline = add_working_days(local_day, service[0]["term_days"]).isoformat() if service else None
        stages = _stages([], event)
        tasks = _open_tasks([], event)
        status, outcome = status_after(OPEN, None, event)  # a process may end at its start
        closed_at, closed_day = (None, None) if status == OPEN else (_utc(event.timestamp), local_day.isoformat())
        db.execute(
            "INSERT INTO rm_cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.number,
                str(event.originator_id),
                event.service,
                event.office,
                office[0]["district"] if office else "",
                event.channel,
                status,
                outcome,
                event.effects["stage"],
                _json(stages),
                _utc(event.timestamp),
                local_day.isoformat(),
                closed_at,
                closed_day,
                deadline,
                _next_action(tasks, event.effects, status),
                _json(tasks),
                1,
                local_day.isoformat() if _result_ready(tasks, status) else None,
            ),
        )
        self._tasks(db, event, event.number, event.office, deadline)

    def _lookup(self, db: Db, sql: str, code: str) -> list[dict[str, Any]]:
        key = (sql, code)
        if key not in self._lookups:
            self._lookups[key] = db.rows(sql, (code,))
        return self._lookups[key]

    def _changed(self, db: Db, event: Case.Event) -> None:
        found = db.rows(
            "SELECT c.number, c.office, c.service, c.deadline, c.stages, c.status, c.outcome, "
            "c.open_tasks, o.timezone FROM rm_cases c "
            "LEFT JOIN rm_offices o ON o.code = c.office WHERE c.case_id = ?",
            (str(event.originator_id),),
        )
        if not found:
            return
        row = found[0]
        effects = event.effects
        status, outcome = status_after(row["status"], row["outcome"], event)
        closed_at = _utc(event.timestamp) if status != OPEN and row["status"] == OPEN else None
        zone = ZoneInfo(row["timezone"] or "Europe/Moscow")
        closed_day = event.timestamp.astimezone(zone).date().isoformat() if closed_at else None
        stages = _stages(json.loads(row["stages"]), event)
        tasks = _open_tasks(json.loads(row["open_tasks"]), event)
        db.execute(
            "UPDATE rm_cases SET status = ?, outcome = ?, stage = ?, stages = ?, "
            "closed_at = COALESCE(?, closed_at), closed_day = COALESCE(?, closed_day), "
            "next_action = ?, open_tasks = ?, version = ?, ready_day = COALESCE(ready_day, ?) WHERE case_id = ?",
            (
                status,
                outcome,
                effects.get("stage"),
                _json(stages),
                closed_at,
                closed_day,
                _next_action(tasks, effects, status),
                _json(tasks),
                event.originator_version,
                event.timestamp.astimezone(zone).date().isoformat() if _result_ready(tasks, status) else None,
                str(event.originator_id),
            ),
        )
        self._tasks(db, event, row["number"], row["office"], row["deadline"])
        day = event.timestamp.astimezone(zone).date().isoformat()
        if "rating" in effects:
            scores = effects["rating"]
            db.execute(
                "INSERT INTO rm_ratings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["number"],
                    row["office"],
                    row["service"],
                    day,
                    scores["waiting_time"],
                    scores["staff"],
                    scores["premises"],
                    scores["information"],
                ),
            )
        if "complaint" in effects:
            db.execute(
                "INSERT INTO rm_complaints VALUES (?, ?, ?, ?, ?)",
                (
                    f"{event.originator_id}:{event.originator_version}",
                    row["number"],
                    row["office"],
                    effects["complaint"]["topic"],
                    day,
                ),
            )

    def apply_page(self, db: Db, events: Sequence[Any]) -> None:
        """The same rows as ``apply`` event by event, with a few statements per page instead
        of several per event: the page's cases are read in one query, folded in memory and
        written back in one batch per table. A directory event ends a stretch (its rows are
        written first), since the cases after it see the offices and services it changed."""
        start = 0
        for index, event in enumerate(events):
            if isinstance(event, _DIRECTORY_EVENTS):
                _Fold(db, events[start:index]).write()
                self.apply(db, event)
                start = index + 1
        _Fold(db, events[start:]).write()

    def _tasks(self, db: Db, event: Case.Event, number: str, office: str, due_day: str | None) -> None:
        for claim in event.effects.get("claims", []):
            db.execute(
                "UPDATE rm_tasks SET state = ?, holder = ? WHERE task_id = ?",
                ("claimed" if claim["holder"] else "open", claim["holder"], claim["task"]),
            )
        for task in event.effects.get("tasks_closed", []):
            db.execute("DELETE FROM rm_done_tasks WHERE task_id = ?", (task["task"],))
            db.execute(
                f"INSERT INTO rm_done_tasks SELECT {', '.join(TASK_COLUMNS[:6])}, 'completed', "
                f"{', '.join(TASK_COLUMNS[7:])}, ?, ? FROM rm_tasks WHERE task_id = ?",
                (event.actor, _utc(event.timestamp), task["task"]),
            )
            db.execute("DELETE FROM rm_tasks WHERE task_id = ?", (task["task"],))
        for task in event.effects.get("tasks_opened", []):
            due = task.get("due") or due_day
            db.execute(
                "INSERT INTO rm_tasks VALUES (?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?, ?)",
                (
                    task["task"],
                    number,
                    office,
                    task.get("role"),
                    task["element"],
                    task["name"],
                    _utc(event.timestamp),
                    due,
                    due or NO_DUE,
                ),
            )


def _stages(stages: list[dict[str, str]], event: Case.Event) -> list[dict[str, str]]:
    stage = event.effects.get("stage")
    if stage and (not stages or stages[-1]["stage"] != stage):
        stages = [*stages, {"stage": stage, "since": _utc(event.timestamp)}]
    return stages


def _open_tasks(tasks: list[dict[str, str]], event: Case.Event) -> list[dict[str, str]]:
    closed = {t["task"] for t in event.effects.get("tasks_closed", [])}
    opened = [
        {"task": t["task"], "element": t["element"], "name": t["name"]} for t in event.effects.get("tasks_opened", [])
    ]
    return [t for t in tasks if t["task"] not in closed] + opened


def _utc(moment: datetime) -> str:
    # One zone in the rows, so ISO texts sort as times on both backends.
    return moment.astimezone(UTC).isoformat()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _result_ready(tasks: list[dict[str, str]], status: str) -> bool:
    """The service's result is ready: it waits at the window to be handed out, or the case
    is closed. The regulated term ends here; when the citizen comes for it is theirs."""
    return status != OPEN or _handout_waits(tasks)


def _handout_waits(tasks: list[dict[str, str]]) -> bool:
    return any(any(h in (t["element"] + t["name"]).lower() for h in HANDOUT_HINTS) for t in tasks)


def _next_action(tasks: list[dict[str, str]], effects: dict[str, Any], status: str) -> str:
    """What the citizen has to do next, in the words a terminal shows."""
    if status == WITHDRAWN:
        return "Заявление отозвано."
    if status == COMPLETED:
        return "Дело завершено."
    if _handout_waits(tasks):
        return "Результат готов: приходите за ним в МФЦ, где подавали заявление, с паспортом."
    if effects.get("awaiting") and not tasks:
        return "Ничего не требуется: документы на рассмотрении в ведомстве."
    return "Ничего не требуется: документы в работе у сотрудников МФЦ."


class _Fold:
    """A stretch of the log without directory events, folded into the rows it leaves:
    every rm_cases row it touches (read once, or new), and the tasks', ratings' and
    complaints' writes in the order ``apply`` would make them matter."""

    def __init__(self, db: Db, events: Sequence[Any]) -> None:
        self.db = db
        self.events = [event for event in events if isinstance(event, Case.Event)]
        self.cases: dict[str, dict[str, Any]] = {}  # by case id: rm_cases columns, stages and tasks as lists
        self.new: set[str] = set()  # case ids opened in this stretch: inserted, not updated
        self.task_rows: dict[str, list[Any]] = {}  # tasks opened in this stretch and still open, by id
        self.task_clashes: list[list[Any]] = []  # a task id opened twice: inserted so the database refuses it
        self.task_claims: dict[str, tuple[str, str | None]] = {}  # state and holder of tasks already stored
        self.tasks_closed: set[str] = set()
        # Tasks closed in this stretch, by id: those opened in it, as whole rows; those
        # stored before it, as who closed them and when (and the holder a claim in this
        # stretch gave them), their rows read back when written.
        self.done_rows: dict[str, list[Any]] = {}
        self.done_stored: dict[str, tuple[tuple[str, str | None] | None, str, str]] = {}
        self.ratings: list[tuple[Any, ...]] = []
        self.complaints: list[tuple[Any, ...]] = []
        self.deadlines: dict[tuple[date, int], str] = {}

    def write(self) -> None:
        if not self.events:
            return
        # Each case id as text once per event (str(UUID) showed in the profile, done per use).
        keyed = [(str(event.originator_id), event) for event in self.events]
        self._read(keyed)
        for case_id, event in keyed:
            if isinstance(event, Case.Opened):
                self._opened(case_id, event)
            else:
                self._changed(case_id, event)
        self._write()

    def _read(self, keyed: list[tuple[str, Case.Event]]) -> None:
        opened = [e for e in self.events if isinstance(e, Case.Opened)]
        fresh = {case_id for case_id, e in keyed if isinstance(e, Case.Opened)}
        # A case opened in this stretch has no stored row (its Opened comes first in the log).
        stored = {case_id for case_id, _ in keyed} - fresh
        for row in self.db.rows_in(
            "SELECT c.*, o.timezone FROM rm_cases c LEFT JOIN rm_offices o ON o.code = c.office", "c.case_id", stored
        ):
            row["stages"], row["open_tasks"] = json.loads(row["stages"]), json.loads(row["open_tasks"])
            self.cases[row["case_id"]] = row
        self.offices = {
            row["code"]: row
            for row in self.db.rows_in(
                "SELECT code, district, timezone FROM rm_offices", "code", {e.office for e in opened}
            )
        }
        self.services = {
            row["code"]: row
            for row in self.db.rows_in("SELECT code, term_days FROM rm_services", "code", {e.service for e in opened})
        }

    def _opened(self, case_id: str, event: Case.Opened) -> None:
        office = self.offices.get(event.office)
        service = self.services.get(event.service)
        zone = ZoneInfo(office["timezone"]) if office else ZoneInfo("Europe/Moscow")
        local_day = event.timestamp.astimezone(zone).date()
        deadline = self._deadline(local_day, service["term_days"]) if service else None
        tasks = _open_tasks([], event)
        status, outcome = status_after(OPEN, None, event)  # a process may end at its start
        closed_at, closed_day = (None, None) if status == OPEN else (_utc(event.timestamp), local_day.isoformat())
        self.cases[case_id] = {
            "number": event.number,
            "case_id": case_id,
            "service": event.service,
            "office": event.office,
            "district": office["district"] if office else "",
            "channel": event.channel,
            "status": status,
            "outcome": outcome,
            "stage": event.effects["stage"],
            "stages": _stages([], event),
            "opened_at": _utc(event.timestamp),
            "opened_day": local_day.isoformat(),
            "closed_at": closed_at,
            "closed_day": closed_day,
            "deadline": deadline,
            "next_action": None,
            "open_tasks": tasks,
            "version": 1,
            "ready_day": local_day.isoformat() if _result_ready(tasks, status) else None,
            "timezone": office["timezone"] if office else None,
            "effects": event.effects,
        }
        self.new.add(case_id)
        self._tasks(event, event.number, event.office, deadline)

    def _deadline(self, day: date, term_days: int) -> str:
        # A page's cases open on a few days with a few terms: the calendar is walked once for each.
        key = (day, term_days)
        if key not in self.deadlines:
            self.deadlines[key] = add_working_days(day, term_days).isoformat()
        return self.deadlines[key]

    def _changed(self, case_id: str, event: Case.Event) -> None:
        row = self.cases.get(case_id)
        if row is None:
            return  # as ``apply``: an event of a case the model has no row for changes nothing
        effects = event.effects
        status, outcome = status_after(row["status"], row["outcome"], event)
        if status != OPEN and row["status"] == OPEN:
            row["closed_at"] = _utc(event.timestamp)
            row["closed_day"] = self._day(row, event)
        # What the citizen does next depends only on the last event's effects and what they
        # left: it is worked out once, when the row is written (``_write``).
        row["status"], row["stage"], row["version"], row["effects"] = (
            status,
            effects.get("stage"),
            event.originator_version,
            effects,
        )
        row["outcome"] = outcome
        row["stages"] = _stages(row["stages"], event)
        if effects.get("tasks_closed") or effects.get("tasks_opened"):  # most events leave the list as it is
            row["open_tasks"] = _open_tasks(row["open_tasks"], event)
        if row["ready_day"] is None and _result_ready(row["open_tasks"], status):
            row["ready_day"] = self._day(row, event)
        self._tasks(event, row["number"], row["office"], row["deadline"])
        if "rating" in effects or "complaint" in effects:
            day = self._day(row, event)
        if "rating" in effects:
            scores = effects["rating"]
            self.ratings.append(
                (
                    row["number"],
                    row["office"],
                    row["service"],
                    day,
                    scores["waiting_time"],
                    scores["staff"],
                    scores["premises"],
                    scores["information"],
                )
            )
        if "complaint" in effects:
            self.complaints.append(
                (
                    f"{event.originator_id}:{event.originator_version}",
                    row["number"],
                    row["office"],
                    effects["complaint"]["topic"],
                    day,
                )
            )

    @staticmethod
    def _day(row: dict[str, Any], event: Case.Event) -> str:
        """The event's day where the case's office is."""
        return event.timestamp.astimezone(ZoneInfo(row["timezone"] or "Europe/Moscow")).date().isoformat()

    def _tasks(self, event: Case.Event, number: str, office: str, due_day: str | None) -> None:
        # The order of ``apply``'s statements: claims, then closed, then opened.
        for claim in event.effects.get("claims", []):
            state, holder = ("claimed" if claim["holder"] else "open"), claim["holder"]
            opened = self.task_rows.get(claim["task"])
            if opened is not None:
                opened[6], opened[7] = state, holder
            else:
                self.task_claims[claim["task"]] = (state, holder)
        for task in event.effects.get("tasks_closed", []):
            closed = self.task_rows.pop(task["task"], None)
            claim = self.task_claims.pop(task["task"], None)
            self.tasks_closed.add(task["task"])
            self.done_rows.pop(task["task"], None)
            self.done_stored.pop(task["task"], None)
            if closed is not None:
                self.done_rows[task["task"]] = [
                    *closed[:6],
                    "completed",
                    *closed[7:],
                    event.actor,
                    _utc(event.timestamp),
                ]
            else:
                self.done_stored[task["task"]] = (claim, event.actor, _utc(event.timestamp))
        for task in event.effects.get("tasks_opened", []):
            due = task.get("due") or due_day
            row = [
                task["task"],
                number,
                office,
                task.get("role"),
                task["element"],
                task["name"],
                "open",
                None,
                _utc(event.timestamp),
                due,
                due or NO_DUE,
            ]
            # A claim made before the task was stored changed no row: the task opens unclaimed.
            self.task_claims.pop(task["task"], None)
            if task["task"] in self.task_rows:
                self.task_clashes.append(row)
            else:
                self.task_rows[task["task"]] = row

    def _write(self) -> None:
        db = self.db
        for row in self.cases.values():
            if "effects" in row:  # a stored row no event of this stretch changed has none: not written
                row["next_action"] = _next_action(row["open_tasks"], row["effects"], row["status"])
        db.insert(
            "rm_cases",
            CASE_COLUMNS,  # in the log's order, as ``apply`` inserts them
            [_case_values(row) for case_id, row in self.cases.items() if case_id in self.new],
        )
        db.update(
            "rm_cases",
            ["number"],
            [
                "status",
                "outcome",
                "stage",
                "stages",
                "closed_at",
                "closed_day",
                "next_action",
                "open_tasks",
                "version",
                "ready_day",
            ],
            [
                (
                    row["status"],
                    row["outcome"],
                    row["stage"],
                    _json(row["stages"]),
                    row["closed_at"],
                    row["closed_day"],
                    row["next_action"],
                    _json(row["open_tasks"]),
                    row["version"],
                    row["ready_day"],
                    row["number"],
                )
                for case_id, row in self.cases.items()
                if case_id not in self.new and "effects" in row
            ],
        )
        self._write_done()
        # A task closed and opened again in one stretch: its stored row goes before the new one comes.
        db.delete("rm_tasks", "task_id", sorted(self.tasks_closed))
        db.insert("rm_tasks", TASK_COLUMNS, [*self.task_rows.values(), *self.task_clashes])
        db.update(
            "rm_tasks",
            ["task_id"],
            ["state", "holder"],
            [(state, holder, task) for task, (state, holder) in self.task_claims.items()],
        )
        db.insert(
            "rm_ratings",
            ("case_number", "office", "service", "rated_day", "waiting_time", "staff", "premises", "information"),
            self.ratings,
        )
        db.insert("rm_complaints", ("complaint", "case_number", "office", "topic", "filed_day"), self.complaints)

    def _write_done(self) -> None:
        """The closed tasks' rows, before their open rows go: a stored one is read back
        (with the holder a claim of this stretch gave it, as ``apply`` had updated it)."""
        db, done = self.db, dict(self.done_rows)
        if self.done_stored:
            for row in db.rows_in("SELECT * FROM rm_tasks", "task_id", sorted(self.done_stored)):
                claim, actor, at = self.done_stored[row["task_id"]]
                values = [row[column] for column in TASK_COLUMNS]
                values[6], values[7] = "completed", (claim[1] if claim else row["holder"])
                done[row["task_id"]] = [*values, actor, at]
        db.delete("rm_done_tasks", "task_id", sorted(done))
        db.insert("rm_done_tasks", DONE_TASK_COLUMNS, [done[task] for task in sorted(done)])


def _case_values(row: dict[str, Any]) -> tuple[Any, ...]:
    values = dict(row, stages=_json(row["stages"]), open_tasks=_json(row["open_tasks"]))
    return tuple(values[column] for column in CASE_COLUMNS)
