"""Verify always finishes: an undecodable row, a process version whose stored source was
edited, a broken chain are each THAT case's verdict, every other case gets its own, and
exit 1 lists them with case number and version. A broken case refuses to be shown or to
take commands, with a clear message."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid5

import pytest

from engine.application import SOURCE_NAMESPACE, Engine
from engine.errors import CaseBroken
from engine.store import parse_url
from okno.bootstrap import new_engine, new_projector
from tests.api.conftest import Server
from tests.audit.tampering import PUBLIC_KEY, Tables, audit
from tests.audit.test_signed_chain import three_cases
from tests.conftest import MASTER_KEY, BackendContract, EngineMaker, Entropy, at, seeded

# Slow: each test fills a store and damages it (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow


def flip_a_bit(blob: bytes) -> bytes:
    """One bit flipped in the middle of a compressed row: zlib's checksum refuses it."""
    middle = len(blob) // 2
    return blob[:middle] + bytes([blob[middle] ^ 0x10]) + blob[middle + 1 :]


class TestVerifyFinishes(BackendContract):
    def test_an_undecodable_row_is_its_cases_verdict_and_the_others_verify(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        tables = Tables(engine)
        tables.put_blob(numbers[1], 2, flip_a_bit(tables.blob(numbers[1], 2)))
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"{numbers[1]} (process version " in result.stdout
        assert "v2: the stored event cannot be decoded" in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout

    def test_an_undecodable_opening_is_reported_by_case_id_and_the_others_verify(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        tables = Tables(engine)
        tables.put_blob(numbers[0], 1, flip_a_bit(tables.blob(numbers[0], 1)))
        result = audit(url, tmp_path, "audit", "verify", "--all")
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"case id {engine.get_case(numbers[2]).id}" not in result.stdout
        assert "its opening event cannot be decoded, so its number is unknown" in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout
        named = audit(url, tmp_path, "audit", "verify", numbers[0])
        assert named.returncode == 1 and f"{numbers[0]}: its opening event is missing or cannot be decoded" in (
            named.stdout
        )

    def test_an_edited_process_source_fails_each_of_its_cases_and_verify_goes_on(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        version = engine.get_case(numbers[0]).process_version
        tables = Tables(engine)
        source_id = uuid5(SOURCE_NAMESPACE, version)
        stored = tables.read(source_id, 1)
        stored["bundle"]["bpmn"]["text"] = stored["bundle"]["bpmn"]["text"].replace("Приём", "Приём (изм.)")
        tables.write(source_id, 1, stored)
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1, result.stdout + result.stderr
        for number in numbers:
            assert f"{number}: process version {version}: its stored source was edited" in (result.stdout)
        assert "0 of 3 cases verified, 3 diverged" in result.stdout
        assert "is not deployed" not in result.stdout

    def test_a_deleted_event_fails_its_case_and_the_case_refuses_show_and_commands(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        number = engine.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at(days=2)
        ).number
        task = engine.get_case(number).open_tasks[0]["task"]
        engine.claim_task(number, task, actor="op", at=at(1, 2))
        engine.release_task(number, task, actor="op", at=at(2, 2))
        Tables(engine).delete(number, 2)
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1
        assert f"{number} (process version" in result.stdout and "version 2 is missing" in result.stdout
        assert f"3 of {len(numbers) + 1} cases verified, 1 diverged" in result.stdout
        shown = audit(url, tmp_path, "case", "show", number)
        assert shown.returncode == 2, shown.stderr
        assert f"error: case {number} cannot be loaded, its stored history is damaged" in shown.stderr
        assert "internal error" not in shown.stderr
        fresh: Engine = engines()  # nothing cached: the store is all it has
        with pytest.raises(CaseBroken, match=f"case {number} cannot be loaded"):
            fresh.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(3, 2))


class TestReadModelAgainstEvents(BackendContract):
    def test_a_deleted_last_event_shows_as_the_read_model_ahead_of_the_events(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        """The per-case chain cannot tell a history cut short (the store-wide checkpoint
        will); the read model that saw the completion can."""
        engine = seeded(engines())
        numbers = three_cases(engine)
        engine.complete_task(numbers[0], "Task_Handout", {}, actor="op", at=at(days=2))
        assert engine.get_case(numbers[0]).status == "completed"
        new_projector(engine).catch_up()
        Tables(engine).delete(numbers[0], 4)  # the completion is gone: the case reopens
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1, result.stdout + result.stderr
        assert (
            f"{numbers[0]}: the read model shows version 4, completed; the events end at version 3, open"
        ) in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout

    def test_a_read_model_behind_the_events_is_only_lagging(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        three_cases(engine)
        case = engine.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at(days=3)
        )
        new_projector(engine).catch_up()
        engine.complete_task(case.number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5, 3))
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 0, result.stdout + result.stderr


COMPLETE = """mutation($input: CompleteTaskInput!) { completeTask(input: $input) {
  __typename ... on ValidationError { message code } } }"""


def test_a_command_over_graphql_on_a_broken_case_is_refused_with_its_code(server: Server) -> None:
    """A case the server has not held in memory, edited in the store: the mutation answers a
    typed error naming the case, never an internal error, and records nothing."""
    engine = new_engine(parse_url(server.store_url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        number = engine.open_case(
            service="rosreestr_ownership", office="LPK", channel="window", applicant={}, actor="LPK/op", at=server.now()
        ).number
        tables = Tables(engine)
        state = tables.read(number, 1)
        state["actor"] = "LPK/someone-else"
        tables.write(number, 1, state)
        data = {"documents_complete": True, "property_kind": "flat", "cadastral_number": "48:1"}
        done = server.run(
            "operator", COMPLETE, office="LPK", input={"caseNumber": number, "element": "Task_Reception", "data": data}
        )["completeTask"]
        assert done["__typename"] == "ValidationError" and done["code"] == "case_broken", done
        assert f"case {number} cannot be loaded" in done["message"]
        assert len(engine.readable_case_events(number)[0]) == 1
    finally:
        engine.close()
