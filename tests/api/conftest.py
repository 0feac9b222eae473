"""A real okno server on loopback: uvicorn in a thread, over a seeded store."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from gql import Client, gql
from gql.transport.httpx import HTTPXTransport

from api.app import create_app
from api.auth import Tokens
from api.context import Services
from engine.application import Engine
from engine.catalog import parse_catalog
from engine.store import parse_url
from okno.bootstrap import new_engine, new_services
from okno.demo.region import lipetsk_offices
from tests.conftest import MASTER_KEY, ROOT, T0, Entropy, PaidTreasury, shipped_sources, work_jobs

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@dataclass
class Server:
    url: str
    tokens: Tokens
    store_url: str
    clock_offset: list[timedelta]  # the server's clock runs ahead by this much (for backoffs to pass)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset[0]

    def work_jobs(self, treasury: PaidTreasury | None = None, later: timedelta = timedelta(0)) -> Any:
        """Run the due service-task jobs as `okno worker` does, ``later`` than the server's now."""
        engine = Engine(parse_url(self.store_url), master_key=MASTER_KEY, entropy=Entropy())
        try:
            return work_jobs(engine, self.now() + later, treasury)
        finally:
            engine.close()

    def token(self, role: str, office: str | None = None) -> str:
        return self.tokens.issue(f"test-{role}", role, office, datetime.now(UTC))

    def client(self, role: str | None = None, office: str | None = None) -> Client:
        headers = {"Authorization": f"Bearer {self.token(role, office)}"} if role else {}
        return Client(transport=HTTPXTransport(url=f"{self.url}/graphql", headers=headers, timeout=30))

    def run(self, role: str | None, query: str, office: str | None = None, **variables: Any) -> dict[str, Any]:
        request = gql(query)
        request.variable_values = variables or None
        with self.client(role, office) as session:
            result: dict[str, Any] = session.execute(request)
            return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(url: str, engine_hook: Callable[[Engine], None] | None = None, **app_options: Any) -> Iterator[Server]:
    """A real server (uvicorn on a loopback port) over a seeded store; ``engine_hook`` sees the
    server's engine before its services are built."""
    seed = Engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
    assert seed.deploy(shipped_sources(), T0).ok
    seed.publish_catalog(parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8")), T0)
    seed.register_offices(lipetsk_offices(), T0)
    seed.close()
    offset = [timedelta(0)]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC) + offset[0]  # noqa: E731

    def make_services() -> Services:
        engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
        if engine_hook is not None:
            engine_hook(engine)
        return new_services(engine, clock=clock, tokens=Tokens(MASTER_KEY, engine.revoked_tokens))

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(make_services, **app_options), host="127.0.0.1", port=port,
                                           log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", Tokens(MASTER_KEY, None), url, offset)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Server]:
    """Every API test runs against both stores (PostgreSQL when OKNO_TEST_DATABASE_URL is set)."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    yield from serve(url)
