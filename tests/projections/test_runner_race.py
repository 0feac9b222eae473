"""Two runners on one model (a server's refresher and a worker) may read pages from the
same position that end at different heads. The later, longer page must lose the race: the
library's tracking refuses only a position that does not move forward, so without a check
it folded the earlier page's events a second time (found by the fault test: a case parked
as a duplicate of itself in every model)."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from projections.runner import Projector
from tests.conftest import BackendContract, EngineMaker, at, seeded
from tests.engine.test_case_engine import open_mini
from tests.projections.test_read_models import dump


class TestRunnerRace(BackendContract):
    @pytest.mark.parametrize("first_page", [True, False], ids=["from zero", "from a position"])
    def test_a_page_read_from_a_position_another_runner_has_passed_loses_the_race(
        self, engines: EngineMaker, first_page: bool
    ) -> None:
        engine = seeded(engines())
        behind = Projector(engine)  # holds a position the other runner will pass
        if not first_page:
            open_mini(engine)
            behind.catch_up()
        start = behind.position(behind.models[0])
        for minute in range(1, 4):
            open_mini(engine, at=at(minute))
        ahead = Projector(engines(), page=2)  # folds a short page first
        assert ahead.run_page(ahead.models[0]) == 2
        for minute in range(4, 6):
            open_mini(engine, at=at(minute))  # the stale runner's page reaches further

        with pytest.raises(IntegrityError):
            behind._run_shared_page([behind.models[0]], start)

        behind.catch_up()
        ahead.catch_up()
        assert behind.parked() == []
        rebuilt = Projector(engines())
        for model in rebuilt.models:
            rebuilt.rebuild(model)
        assert dump(behind) == dump(rebuilt)
