"""A broadcast signal reaches every case waiting for it (the signals read model says
which), is recorded once in each, and a retried broadcast records nothing twice."""

from __future__ import annotations

from engine.application import Engine
from engine.bpmn.sources import collect_sources
from engine.catalog import Service
from projections.reader import Reader
from projections.runner import Projector
from projections.signals import cases_waiting_for
from tests.conftest import FIXTURES, OFFICE, T0, BackendContract, EngineMaker, at

SERVICE = Service(
    "signal_wait", "Перерасчёт по новым тарифам", "Тестовое ведомство", "regional", 5, (), 0, "signal_wait"
)


def signal_engine(engine: Engine) -> Engine:
    report = engine.deploy(collect_sources([FIXTURES / "events" / "signal_wait.bpmn"]), T0)
    assert report.ok, report.problems
    engine.publish_catalog([SERVICE], T0)
    engine.register_offices([OFFICE], T0)
    return engine


def open_case(engine: Engine) -> str:
    return engine.open_case(
        service="signal_wait", office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
    ).number


class TestSignals(BackendContract):
    def test_a_broadcast_reaches_every_waiting_case_once_and_a_retry_records_nothing(
        self, engines: EngineMaker
    ) -> None:
        engine = signal_engine(engines())
        numbers = sorted(open_case(engine) for _ in range(3))
        engine.withdraw_case(numbers[0], "передумал", actor="LPK/operator", at=at(1))
        projector = Projector(engine)
        projector.catch_up()
        reader = Reader(projector)
        assert cases_waiting_for(reader, "tariffs_changed") == numbers[1:]
        assert cases_waiting_for(reader, "service_suspended") == []

        waiting = cases_waiting_for(reader, "tariffs_changed")
        sent = engine.broadcast_signal(
            "tariffs_changed", {"tariff": 350}, waiting, actor="regulator", at=at(5), idempotency_key="tariffs-2027"
        )
        assert (sent.reached, sent.passed_over) == (numbers[1:], [])
        again = engine.broadcast_signal(
            "tariffs_changed", {"tariff": 350}, waiting, actor="regulator", at=at(6), idempotency_key="tariffs-2027"
        )
        assert again.reached == numbers[1:]  # answered from the idempotency record
        for number in numbers[1:]:
            kinds = [type(e).__name__ for e in engine.case_events(number)]
            assert kinds.count("SignalReceived") == 1
            assert [t["element"] for t in engine.get_case(number).open_tasks] == ["Task_Recalculate"]

        projector.catch_up()
        assert cases_waiting_for(reader, "tariffs_changed") == []
        assert cases_waiting_for(reader, "service_suspended") == numbers[1:]
        moved_on = engine.broadcast_signal(
            "tariffs_changed", {}, numbers[1:2], actor="regulator", at=at(7), idempotency_key="tariffs-2028"
        )
        assert (moved_on.reached, moved_on.passed_over) == ([], numbers[1:2])
        assert projector.parked() == []


CYCLE = Service(
    "reminder_cycle", "Рассмотрение с напоминаниями", "Тестовое ведомство", "regional", 5, (), 0, "reminder_cycle"
)


class TestCycleTimers(BackendContract):
    def test_the_timer_worker_fires_a_cycle_timer_each_time_and_the_read_model_follows_its_next_time(
        self, engines: EngineMaker
    ) -> None:
        from okno.workers.timers import fire_due
        from projections.timers import due_timers

        engine = engines()
        assert engine.deploy(collect_sources([FIXTURES / "events" / "reminder_cycle.bpmn"]), T0).ok
        engine.publish_catalog([CYCLE], T0)
        engine.register_offices([OFFICE], T0)
        opened = engine.open_case(
            service="reminder_cycle", office="LPK", channel="window", actor="LPK/operator", at=at(), applicant={}
        )
        projector = Projector(engine)
        reader = Reader(projector)
        projector.catch_up()
        [first] = due_timers(reader, at(minutes=60))
        assert fire_due(engine, [first], at(minutes=60)).fired == 1
        projector.catch_up()
        assert due_timers(reader, at(minutes=90)) == []  # fired, and not due again before its next time
        [second] = due_timers(reader, at(minutes=120))
        assert second.task == first.task and second.due > first.due
        assert fire_due(engine, [second], at(minutes=120)).fired == 1
        projector.catch_up()
        assert due_timers(reader, at(days=30)) == []  # R2: twice, then done
        case = engine.get_case(opened.number)
        assert case.status == "open" and [t["element"] for t in case.open_tasks] == ["Task_Review"]
        assert projector.parked() == []
