"""A mutation's command runs off the server's event loop, and the commands of concurrent
requests share one durable commit: while one commit is held, the server still answers,
and the requests that arrive meanwhile are saved together in the next transaction.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from engine.application import Engine
from tests.api.conftest import Server, serve
from tests.api.test_idempotency import open_case

CITIZENS = [
    {"fullName": f"Гражданин {name} Тестович", "document": f"4201 00000{i}"}
    for i, name in enumerate(["Первый", "Второй", "Третий", "Четвёртый"])
]


class HeldCommit:
    """Wraps the store's save: the first save waits until released."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.engine: Engine | None = None

    def install(self, engine: Engine) -> None:
        self.engine = engine
        save = engine.store.save

        def held_save(*objects: Any, **kwargs: Any) -> Any:
            if not self.entered.is_set():
                self.entered.set()
                assert self.release.wait(60), "the test never released the held commit"
            return save(*objects, **kwargs)

        engine.store.save = held_save  # type: ignore[method-assign]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def held(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[tuple[Server, HeldCommit]]:
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    hold = HeldCommit()
    for server in serve(url, engine_hook=hold.install, background_refresh=False):
        yield server, hold


def test_concurrent_commands_share_a_commit_and_the_loop_stays_free(held: tuple[Server, HeldCommit]) -> None:
    server, hold = held
    answers: dict[int, dict[str, Any]] = {}

    def citizen(i: int) -> None:
        answers[i] = open_case(server, f"portal-{i}", "integrator", CITIZENS[i], key=f"K-{i}")

    first = threading.Thread(target=citizen, args=(0,))
    first.start()
    assert hold.entered.wait(30), "the first command never reached its commit"
    # The first commit is held: the event loop must still answer.
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code in (200, 503)
    others = [threading.Thread(target=citizen, args=(i,)) for i in range(1, 4)]
    for thread in others:
        thread.start()
    assert hold.engine is not None and hold.engine.committer is not None
    committer = hold.engine.committer
    deadline = time.monotonic() + 30
    while len(committer._queue) < 3:  # all three decided, queued behind the held commit
        assert time.monotonic() < deadline, "the other requests did not queue behind the held commit"
        time.sleep(0.01)
    hold.release.set()
    for thread in [first, *others]:
        thread.join(60)
    assert sorted(answers) == [0, 1, 2, 3]
    assert all(a["__typename"] == "OpenCasePayload" for a in answers.values()), answers
    assert len({a["case"]["number"] for a in answers.values()}) == 4
    assert (committer.batches, committer.commands) == (2, 4)
