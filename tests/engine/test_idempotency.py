"""Idempotency keys belong to the caller who sent them and are bound to the whole request
(issue 14, #3), and a refused command writes nothing, not even a case's key row (#9).
Every test runs on SQLite and, with OKNO_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.case import case_id_for
from engine.catalog import Service
from engine.errors import (
    IdempotencyKeyReused,
    InputRefused,
    InvalidInput,
    OknoError,
    ProcessFailure,
    UnknownOffice,
    UnknownService,
    UnknownTicket,
    VisitNotInProgress,
)
from engine.reception.slots import slot_id
from engine.reception_desk import Reception
from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.conftest import MINI_SERVICE, T0, BackendContract, EngineMaker, Entropy, at, seeded
from tests.engine.test_reception import TUESDAY, local

CITIZEN_A = {"full_name": "Андреева Анна Андреевна", "document": "4201 111111"}
CITIZEN_B = {"full_name": "Борисов Борис Борисович", "document": "4202 222222"}
INTEGRATOR = "integrator/portal-a"
SUPERVISOR = "LPK/supervisor-b"

# A process whose start fails: its first script divides by zero, so opening a case is refused.
BROKEN_START = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_broken"
                  targetNamespace="http://okno.example/tests">
  <bpmn:process id="broken_start" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_Divide" scriptFormat="okno"><bpmn:script>ratio = 1 // 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Script_Divide"/>
    <bpmn:endEvent id="EndEvent_1"/>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Script_Divide" targetRef="EndEvent_1"/>
  </bpmn:process>
</bpmn:definitions>
"""
BROKEN_SERVICE = Service(
    "broken_service", "Сломанная услуга", "Тестовое ведомство", "federal", 5, (), 0, "broken_start"
)


def open_case(
    engine: Engine,
    *,
    actor: str = INTEGRATOR,
    applicant: dict[str, str] | None = None,
    key: str | None = "K-1",
    when: datetime | None = None,
    **overrides: Any,
) -> Any:
    arguments: dict[str, Any] = dict(
        service="mini_service",
        office="LPK",
        channel="portal",
        applicant=CITIZEN_A if applicant is None else applicant,
        actor=actor,
        at=when or at(),
        idempotency_key=key,
    )
    arguments.update(overrides)
    return engine.open_case(**arguments)


def key_rows(engine: Engine) -> int:
    with engine.store.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute(f"SELECT COUNT(*) AS n FROM {engine.keys._table}")
        row = cursor.fetchone()
    return int(row["n"] if isinstance(row, dict) else row[0])


def written(engine: Engine) -> tuple[int, int]:
    """What the store holds: key rows and the notification log's head."""
    return key_rows(engine), int(engine.store.recorder.max_notification_id() or 0)


def old_rule_number(office: str, key: str) -> str:
    """How case numbers were made from keys before this change: sha256(office, key)."""
    crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = int.from_bytes(hashlib.sha256(f"{office}\0{key}".encode()).digest()[:8], "big")
    return f"{office}-" + "".join(crockford[(value >> (5 * i)) & 31] for i in range(10))


