"""The server under load, in a process of its own (so its memory is its own):
``python -m okno.bench.server graphql|plain STORE_URL PORT``.

``graphql`` is okno's app as `okno serve` runs it; ``plain`` is the baseline: a bare
Starlette JSON endpoint reading the same read-model rows with the same SQL."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.store import parse_url
from okno.bench.workload import MASTER_KEY, SeededEntropy

WORK_LIST_SQL = "SELECT * FROM rm_tasks WHERE office = ? ORDER BY opened_at, task_id LIMIT ?"
CASE_SQL = "SELECT * FROM rm_cases WHERE number = ?"
CASE_TASKS_SQL = "SELECT * FROM rm_tasks WHERE case_number = ? ORDER BY opened_at, task_id"


def services(url: str) -> Any:
    from api.auth import Tokens
    from okno.bootstrap import new_engine, new_services

    engine = new_engine(parse_url(url, create_tables=False), master_key=MASTER_KEY, entropy=SeededEntropy("server"))
    return new_services(engine, tokens=Tokens(MASTER_KEY, engine.revoked_tokens))


def plain_app(url: str) -> Starlette:
    holder: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        holder["services"] = services(url)
        try:
            yield
        finally:
            holder["services"].engine.close()

    async def work_list(request: Request) -> Response:
        rows = holder["services"].reader.rows(WORK_LIST_SQL, (request.path_params["office"], 21))
        return JSONResponse({"tasks": rows[:20], "more": len(rows) > 20})

    async def case(request: Request) -> Response:
        reader = holder["services"].reader
        found = reader.rows(CASE_SQL, (request.path_params["number"],))
        if not found:
            return JSONResponse({"case": None}, status_code=404)
        tasks = reader.rows(CASE_TASKS_SQL, (found[0]["number"],))
        return JSONResponse({"case": {**found[0], "tasks": tasks}})

    return Starlette(routes=[Route("/worklist/{office}", work_list), Route("/case/{number}", case)], lifespan=lifespan)


def main() -> None:
    kind, url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "graphql":
        from api.app import create_app

        app = create_app(lambda: services(url))
    else:
        app = plain_app(url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
