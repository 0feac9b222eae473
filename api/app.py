"""The Starlette app: /graphql (GraphiQL in a browser, graphql-transport-ws for
subscriptions), /healthz, /metrics, okno's pages at /ui/ and staff sign-in at /auth/.
Start-up and shutdown only through the lifespan."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.auth import NotAllowed, NotAuthenticated, bearer
from api.context import Context, Services
from api.graphql.cases import case_loaders
from api.health import Refresher
from api.http_edge import MAX_JSON_DEPTH, READ_TIMEOUT_SECONDS, RequestBody, ResponseMetrics, nests_deeper
from api.ide import PREFIX, asset, graphiql_html
from api.oidc.routes import SignIn
from api.oidc.settings import SignInSettings
from api.pages import PREFIX as PAGES_PREFIX
from api.pages import home, page
from api.persisted_queries import PersistedQueries
from api.schema import schema
from engine.errors import NotFound, OknoError

INVALID_TOKEN = 'Bearer error="invalid_token"'  # noqa: S105 (RFC 6750's challenge, no secret): get a new token


class OknoGraphQL(GraphQL[Context, None]):
    def __init__(self, services: Services) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.services = services
        self.persisted = PersistedQueries()

    async def execute_single(  # strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """A persisted query's text from the store (api.persisted_queries) before it runs. A
        GET runs only a persisted query, and only a query: a cacheable read, never a change."""
        resolved = self.persisted.resolve(request_data)
        if isinstance(resolved, ExecutionResult):
            return resolved
        if request_adapter.method != "GET" or (resolved is request_data and request_data.query is not None):
            return await super().execute_single(request, request_adapter, sub_response, context, root_value, resolved)
        try:
            return await self.schema.execute(
                resolved.query,
                root_value=root_value,
                variable_values=resolved.variables,
                context_value=context,
                operation_name=resolved.operation_name,
                allowed_operation_types={OperationType.QUERY},
                operation_extensions=resolved.extensions,
            )
        except InvalidOperationTypeError as refused:
            raise HTTPException(405, refused.as_http_error_reason("GET")) from None

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """A GET naming a persisted query is that query, not a browser asking for GraphiQL."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()

    def decode_json(self, data: str | bytes) -> object:
        """Websocket messages come here unchecked by RequestBody: JSON nested too deep is
        refused as JSON strawberry cannot read (the socket closes with 4400), never left to
        json's recursion (a RecursionError, a traceback in the log)."""
        if nests_deeper(data.encode() if isinstance(data, str) else data, MAX_JSON_DEPTH):
            raise json.JSONDecodeError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", "", 0)
        return super().decode_json(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        principal = None
        if isinstance(request, Request):
            token = bearer(request.headers.get("authorization"))
            if token:
                principal = self.services.tokens.verify(token)
        return Context(
            services=self.services,
            principal=principal,
            request=request,
            response=response,
            loaders=case_loaders(self.services.reader),
        )

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


def create_app(
    make_services: Callable[[], Services],
    *,
    background_refresh: bool = True,
    read_timeout: float = READ_TIMEOUT_SECONDS,
    sign_in: SignInSettings | None = None,
) -> Starlette:
    """``sign_in``: staff sign-in's OpenID Connect provider (api.oidc.settings); None, /auth/login
    says sign-in is off."""
    registry = CollectorRegistry()
    requests = Counter(
        "okno_http_requests", "HTTP responses by route and status", ["path", "status"], registry=registry
    )
    latency = Histogram("okno_http_request_seconds", "HTTP request latency", ["path"], registry=registry)
    parked = Gauge(
        "okno_read_model_parked_cases",
        "Cases a read model could not fold, waiting for `okno projections retry`",
        ["model"],
        registry=registry,
    )
    holder: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = make_services()
        holder["graphql"] = OknoGraphQL(services)
        holder["services"] = services
        holder["refresher"] = Refresher(services)
        holder["sign_in"] = SignIn(sign_in, services.tokens, services.clock).app
        refresher = asyncio.create_task(holder["refresher"].run_forever()) if background_refresh else None
        try:
            yield
        finally:
            if refresher:
                holder["refresher"].stop()  # let the round in hand end before the store closes
                await refresher
            services.engine.close()

    class GraphQLEndpoint:
        """/graphql over HTTP and websockets: the strawberry app made in the lifespan."""

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await holder["graphql"](scope, receive, send)
                return
            try:
                await holder["graphql"](scope, receive, send)
            except NotAuthenticated as error:
                # The token sent does not verify: the request is refused before anything runs,
                # in the shape of every other error (docs/ERRORS.md).
                body = {"errors": [{"message": str(error), "extensions": {"code": error.code}}]}
                refused = JSONResponse(body, status_code=401, headers={"WWW-Authenticate": INVALID_TOKEN})
                await refused(scope, receive, send)

    async def auth(scope: Scope, receive: Receive, send: Send) -> None:
        """/auth/…: the sign-in routes made in the lifespan (they sign with the server's tokens)."""
        await holder["sign_in"](scope, receive, send)

    async def healthz(request: Request) -> Response:
        """Answered from what the refresher found, never waiting on the database (see api.health)."""
        refresher: Refresher = holder["refresher"]
        if not background_refresh:
            await asyncio.to_thread(refresher.round)
        health = refresher.health()
        return JSONResponse(health.as_json(), status_code=200 if health.ok else 503)

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
            who.require("operator", "expert", "supervisor", "auditor", "integrator", office=case.office)
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
        services: Services = holder["services"]
        refresher: Refresher = holder["refresher"]
        # The parked cases the refresher last found: a scrape never waits on the database.
        waiting = [case.model for case in refresher.health().parked]
        for model in services.projector.models:
            parked.labels(model.name).set(waiting.count(model.name))
        return PlainTextResponse(generate_latest(registry).decode(), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", GraphQLEndpoint()),
            Route("/healthz", healthz),
            Route("/cases/{number}/diagram.svg", diagram),
            Route(PREFIX + "{path:path}", asset),
            Route("/metrics", metrics),
            Route("/", home),
            Route(PAGES_PREFIX + "{path:path}", page),
            Mount("/auth", app=auth),
        ],
        lifespan=lifespan,
    )

    def route_of(scope: Scope) -> str:
        """A request's route as a metrics label: one of the routes above, or "other"."""
        return next(
            (str(getattr(route, "path", "other")) for route in app.routes if route.matches(scope)[0] is not Match.NONE),
            "other",
        )

    app.add_middleware(RequestBody, read_timeout=read_timeout)  # inside the metrics: its refusals are counted
    app.add_middleware(ResponseMetrics, requests=requests, latency=latency, route_of=route_of)
    return app
