"""The Starlette app: /graphql (GraphiQL in a browser, graphql-transport-ws for
subscriptions), /healthz and /metrics. Start-up and shutdown only through the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.auth import NotAllowed, NotAuthenticated, bearer
from api.context import Context, Services
from api.graphql.cases import case_loaders
from api.ide import PREFIX, asset, graphiql_html
from api.schema import schema
from engine.errors import NotFound, OknoError

MAX_BODY_BYTES = 2 * 1024 * 1024
REFRESH_SECONDS = 0.5


class OknoGraphQL(GraphQL[Context, None]):
    def __init__(self, services: Services) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        self.services = services

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        principal = None
        if isinstance(request, Request):
            token = bearer(request.headers.get("authorization"))
            if token:
                principal = self.services.tokens.verify(token)
        return Context(services=self.services, principal=principal, request=request, response=response,
                       loaders=case_loaders(self.services.reader))

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        token = bearer(str(params.get("Authorization") or params.get("authorization") or ""))
        if token is None:
            return None  # anonymous: only what needs no token
        try:
            context.principal = self.services.tokens.verify(token)
        except NotAuthenticated:
            raise ConnectionRejectionError({"reason": "invalid token"}) from None
        return None


class BodyLimit:
    """Refuse request bodies over the limit before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and int(length) > self.limit:
            await JSONResponse({"errors": [{"message": f"request body over {self.limit} bytes"}]},
                               status_code=413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await JSONResponse({"errors": [{"message": f"request body over {self.limit} bytes"}]},
                               status_code=413)(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(make_services: Callable[[], Services], *, background_refresh: bool = True) -> Starlette:
    registry = CollectorRegistry()
    requests = Counter("okno_http_requests", "HTTP requests", ["path", "status"], registry=registry)
    latency = Histogram("okno_http_request_seconds", "HTTP request latency", ["path"], registry=registry)
    holder: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = make_services()
        holder["graphql"] = OknoGraphQL(services)
        holder["services"] = services
        refresher = asyncio.create_task(_refresh_forever(services)) if background_refresh else None
        try:
            yield
        finally:
            if refresher:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher
            services.engine.close()

    class GraphQLEndpoint:
        """/graphql over HTTP and websockets: the strawberry app made in the lifespan."""

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await holder["graphql"](scope, receive, send)
                return
            started = time.perf_counter()
            status = {"code": 500}

            async def observed(message: Any) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                await send(message)

            try:
                await holder["graphql"](scope, receive, observed)
            except NotAuthenticated as error:
                status["code"] = 401
                await JSONResponse({"errors": [{"message": str(error)}]}, status_code=401)(scope, receive, send)
            latency.labels("/graphql").observe(time.perf_counter() - started)
            requests.labels("/graphql", str(status["code"])).inc()

    async def healthz(request: Request) -> Response:
        services: Services = holder["services"]
        status = services.projector.status()
        return JSONResponse({"status": "ok", "read_models": {s.name: {"position": s.position, "lag": s.lag}
                                                             for s in status}})

    async def diagram(request: Request) -> Response:
        """The case's process drawn with its path and current tasks (no personal data)."""
        services: Services = holder["services"]
        try:
            token = bearer(request.headers.get("authorization"))
            if token is None:
                raise NotAuthenticated("this needs a bearer token (okno token create)")
            who = services.tokens.verify(token)
            number = str(request.path_params["number"])
            case = services.engine.get_case(number)
            who.require("operator", "supervisor", "auditor", "integrator", office=case.office)
            svg = services.engine.diagram(number)
        except NotAuthenticated as error:
            return JSONResponse({"error": str(error)}, status_code=401)
        except NotAllowed as error:
            return JSONResponse({"error": str(error)}, status_code=403)
        except NotFound as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except OknoError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return Response(svg, media_type="image/svg+xml")

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(generate_latest(registry).decode(), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(routes=[
        Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", GraphQLEndpoint()),
        Route("/healthz", healthz),
        Route("/cases/{number}/diagram.svg", diagram),
        Route(PREFIX + "{path:path}", asset),
        Route("/metrics", metrics),
    ], lifespan=lifespan)
    app.add_middleware(BodyLimit)
    return app


async def _refresh_forever(services: Services) -> None:
    while True:
        services.refresh()
        await asyncio.sleep(REFRESH_SECONDS)

