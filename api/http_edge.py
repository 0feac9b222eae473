"""The HTTP edge: what every request body must be before anything parses it, and the count
of every response the server gives.

Pure ASGI middleware (not Starlette's BaseHTTPMiddleware, which would buffer responses and
break streaming): ``RequestBody`` reads the whole body first, within a size limit (413)
and a time limit (408: a client dripping bytes holds a connection only that long), then
refuses JSON nested deeper than a limit (400) — Python's json recurses and a deep enough
body ended in a RecursionError, an HTTP 500 — and hands the app the body it read.
``ResponseMetrics`` wraps everything and counts each response by route and status,
including those the app never saw (413, 408, 400, 404) and the 500 of a crash.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 2 * 1024 * 1024
READ_TIMEOUT_SECONDS = 10.0  # the whole body must arrive within this (okno serve --read-timeout)
MAX_JSON_DEPTH = 400  # nested arrays and objects in a JSON body; json.loads recurses deeper safely

_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)  # possessive: runs of text in one step
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nests_deeper(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` in a JSON text. Most bodies do
    not even hold that many brackets, and are passed after two counts."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    return json_depth(body) > limit


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, without parsing it (no recursion;
    the scanning runs in C: strings dropped by a regex, then everything but brackets)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _refusal(status: int, message: str) -> list[Message]:
    """A GraphQL-style error response; the connection closes (the body may be half read)."""
    payload = json.dumps({"errors": [{"message": message}]}).encode()
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        },
        {"type": "http.response.body", "body": payload},
    ]


class RequestBody:
    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        max_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.app, self.limit, self.read_timeout, self.max_depth = app, limit, read_timeout, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"0")
        if not length.isdigit():
            await self._answer(send, 400, "the Content-Length header is not a number")
            return
        if int(length) > self.limit:
            await self._answer(send, 413, f"request body over {self.limit} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.read_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client went away: nobody to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.limit:
                        await self._answer(send, 413, f"request body over {self.limit} bytes")
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await self._answer(send, 408, f"the request body did not arrive within {self.read_timeout:g} s")
            return
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b"") and nests_deeper(body, self.max_depth):
            await self._answer(send, 400, f"the JSON body nests deeper than {self.max_depth} levels")
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    async def _answer(send: Send, status: int, message: str) -> None:
        for part in _refusal(status, message):
            await send(part)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then whatever comes next (a disconnect) from the client."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class ResponseMetrics:
    """Counts every HTTP response by route and status, and times it. ``route_of`` names a
    request's route from a fixed set, so no client can make a new time series."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram, route_of: Callable[[Scope], str]) -> None:
        self.app, self.requests, self.latency, self.route_of = app, requests, latency, route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, started = self.route_of(scope), time.perf_counter()
        status: dict[str, Any] = {}

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        except Exception:
            status.setdefault("code", 500)  # a crash: Starlette's error middleware outside answers 500
            raise
        finally:
            if "code" in status:  # else the client left before any answer
                self.requests.labels(route, str(status["code"])).inc()
                self.latency.labels(route).observe(time.perf_counter() - started)