class TestKeysBelongToTheirCaller(BackendContract):
    def test_the_same_key_from_another_caller_opens_that_callers_own_case(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        first = open_case(engine, actor=INTEGRATOR, applicant=CITIZEN_A)
        second = open_case(engine, actor=SUPERVISOR, applicant=CITIZEN_B, when=at(1))
        assert second.number != first.number
        assert engine.applicant(second.number) == CITIZEN_B
        assert engine.applicant(first.number) == CITIZEN_A
        assert engine.vault.pin(second.id) != engine.vault.pin(first.id)

    def test_a_retry_from_the_same_caller_returns_the_first_case_and_writes_nothing(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        first = open_case(engine)
        before = written(engine)
        again = open_case(engines(), when=at(1))
        assert again.number == first.number and again.version == 1
        assert written(engine) == before

    def test_the_same_key_for_another_applicant_is_a_conflict_that_names_no_case(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        first = open_case(engine, applicant=CITIZEN_A)
        before = written(engine)
        with pytest.raises(IdempotencyKeyReused) as reused:
            open_case(engine, applicant=CITIZEN_B, when=at(1))
        assert first.number not in str(reused.value) and "LPK-" not in str(reused.value)
        with pytest.raises(IdempotencyKeyReused) as reused:
            open_case(engine, applicant=CITIZEN_A, channel="terminal", when=at(1))
        assert first.number not in str(reused.value)
        assert written(engine) == before

    def test_a_case_command_under_another_callers_key_is_another_request(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        number = open_case(engine).number
        engine.file_complaint(number, "waiting_time", actor=INTEGRATOR, at=at(1), idempotency_key="C-1")
        engine.file_complaint(number, "waiting_time", actor=INTEGRATOR, at=at(2), idempotency_key="C-1")  # a retry
        engine.file_complaint(number, "waiting_time", actor="integrator/call-centre", at=at(3), idempotency_key="C-1")
        assert [e.actor for e in engine.case_events(number)][1:] == [INTEGRATOR, "integrator/call-centre"]
        with pytest.raises(IdempotencyKeyReused) as reused:
            engine.file_complaint(number, "staff", actor=INTEGRATOR, at=at(4), idempotency_key="C-1")
        assert number not in str(reused.value)
        assert len(list(engine.case_events(number))) == 3

    def test_a_key_recorded_before_keys_had_a_caller_still_tells_a_retry(self, engines: EngineMaker) -> None:
        from engine.commands import Complain

        engine = seeded(engines())
        number = open_case(engine, key=None).number
        case = engine.file_complaint(number, "waiting_time", actor=INTEGRATOR, at=at(1))
        # What a case loaded from a snapshot taken before this change holds: keys without callers.
        case.idempotency = dict(case.idempotency, **{"old-key": _fingerprint(Complain("waiting_time"))})
        assert case.already_did("anyone", "old-key", Complain("waiting_time"))
        with pytest.raises(IdempotencyKeyReused):
            case.already_did("anyone", "old-key", Complain("staff"))


def _fingerprint(step: Any) -> str:
    from engine.case import fingerprint
    from engine.commands import input_to_dict

    return fingerprint(input_to_dict(step))


class TestCaseNumbers(BackendContract):
    def test_a_number_cannot_be_computed_from_the_key_without_the_installations_secret(
        self, engines: EngineMaker, url: str
    ) -> None:
        engine = seeded(engines())
        number = open_case(engine, key="portal-42").number
        assert number != old_rule_number("LPK", "portal-42")
        assert number.startswith("LPK-")
        other = new_engine(parse_url(url), master_key=b"another installation's key 32 b!", entropy=Entropy())
        try:
            assert other.numbers.for_key(INTEGRATOR, "LPK", "portal-42") != number
        finally:
            other.close()
        assert engine.numbers.for_key(INTEGRATOR, "LPK", "portal-42") == number
        assert engine.numbers.for_key(SUPERVISOR, "LPK", "portal-42") != number

    def test_a_case_opened_under_the_old_number_rule_still_loads_and_verifies(self, engines: EngineMaker) -> None:
        from engine.replay import verify

        engine = seeded(engines())
        legacy = old_rule_number("LPK", "portal-7")
        case, created = engine._new_case(
            legacy,
            service="mini_service",
            office="LPK",
            channel="portal",
            applicant=CITIZEN_A,
            actor=INTEGRATOR,
            at=at(),
            data=None,
            idempotency_key="portal-7",
        )
        assert created
        engine.save_new_case(case)
        fresh = engines()
        fresh.complete_task(legacy, "Task_Reception", {"documents_complete": True}, actor="LPK/op", at=at(5))
        assert fresh.get_case(legacy).version == 2
        assert fresh.applicant(legacy) == CITIZEN_A
        assert verify(fresh.steps, list(fresh.case_events(legacy))).ok


class TestRefusedMeansUnwritten(BackendContract):
    @pytest.mark.parametrize(
        ("change", "error"),
        [
            ({"service": "no_such_service"}, UnknownService),
            ({"office": "NOWHERE"}, UnknownOffice),
            ({"channel": "pigeon"}, InvalidInput),
            ({"applicant": {"full_name": "А", "shoe_size": "42"}}, InputRefused),
            ({"service": "broken_service"}, ProcessFailure),
        ],
    )
    def test_a_refused_open_writes_no_key_row_and_no_event(
        self, engines: EngineMaker, change: dict[str, Any], error: type[OknoError]
    ) -> None:
        engine = seeded(
            engines(), [*_mini(), SourceFile("broken.bpmn", BROKEN_START)], services=[MINI_SERVICE, BROKEN_SERVICE]
        )
        before = written(engine)
        for key in (None, "K-9"):
            with pytest.raises(error):
                open_case(engine, key=key, **change)
        assert written(engine) == before

    def test_opening_at_a_window_with_a_ticket_not_in_progress_writes_nothing(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        reception = Reception(engine)
        morning = local(TUESDAY, 9)
        waiting = reception.issue_ticket(office="LPK", service="mini_service", actor="terminal", at=morning)
        called = reception.issue_ticket(office="LPK", service="mini_service", actor="terminal", at=morning)
        reception.call_next(office="LPK", window=1, actor="LPK/op", at=local(TUESDAY, 9, 1))  # calls `waiting`
        reception.end_visit(waiting.id, "consultation", actor="LPK/op", at=local(TUESDAY, 9, 2))  # finished
        reception.call_next(office="LPK", window=1, actor="LPK/op", at=local(TUESDAY, 9, 3))  # calls `called`
        waiting_now = reception.issue_ticket(
            office="LPK", service="mini_service", actor="terminal", at=local(TUESDAY, 9, 4)
        )
        unknown = f"LPK-{TUESDAY.strftime('%Y%m%d')}-А999"
        before = written(engine)
        for ticket, error in (
            (unknown, UnknownTicket),
            (waiting.id, VisitNotInProgress),
            (waiting_now.id, VisitNotInProgress),
        ):
            for key in (None, "W-1"):
                with pytest.raises(error):
                    reception.open_case(
                        ticket,
                        applicant=CITIZEN_A,
                        actor="LPK/op",
                        at=local(TUESDAY, 9, 5),
                        service="mini_service",
                        idempotency_key=key,
                    )
        assert written(engine) == before
        case = reception.open_case(
            called.id,
            applicant=CITIZEN_A,
            actor="LPK/op",
            at=local(TUESDAY, 9, 6),
            service="mini_service",
            idempotency_key="W-1",
        )
        assert key_rows(engine) == before[0] + 1
        # A retry answers the same case; the same key for another ticket is a conflict naming no case.
        again = reception.open_case(
            called.id,
            applicant=CITIZEN_A,
            actor="LPK/op",
            at=local(TUESDAY, 9, 7),
            service="mini_service",
            idempotency_key="W-1",
        )
        assert again.number == case.number
        with pytest.raises(IdempotencyKeyReused) as reused:
            reception.open_case(
                waiting.id,
                applicant=CITIZEN_A,
                actor="LPK/op",
                at=local(TUESDAY, 9, 8),
                service="mini_service",
                idempotency_key="W-1",
            )
        assert case.number not in str(reused.value)
        assert reception.ticket(called.id).case_number == case.number


def _mini() -> list[SourceFile]:
    from tests.conftest import mini_sources

    return mini_sources()


class TestReceptionKeys(BackendContract):
    def test_reception_keys_belong_to_their_caller_and_bind_the_applicant(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        reception = Reception(engine)
        slot = slot_id("LPK", 9, local(TUESDAY, 10, 15))
        other_slot = slot_id("LPK", 9, local(TUESDAY, 10, 30))

        def book(actor: str, chosen: str, applicant: dict[str, str]) -> str:
            return reception.book(
                office="LPK",
                service="mini_service",
                slot=chosen,
                channel="portal",
                applicant=applicant,
                actor=actor,
                at=T0,
                idempotency_key="B-1",
            ).code

        first = book("integrator/portal-a", slot, CITIZEN_A)
        assert book("integrator/portal-a", slot, CITIZEN_A) == first  # a retry
        second = book("integrator/terminal-b", other_slot, CITIZEN_B)  # another caller's own request
        assert second != first
        before = written(engine)
        with pytest.raises(IdempotencyKeyReused) as reused:
            book("integrator/portal-a", slot, CITIZEN_B)  # the same key and slot for another citizen
        assert first not in str(reused.value)
        assert written(engine) == before
        # Tickets: the same key from two terminals is two visitors.
        one = reception.issue_ticket(
            office="LPK",
            service="mini_service",
            actor="integrator/terminal-1",
            at=local(TUESDAY, 9),
            idempotency_key="T-1",
        )
        two = reception.issue_ticket(
            office="LPK",
            service="mini_service",
            actor="integrator/terminal-2",
            at=local(TUESDAY, 9, 1),
            idempotency_key="T-1",
        )
        assert one.id != two.id
        retry = reception.issue_ticket(
            office="LPK",
            service="mini_service",
            actor="integrator/terminal-1",
            at=local(TUESDAY, 9, 2),
            idempotency_key="T-1",
        )
        assert retry.id == one.id
        assert case_id_for(first) != case_id_for(second)
