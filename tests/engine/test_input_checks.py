"""Edge validation (engine.input_checks): every command refuses text with NUL, control
characters or lone surrogates, values over their bounds and values JSON lacks, naming
the field, before anything is decided — so nothing is written — on every store."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.errors import InputRefused
from engine.input_checks import CODE, FREE_TEXT, JSON_OBJECT, LINE, Json
from engine.reception_desk import Reception
from tests.conftest import BackendContract, EngineMaker, at, mini_sources, seeded


def open_mini(engine: Engine) -> str:
    return engine.open_case(
        service="mini_service",
        office="LPK",
        channel="window",
        applicant={"full_name": "Иванов Иван"},
        actor="op",
        at=at(),
    ).number


def sent_request(engine: Engine) -> str:
    """A mini case that has sent its request (message 1) to the agency."""
    number = open_mini(engine)
    engine.complete_task(number, "Task_Reception", {"documents_complete": True, "pages": 3}, actor="op", at=at(1))
    return number


def test_text_rules_refuse_nul_control_characters_and_lone_surrogates_but_free_text_keeps_lines() -> None:
    assert CODE.problems("LPK-0001", "f") == []
    assert LINE.problems("RR-77/2026 «Росреестр» 😀", "f") == []
    assert FREE_TEXT.problems("Заявитель передумал.\r\n\tПодробности ниже.", "f") == []
    for bad in ("REF\x00X", "a\x1bb", "\x7f", "\x85", "x\ud800", "\udfff"):
        assert CODE.problems(bad, "input.reference"), bad
        assert FREE_TEXT.problems(bad, "reason"), bad
    assert LINE.problems("two\nlines", "f")[0].message == "contains the control character U+000A at position 3"
    assert CODE.problems("", "f")[0].message == "must be 1 to 128 characters long, not 0"
    assert CODE.problems("x" * 129, "f") and not CODE.problems("x" * 128, "f")
    assert CODE.problems(5, "f")[0].message == "must be a text, not int"


def test_json_rule_takes_only_jsons_types_within_depth_size_and_key_bounds() -> None:
    assert JSON_OBJECT.problems({"a": [1, 2.5, True, None, "текст\n", {"b": {}}]}, "data") == []
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(40):
        inner["x"] = {}
        inner = inner["x"]
    cases: list[tuple[Any, str]] = [
        ([1], "must be a JSON object, not list"),
        (deep, "is nested deeper than 16 levels"),
        ({"": 1}, "has a key of 0 characters (1 to 128)"),
        ({"k\x00": 1}, "has a key that contains the control character U+0000 at position 1"),
        ({"n": math.nan}, "is nan, which JSON has no number for"),
        ({"n": 10**30}, "is a whole number beyond 64 bits"),
        ({"t": (1, 2)}, "is tuple, which JSON has no type for"),
        ({"s": {1, 2}}, "is set, which JSON has no type for"),
        ({"v": "x" * 10_001}, "is a text of 10001 characters; at most 10000"),
        ({"v": "a\ud83d"}, "contains a lone surrogate U+D83D at position 1 (not valid Unicode text)"),
        ({"v": list(range(6_000))}, "the value has more than 5000 parts"),
        ({1: "x"}, "has a key that is int, not a text"),
    ]
    for value, message in cases:
        assert [p.message for p in JSON_OBJECT.problems(value, "data")][:1] == [message], value
    problems = Json().problems({"a": {"b": ["ok", "\x00"]}}, "payload")
    assert [p.field for p in problems] == ["payload.a.b[1]"]


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


Command = Callable[[Engine, str], Any]
REFUSALS: list[tuple[str, Command, str]] = [
    (
        "acknowledge NUL reference",
        lambda e, n: e.acknowledge_message(n, 1, "REF\x00X", actor="gw", at=at(2)),
        "reference",
    ),
    ("acknowledge message 0", lambda e, n: e.acknowledge_message(n, 0, "REF", actor="gw", at=at(2)), "message"),
    (
        "deliver NUL in payload",
        lambda e, n: e.deliver_message(n, "agency_answer", {"decision": "ok\x00"}, actor="gw", at=at(2)),
        "payload.decision",
    ),
    ("deliver surrogate in name", lambda e, n: e.deliver_message(n, "agency\udc80", {}, actor="gw", at=at(2)), "name"),
    ("withdraw with ESC in reason", lambda e, n: e.withdraw_case(n, "\x1b[31mred", actor="op", at=at(2)), "reason"),
    ("withdraw with a huge reason", lambda e, n: e.withdraw_case(n, "я" * 100_000, actor="op", at=at(2)), "reason"),
    (
        "complete with deep data",
        lambda e, n: e.complete_task(n, "Task_Handout", nested(20), actor="op", at=at(2)),
        "data" + ".a" * 16,
    ),
    ("claim a task id with a line feed", lambda e, n: e.claim_task(n, "task\n1", actor="op", at=at(2)), "task_id"),
    (
        "rate with a NUL in a criterion's name",
        lambda e, n: e.rate_case(n, {"staff\x00": 5}, actor="c", at=at(2)),
        "scores key",
    ),
    ("complain with a NUL topic", lambda e, n: e.file_complaint(n, "other\x00", actor="c", at=at(2)), "topic"),
    (
        "a job result with a 64-bit overflow",
        lambda e, n: e.complete_job(n, "t", {"amount": 2**64}, actor="w", at=at(2)),
        "result.amount",
    ),
    ("a job failure with a surrogate", lambda e, n: e.fail_job(n, "t", "down \ud800", actor="w", at=at(2)), "error"),
    (
        "an idempotency key with NUL",
        lambda e, n: e.withdraw_case(n, "ok", actor="op", at=at(2), idempotency_key="k\x00"),
        "idempotency_key",
    ),
    ("an actor with NUL", lambda e, n: e.retry_incident(n, "t", actor="LPK/\x00", at=at(2)), "actor"),
    ("a timer of a surrogate element", lambda e, n: e.fire_timer(n, "\udfff", at=at(2)), "element"),
    ("a case number with NUL", lambda e, n: e.release_task(n + "\x00", "t", actor="op", at=at(2)), "case_number"),
]


class TestEveryCommandRefusesBadInputAndWritesNothing(BackendContract):
    @pytest.mark.parametrize(("what", "command", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
    def test_refused_naming_the_field_and_nothing_is_stored(
        self, engines: EngineMaker, what: str, command: Command, field: str
    ) -> None:
        engine = seeded(engines())
        number = sent_request(engine)
        head = engine.store.recorder.max_notification_id()
        with pytest.raises(InputRefused) as refused:
            command(engine, number)
        assert [p.field for p in refused.value.problems] == [field]
        assert engine.store.recorder.max_notification_id() == head
        assert refused.value.code == "input_refused"

    def test_the_issues_nul_reference_is_refused_and_the_case_goes_on(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        number = sent_request(engine)
        head = engine.store.recorder.max_notification_id()
        with pytest.raises(InputRefused, match="reference: contains the control character U\\+0000 at position 3"):
            engine.acknowledge_message(number, 1, "REF\u0000X", actor="gw", at=at(2))
        assert engine.store.recorder.max_notification_id() == head
        case = engine.acknowledge_message(number, 1, "REF-1 «Росреестр»", actor="gw", at=at(3))
        assert case.last_effects["acknowledged"]["reference"] == "REF-1 «Росреестр»"

    def test_opening_a_case_checks_applicant_data_channel_and_key(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        head = engine.store.recorder.max_notification_id()
        good: dict[str, Any] = dict(
            service="mini_service",
            office="LPK",
            channel="window",
            applicant={"full_name": "Иванов"},
            actor="op",
            at=at(),
        )
        bad: list[tuple[dict[str, Any], list[str]]] = [
            ({"applicant": {"full_name": "Ива\x00нов"}}, ["applicant.full_name"]),
            ({"office": "LPK\ud800", "service": ""}, ["service_code", "office_id"]),
            ({"data": {"notes": "\x00"}, "channel": "win\tdow"}, ["channel", "data.notes"]),
            ({"idempotency_key": "k" * 201}, ["idempotency_key"]),
        ]
        for change, fields in bad:
            with pytest.raises(InputRefused) as refused:
                engine.open_case(**{**good, **change})
            assert [p.field for p in refused.value.problems] == fields
        assert engine.store.recorder.max_notification_id() == head

    def test_reception_commands_refuse_bad_text_and_write_nothing(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        reception = Reception(engine)
        head = engine.store.recorder.max_notification_id()
        refusals: list[tuple[Callable[[], Any], str]] = [
            (
                lambda: reception.issue_ticket(office="LPK", service="mini_service\x00", actor="t", at=at()),
                "service_code",
            ),
            (
                lambda: reception.book(
                    office="LPK",
                    service="mini_service",
                    slot="LPK/1/2026-11-03T10:00\x00",
                    channel="portal",
                    applicant={},
                    actor="p",
                    at=at(),
                ),
                "slot_id",
            ),
            (lambda: reception.cancel("LPK-20261103-001", "\x00", actor="p", at=at()), "reason"),
            (lambda: reception.end_visit("LPK-20261102-А001\ud800", "consultation", actor="op", at=at()), "ticket_id"),
            (lambda: reception.call_next(office="LPK", window=0, actor="op", at=at()), "window"),
            (
                lambda: reception.open_case("LPK-20261102-А001", applicant={"full_name": "\x00"}, actor="op", at=at()),
                "applicant.full_name",
            ),
        ]
        for command, field in refusals:
            with pytest.raises(InputRefused) as refused:
                command()
            assert [p.field for p in refused.value.problems] == [field]
        assert engine.store.recorder.max_notification_id() == head

    def test_a_deploy_refuses_source_files_with_control_characters_or_surrogates(self, engines: EngineMaker) -> None:
        engine = engines()
        head = engine.store.recorder.max_notification_id()
        good = mini_sources()[0]
        for source, field in [
            (SourceFile("mini\udcff.bpmn", good.text), "sources[0].name"),
            (SourceFile(good.name, good.text.replace("Приём", "При\x00ём")), "sources[0].text"),
        ]:
            with pytest.raises(InputRefused) as refused:
                engine.deploy([source], at())
            assert [p.field for p in refused.value.problems] == [field]
        assert engine.store.recorder.max_notification_id() == head
        assert engine.deploy([good], at()).ok  # CR, LF and tabs in XML are text

    def test_reading_a_case_by_a_number_with_nul_is_refused_not_a_database_error(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        with pytest.raises(InputRefused, match="case_number"):
            engine.get_case("LPK-\x00")
        with pytest.raises(InputRefused, match="case_number"):
            list(engine.case_events("\ud800"))
        with pytest.raises(InputRefused, match="key"):
            engine.notifications.mark_sent("n\x00", at())
