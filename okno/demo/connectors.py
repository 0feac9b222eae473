"""The demo's job worker: the real connectors (SMS and e-mail into the notification
outbox) and a simulated treasury (ГИС ГМП) that answers most checks, and is down for a
few hours on some days, so jobs retry with backoff and some become incidents that a
supervisor retries the next morning."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, time

from engine.application import EPOCH, Engine
from engine.connectors import ConnectorError
from engine.errors import OknoError
from engine.expressions.time_functions import ZONE as MOSCOW
from okno.bootstrap import new_connectors, new_projector
from okno.workers.jobs import JobRun, run_due
from projections.jobs import JobsModel, due_jobs, incidents
from projections.reader import Reader

UNPAID = 12  # one case in 12 has not paid its fee yet
FLAT_FEE = 2000  # paid where the model names no amount
OUTAGE_EVERY = 3  # the treasury is down one day in three ...
OUTAGE = (time(9, 0), time(15, 0))  # ... for these hours


@dataclass
class SimulatedTreasury:
    seed: int
    clock: datetime = EPOCH

    def paid_amount(self, case_number: str, purpose: str, service: str, amount: int) -> int | None:
        local = self.clock.astimezone(MOSCOW)
        if local.toordinal() % OUTAGE_EVERY == self.seed % OUTAGE_EVERY and OUTAGE[0] <= local.time() < OUTAGE[1]:
            raise ConnectorError("ГИС ГМП: сервис временно недоступен (503)")
        if zlib.crc32(f"{self.seed}:{case_number}".encode()) % UNPAID == 0:
            return None
        if purpose != "state_fee":
            return 0
        # The amount the case asks for (the service's fee); a model that does not say gets
        # the 2,000 ₽ the demo always paid.
        return amount or FLAT_FEE


@dataclass
class JobTotals:
    completed: int = 0
    failed: int = 0
    incidents: int = 0
    retried: int = 0
    by_connector: dict[str, int] = field(default_factory=dict)

    def add(self, run: JobRun) -> None:
        self.completed += run.completed
        self.failed += run.failed
        self.incidents += run.incidents
        for name, count in run.by_connector.items():
            self.by_connector[name] = self.by_connector.get(name, 0) + count


class DemoWorker:
    """Called at times through the simulated day: runs the jobs due by then."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.treasury = SimulatedTreasury(seed)
        self.connectors = new_connectors(engine, lambda: self.treasury.clock, self.treasury, actor="demo-worker")
        self.projector = new_projector(engine, [JobsModel()])  # the one read model it needs
        self.reader = Reader(self.projector)
        self.totals = JobTotals()

    def run(self, at: datetime) -> None:
        self.treasury.clock = at
        self.projector.catch_up()
        self.totals.add(
            run_due(self.engine, due_jobs(self.reader, at, types=self.connectors.names()), self.connectors, at)
        )

    def retry_incidents(self, at: datetime) -> None:
        """The supervisor's morning round: the treasury is back, so the incidents are retried."""
        self.projector.catch_up()
        for job in incidents(self.reader):
            try:
                self.engine.retry_incident(job.case_number, job.task_id, actor=f"{job.office}/supervisor", at=at)
                self.totals.retried += 1
            except OknoError:
                continue
