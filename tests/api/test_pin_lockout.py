"""A citizen's `track`: the PIN lockout counts per client and number, atomically, so it
holds across server processes, never locks the citizen out from another client, and says
nothing about which case numbers exist."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from api.tracking import PIN_ATTEMPTS, PIN_LOCK, TooManyAttempts, Tracking, WrongPin
from engine.case import case_id_for
from engine.errors import InvalidInput
from engine.pin_attempts import TABLE
from projections.reader import Reader
from projections.runner import Projector
from tests.conftest import BackendContract, EngineMaker, at, seeded

THREADS = 8
TRIES_PER_THREAD = 4


def opened_case(engines: EngineMaker) -> tuple[Tracking, str, str, str]:
    """The PIN gate over a store with one open case: its number, its PIN and a wrong PIN."""
    engine = seeded(engines())
    number = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at()
    ).number
    projector = Projector(engine)
    projector.catch_up()
    pin = engine.vault.pin(case_id_for(number))
    return Tracking(engine, Reader(projector)), number, pin, "000000" if pin != "000000" else "111111"


def outcome(gate: Tracking, number: str, pin: str, client: str, minutes: float = 1) -> str:
    try:
        gate.track(number, pin, at(minutes), client)
    except WrongPin:
        return "checked, wrong"
    except TooManyAttempts:
        return "refused"
    return "checked, right"


class TestPinLockout(BackendContract):
    def test_two_processes_hammering_one_number_let_at_most_five_attempts_through_per_window(
        self, engines: EngineMaker
    ) -> None:
        first, number, _, wrong = opened_case(engines)
        other = engines()
        second = Tracking(other, Reader(Projector(other)))  # another server process: its own engine, pool, reader
        gates = [first, second]

        def hammer(thread: int) -> list[str]:
            return [
                outcome(gates[(thread + i) % 2], number, wrong, "address:203.0.113.7") for i in range(TRIES_PER_THREAD)
            ]

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = [o for batch in pool.map(hammer, range(THREADS)) for o in batch]
        assert outcomes.count("checked, wrong") == PIN_ATTEMPTS
        assert outcomes.count("refused") == THREADS * TRIES_PER_THREAD - PIN_ATTEMPTS

    def test_a_client_locked_out_does_not_lock_the_citizen_out_from_another_client(self, engines: EngineMaker) -> None:
        gate, number, pin, wrong = opened_case(engines)
        for _ in range(PIN_ATTEMPTS):
            assert outcome(gate, number, wrong, "address:203.0.113.7") == "checked, wrong"
        assert outcome(gate, number, pin, "address:203.0.113.7") == "refused"  # this client waits out the window
        assert outcome(gate, number, pin, "address:198.51.100.2") == "checked, right"  # the citizen's phone
        assert outcome(gate, number, pin, "cli") == "checked, right"  # the office's console

    def test_an_unknown_number_and_a_wrong_pin_get_the_same_answer_and_count_alike(self, engines: EngineMaker) -> None:
        gate, number, pin, wrong = opened_case(engines)
        answers = []
        for asked in (number, "LPK-NOSUCHCASE"):
            for _ in range(PIN_ATTEMPTS):
                with pytest.raises(InvalidInput) as refused:
                    gate.track(asked, wrong if asked == number else pin, at(1), "address:203.0.113.7")
                answers.append((type(refused.value), refused.value.code, str(refused.value)))
            with pytest.raises(TooManyAttempts) as locked:
                gate.track(asked, pin, at(2), "address:203.0.113.7")
            answers.append((type(locked.value), locked.value.code, str(locked.value)))
        assert answers[: PIN_ATTEMPTS + 1] == answers[PIN_ATTEMPTS + 1 :]
        assert answers[0][0] is WrongPin and "check both" in answers[0][2]

    def test_the_window_passes_a_right_pin_starts_the_count_again_and_stale_windows_go(
        self, engines: EngineMaker
    ) -> None:
        gate, number, pin, wrong = opened_case(engines)
        client = "address:203.0.113.7"
        for _ in range(PIN_ATTEMPTS - 1):
            assert outcome(gate, number, wrong, client) == "checked, wrong"
        assert outcome(gate, number, pin, client) == "checked, right"  # the count starts again
        for _ in range(PIN_ATTEMPTS):
            assert outcome(gate, number, wrong, client) == "checked, wrong"
        assert outcome(gate, number, pin, client) == "refused"
        assert outcome(gate, number, wrong, "address:198.51.100.9") == "checked, wrong"
        later = (PIN_LOCK + timedelta(minutes=2)).total_seconds() / 60
        assert outcome(gate, number, pin, client, minutes=later) == "checked, right"
        assert gate.reader.rows(f"SELECT client FROM {TABLE}") == []  # stale windows are not kept

    def test_a_number_or_pin_of_the_wrong_shape_is_refused_and_counts_nothing(self, engines: EngineMaker) -> None:
        gate, number, pin, _ = opened_case(engines)
        for asked_number, asked_pin, field in (
            ("L" * 2_000_000, pin, "number"),
            ("LPK-1\x00", pin, "number"),
            (number, "12345", "pin"),
            (number, "１２３４５６", "pin"),
        ):
            with pytest.raises(InvalidInput) as refused:
                gate.track(asked_number, asked_pin, at(1), "address:203.0.113.7")
            assert str(refused.value).startswith(f"{field}:") and len(str(refused.value)) < 200
        assert gate.reader.rows(f"SELECT * FROM {TABLE}") == []
