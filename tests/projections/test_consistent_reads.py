"""A case's row and its tasks come from one snapshot of the read model: a reader never
sees a version of the case with the tasks of another, however the projector's commits
fall between its queries (issue 17, finding 7)."""

from __future__ import annotations

import threading

from projections.case_queries import case_with_tasks, work_list
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import BackendContract, EngineMaker, at, seeded

ROUNDS = 60  # claims and releases: each one a commit of the projector between the reader's queries


class TestConsistentReads(BackendContract):
    def test_a_case_and_its_tasks_are_read_from_one_snapshot_while_the_projector_commits(
        self, engines: EngineMaker
    ) -> None:
        engine = seeded(engines())
        number = engine.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at()
        ).number
        projector = Projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        task = work_list(reader, "LPK").rows[0].task_id
        done = threading.Event()

        def claim_and_release() -> None:
            # Version 1 opened the task; each even version claims it, each odd one releases it.
            try:
                for i in range(ROUNDS):
                    if i % 2 == 0:
                        engine.claim_task(number, task, actor="LPK/op", at=at(minutes=i + 1))
                    else:
                        engine.release_task(number, task, actor="LPK/op", at=at(minutes=i + 1))
                    projector.catch_up()
            finally:
                done.set()

        writer = threading.Thread(target=claim_and_release)
        writer.start()
        mixed: list[tuple[int, str]] = []
        reads = 0
        while not done.is_set() or reads == 0:
            found = case_with_tasks(reader, number)
            assert found is not None
            row, tasks = found
            reads += 1
            expected = "claimed" if row.version % 2 == 0 else "open"
            if [t.state for t in tasks] != [expected]:
                mixed.append((row.version, tasks[0].state if tasks else "none"))
        writer.join()
        assert reads > 10
        assert mixed == [], f"{len(mixed)} of {reads} reads mixed two versions, e.g. {mixed[:5]}"
