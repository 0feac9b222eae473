"""GraphiQL, served from okno itself when its assets are installed (api/static, `npm ci`),
so the IDE also works on machines that cannot reach a CDN; otherwise strawberry's page
loads them from unpkg as usual. The integrity hashes in the page still hold: the files
are the same versions, byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from strawberry.http.ides import get_graphql_ide_html

ASSETS = Path(__file__).resolve().parent / "static" / "node_modules"
PREFIX = "/graphiql-assets/"
_CDN = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@[\w.-]+/([\w./-]+)")


def assets_installed() -> bool:
    return (ASSETS / "graphiql" / "graphiql.min.js").is_file()


def graphiql_html() -> str:
    html = get_graphql_ide_html(graphql_ide="graphiql")
    if not assets_installed():
        return html
    return _CDN.sub(lambda m: f"{PREFIX}{m.group(1)}/{m.group(2)}", html)


def _allowed() -> set[str]:
    html = get_graphql_ide_html(graphql_ide="graphiql")
    return {f"{m.group(1)}/{m.group(2)}" for m in _CDN.finditer(html)}


ALLOWED = _allowed()


async def asset(request: Request) -> Response:
    """Only the files the page names: nothing else under node_modules is reachable."""
    path = str(request.path_params["path"])
    if path not in ALLOWED or not assets_installed():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(ASSETS / path, headers={"Cache-Control": "public, max-age=86400"})
