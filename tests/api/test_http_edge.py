"""The HTTP edge through a real server: a body nested too deep is refused (400, not a 500),
a body that never finishes arriving times out (408), and /metrics counts every response
with its status, including the refusals the app never saw."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message
from websockets.typing import Subprotocol

from api.http_edge import MAX_JSON_DEPTH, ResponseMetrics, json_depth
from tests.api.conftest import Server, serve

pytestmark = pytest.mark.socket  # raw requests, read timeouts and websockets: what only a socket shows

READ_TIMEOUT = 1.0


@pytest.fixture
def impatient_server(sqlite_url: str) -> Iterator[Server]:
    """A server that waits only READ_TIMEOUT seconds for a request's body."""
    yield from serve(sqlite_url, read_timeout=READ_TIMEOUT)


def nested(depth: int) -> str:
    return (
        '{"query": "query($v: String) { services { code } }", "variables": {"v": '
        + "[" * (depth - 2)
        + "]" * (depth - 2)
        + "}}"
    )


def raw_request(server: Server, head: str, body: bytes) -> str:
    """Send a request over a plain socket and read the answer until the server closes."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(head.encode() + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer.decode("utf-8", "replace")


def test_a_json_body_nested_too_deep_is_refused_before_parsing(server: Server) -> None:
    assert json_depth(nested(1000).encode()) == 1000
    deep = httpx.post(
        f"{server.url}/graphql", content=nested(1000), timeout=30, headers={"content-type": "application/json"}
    )
    assert deep.status_code == 400
    assert deep.json() == {"errors": [{"message": f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels"}]}
    at_the_limit = httpx.post(
        f"{server.url}/graphql",
        content=nested(MAX_JSON_DEPTH),
        timeout=30,
        headers={"content-type": "application/json"},
    )
    assert at_the_limit.status_code in (200, 400) and "nests deeper" not in at_the_limit.text
    assert at_the_limit.json()["errors"]  # a list is not a String: GraphQL says so
    brackets_in_text = httpx.post(
        f"{server.url}/graphql",
        timeout=30,
        json={"query": "query($v: String) { services { code } }", "variables": {"v": "[{" * 5000 + '\\"'}},
    )
    assert brackets_in_text.status_code == 200, brackets_in_text.text  # brackets inside strings are text


def test_a_body_that_never_finishes_arriving_gets_408(impatient_server: Server) -> None:
    head = "POST /graphql HTTP/1.1\r\nHost: okno\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    answer = raw_request(impatient_server, head, b'{"query": "{ services')  # and then nothing
    assert answer.startswith("HTTP/1.1 408"), answer[:200]
    assert f"did not arrive within {READ_TIMEOUT:g} s" in answer


def _responses_counted(url: str) -> dict[tuple[str, str], float]:
    metrics = httpx.get(f"{url}/metrics", timeout=30).text
    return {
        (path, status): float(n)
        for path, status, n in re.findall(r'okno_http_requests_total\{path="([^"]*)",status="(\d+)"\} (\S+)', metrics)
    }


def test_metrics_count_every_response_with_its_status(impatient_server: Server) -> None:
    url = impatient_server.url
    before = _responses_counted(url)  # the fixture's own readiness checks (/healthz) came first
    with httpx.Client(timeout=30) as client:
        assert client.get(f"{url}/healthz").status_code == 200
        assert client.get(f"{url}/no/such/page").status_code == 404
        assert (
            client.post(
                f"{url}/graphql", content=b"x" * (3 * 1024 * 1024), headers={"content-type": "application/json"}
            ).status_code
            == 413
        )
        assert (
            client.post(
                f"{url}/graphql", content=nested(1000), headers={"content-type": "application/json"}
            ).status_code
            == 400
        )
        assert (
            client.post(
                f"{url}/graphql", json={"query": "{ services { code } }"}, headers={"authorization": "Bearer forged"}
            ).status_code
            == 401
        )
        assert client.get(f"{url}/cases/LPK-1/diagram.svg").status_code == 401
    raw_request(impatient_server, "POST /graphql HTTP/1.1\r\nHost: okno\r\nContent-Length: 10\r\n\r\n", b"{")
    metrics = httpx.get(f"{url}/metrics", timeout=30).text
    after = _responses_counted(url)
    counted = {k: n - before.get(k, 0.0) for k, n in after.items() if n != before.get(k, 0.0) and k[0] != "/metrics"}
    assert counted == {
        ("/healthz", "200"): 1.0,
        ("other", "404"): 1.0,
        ("/graphql", "413"): 1.0,
        ("/graphql", "400"): 1.0,
        ("/graphql", "401"): 1.0,
        ("/graphql", "408"): 1.0,
        ("/cases/{number}/diagram.svg", "401"): 1.0,
    }, metrics
    assert re.search(r'okno_read_model_parked_cases\{model="cases"\} 0\.0', metrics), metrics


def test_a_crash_is_counted_as_a_500() -> None:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    requests = Counter("requests", "", ["path", "status"], registry=registry)
    latency = Histogram("latency", "", ["path"], registry=registry)

    async def crash(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = Starlette(routes=[Route("/crash", crash)])
    app.add_middleware(ResponseMetrics, requests=requests, latency=latency, route_of=lambda scope: "/crash")
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/crash",
        "raw_path": b"/crash",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    with pytest.raises(RuntimeError, match="a bug"):  # Starlette answers 500, then re-raises for the server
        asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 500
    assert registry.get_sample_value("requests_total", {"path": "/crash", "status": "500"}) == 1.0


def test_a_websocket_message_nested_too_deep_closes_the_socket_without_a_traceback(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    deep = (
        '{"type": "subscribe", "id": "1", "payload": {"query": "subscription { x }", "variables": {"v": '
        + "[" * 5000
        + "]" * 5000
        + "}}}"
    )

    async def run() -> int | None:
        url = server.url.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as socket_:
            await socket_.send(json.dumps({"type": "connection_init", "payload": {}}))
            await asyncio.wait_for(socket_.recv(), timeout=30)  # connection_ack
            await socket_.send(deep)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket_.recv(), timeout=30)
            return socket_.close_code

    uvicorn_errors = logging.getLogger("uvicorn.error")
    uvicorn_errors.addHandler(caplog.handler)  # it does not propagate to the root logger
    try:
        assert asyncio.run(run()) == 4400
    finally:
        uvicorn_errors.removeHandler(caplog.handler)
    assert not any(record.exc_info or "Traceback" in record.getMessage() for record in caplog.records)


def test_json_depth_counts_only_brackets_outside_strings() -> None:
    assert json_depth(json.dumps({"a": [1, {"b": 'x]\\"[{', "c": [[["\\"]]]}]}).encode()) == 6
    assert json_depth(b"[]{}[[]]") == 2 and json_depth(b'"[[["') == 0 and json_depth(b"") == 0
