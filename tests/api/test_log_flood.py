"""Nobody can flood the server's log from outside: input reaches the log only as a short
excerpt, an expected refusal is at most one short line, and only a bug logs a traceback
(with its message cut short too)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from graphql import GraphQLError

from api.error_log import EXCERPT, log_error
from tests.api.conftest import Server

pytestmark = pytest.mark.socket  # the log a real server writes, uvicorn's loggers included

HUGE = "7" * 2_000_000  # just under the 2 MiB body limit with the query around it
PER_REQUEST = 2_048  # log bytes one refused request may cost at most
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "strawberry.execution", "okno.api")
LOUDER = ("strawberry.execution", "okno.api")  # at INFO, stricter than the server's WARNING: refusals show


class Captured(logging.Handler):
    """Every record the server writes, formatted as a log file would hold it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(("httpx", "httpcore")):  # the test's own client
            self.lines.append(self.format(record))


@pytest.fixture
def log() -> Iterator[Captured]:
    handler = Captured()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        if logger is logging.root or not logger.propagate:  # each record reaches the handler once
            logger.addHandler(handler)
        if logger.name in LOUDER:
            logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def test_refusals_and_huge_arguments_cost_at_most_one_short_log_line_each(server: Server, log: Captured) -> None:
    operator = {"Authorization": f"Bearer {server.token('operator', 'LPK')}"}
    requests: list[tuple[dict[str, str], str, dict[str, object]]] = [
        ({}, 'query($n: String!) { track(number: $n, pin: "000000") { stage } }', {"n": HUGE}),
        ({}, 'query($n: String!) { track(number: $n, pin: "000000") { stage } }', {"n": "LPK-NOSUCHCASE"}),
        ({}, "query($n: String!) { case(number: $n) { number } }", {"n": HUGE}),
        ({}, "{ cases { edges { node { number } } } }", {}),  # no token
        (operator, '{ tasks(officeId: "ELC") { edges { node { taskId } } } }', {}),  # another office
        ({}, "{ noSuchField }", {}),  # not in the schema
    ]
    with httpx.Client(timeout=60) as client:
        for headers, query, variables in requests:
            before = len(log.lines)
            answer = client.post(
                f"{server.url}/graphql", headers=headers, json={"query": query, "variables": variables}
            )
            assert answer.status_code in (200, 400) and answer.json()["errors"], answer.text[:300]
            written = log.lines[before:]
            assert len(written) <= 1, written
            assert sum(len(line.encode()) for line in written) < PER_REQUEST, [line[:300] for line in written]
    assert not any("Traceback" in line for line in log.lines)


def test_a_bug_logs_its_traceback_with_the_message_cut_short(caplog: pytest.LogCaptureFixture) -> None:
    def resolver(number: str) -> None:
        raise RuntimeError(f"could not read {number}\nFAKE 2026-11-02 ERROR okno forged line")

    try:
        resolver(HUGE)
    except RuntimeError as bug:
        error = GraphQLError("internal error", original_error=bug, path=["case"])
        message = str(bug)
    with caplog.at_level(logging.INFO, logger="okno.api"):
        log_error(error)
    [record] = caplog.records
    text = record.getMessage()
    assert record.levelno == logging.ERROR and "Traceback" in text and "in resolver" in text
    assert len(text) < 4 * 1024 and f"({len(message):,} characters)" in text
    assert "\nFAKE" not in text  # input cannot begin a line of its own
    assert text.count("7") < EXCERPT + 20
