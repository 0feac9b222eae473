"""An okno server over a seeded store, reached two ways.

By default the app runs in process, through ASGI (httpx's ASGI transport; the lifespan,
the background refresher and every middleware run as under uvicorn, without a socket):
most API tests prove what the API answers, and a socket adds only time to that.

A test marked ``socket`` gets a real uvicorn on loopback instead, for what only a socket
shows: the HTTP edge (raw requests, read timeouts), websockets (subscriptions), health
under a running refresher, a browser, the server's own log.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from gql import Client, gql
from gql.transport.httpx import HTTPXTransport
from starlette.applications import Starlette

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
IN_PROCESS = "http://okno.test"  # the host of the in-process server's URLs


@dataclass
class Server:
    url: str  # IN_PROCESS, or http://127.0.0.1:PORT over a socket
    tokens: Tokens
    store_url: str
    clock_offset: list[timedelta]  # the server's clock runs ahead by this much (for backoffs to pass)
    http: httpx.Client  # plain HTTP to the server, by path: server.http.get("/healthz")
    asgi: InProcess | None = None  # in process: the transport every client goes through

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset[0]

    def work_jobs(self, treasury: PaidTreasury | None = None, later: timedelta = timedelta(0)) -> Any:
        """Run the due service-task jobs as `okno worker` does, ``later`` than the server's now."""
        engine = new_engine(parse_url(self.store_url), master_key=MASTER_KEY, entropy=Entropy())
        try:
            return work_jobs(engine, self.now() + later, treasury)
        finally:
            engine.close()

    def token(self, role: str, office: str | None = None) -> str:
        return self.tokens.issue(f"test-{role}", role, office, datetime.now(UTC))

    def graphql_transport(self, headers: dict[str, str]) -> HTTPXTransport:
        """gql's HTTP transport to /graphql, in process or over the socket."""
        if self.asgi is None:
            return HTTPXTransport(url=f"{self.url}/graphql", headers=headers, timeout=30)
        return HTTPXTransport(url=f"{self.url}/graphql", headers=headers, timeout=30, transport=self.asgi)

    def client(self, role: str | None = None, office: str | None = None) -> Client:
        headers = {"Authorization": f"Bearer {self.token(role, office)}"} if role else {}
        return Client(transport=self.graphql_transport(headers))

    def run(self, role: str | None, query: str, office: str | None = None, **variables: Any) -> dict[str, Any]:
        request = gql(query)
        request.variable_values = variables or None
        with self.client(role, office) as session:
            result: dict[str, Any] = session.execute(request)
            return result


def seed(url: str) -> None:
    """Deploy the shipped processes and catalog and register the Lipetsk offices."""
    engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        assert engine.deploy(shipped_sources(), T0).ok
        engine.publish_catalog(parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8")), T0)
        engine.register_offices(lipetsk_offices(), T0)
    finally:
        engine.close()


def ready(http: httpx.Client) -> None:
    """Wait for the refresher's first round, as a load balancer waits for /healthz: a test
    then never reads health the server has not measured yet (in process, a test's first
    requests can all be answered before that round ends)."""
    deadline = time.monotonic() + 30
    while not http.get("/healthz").json()["read_models"]:
        assert time.monotonic() < deadline, "the server's refresher never finished a round"
        time.sleep(0.05)


def app_for(
    url: str, offset: list[timedelta], engine_hook: Callable[[Engine], None] | None = None, **app_options: Any
) -> Starlette:
    """The app over the store at ``url``; ``engine_hook`` sees the server's engine before its
    services are built."""
    clock: Callable[[], datetime] = lambda: datetime.now(UTC) + offset[0]  # noqa: E731

    def make_services() -> Services:
        engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
        if engine_hook is not None:
            engine_hook(engine)
        return new_services(engine, clock=clock, tokens=Tokens(MASTER_KEY, engine.revoked_tokens))

    return create_app(make_services, **app_options)


def serve(
    url: str, *, seeded: bool = False, listening: socket.socket | None = None, **app_options: Any
) -> Iterator[Server]:
    """A real uvicorn on a loopback port (bound here, so two test processes never race for one;
    or ``listening``, bound by a test that must know the port first: sign-in's provider does)."""
    if not seeded:
        seed(url)
    offset = [timedelta(0)]
    if listening is None:
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
    port: int = listening.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app_for(url, offset, **app_options), log_level="warning", ws="websockets-sansio")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            ready(http)  # as serve_in_process: no test reads before the read models are up
            yield Server(f"http://127.0.0.1:{port}", Tokens(MASTER_KEY, None), url, offset, http)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()


class InProcess(httpx.BaseTransport):
    """httpx's ASGI transport for synchronous clients: each request runs on the app's own
    event loop (a thread of this process), as uvicorn would run it, and is answered whole."""

    def __init__(self, app: Starlette, portal: BlockingPortal) -> None:
        # A 500 is answered as uvicorn answers it, not raised into the test.
        self.asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def answer() -> tuple[httpx.Response, bytes]:
            response = await self.asgi.handle_async_request(request)
            return response, await response.aread()

        response, content = self.portal.call(answer)
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)


def serve_in_process(url: str, *, seeded: bool = False, **app_options: Any) -> Iterator[Server]:
    """The app in this process through ASGI, its lifespan (services, background refresher)
    run on an event loop of its own as a server runs it."""
    if not seeded:
        seed(url)
    offset = [timedelta(0)]
    app = app_for(url, offset, **app_options)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(app.router.lifespan_context(app)):
        transport = InProcess(app, portal)
        with httpx.Client(base_url=IN_PROCESS, transport=transport, timeout=30) as http:
            ready(http)
            yield Server(IN_PROCESS, Tokens(MASTER_KEY, None), url, offset, http, asgi=transport)


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite store seeded once per test process; each test serves a copy of its own."""
    path = tmp_path_factory.mktemp("seeded") / "okno.sqlite"
    seed(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, sqlite_url: str, seeded_sqlite: Path) -> Iterator[Server]:
    """Every API test runs against both stores (PostgreSQL when OKNO_TEST_DATABASE_URL is set):
    in process, or over a real socket for a test marked ``socket``."""
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
        seed(url)
    else:
        url = sqlite_url
        shutil.copyfile(seeded_sqlite, url.removeprefix("sqlite:///"))
    over_a_socket = request.node.get_closest_marker("socket") is not None
    yield from (serve if over_a_socket else serve_in_process)(url, seeded=True)
