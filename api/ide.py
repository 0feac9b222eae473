"""GraphiQL, served from okno itself: its assets ship inside the package
(api/static/vendor, the exact files strawberry's page names, licences beside them), so the
IDE works after `pip install .` on a machine that cannot reach a CDN. The page's
subresource-integrity hashes still hold: the files are the same versions, byte for byte
(tests/api/test_graphiql_offline.py checks each against its hash).

api/static/VENDORED.md says where the files come from and how to refresh them when
strawberry's page moves to new versions."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from strawberry.http.ides import get_graphql_ide_html

ASSETS = Path(__file__).resolve().parent / "static" / "vendor"
PREFIX = "/graphiql-assets/"
_CDN = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@[\w.-]+/([\w./-]+)")


def _page_assets(html: str) -> set[str]:
    return {f"{m.group(1)}/{m.group(2)}" for m in _CDN.finditer(html)}


ALLOWED = _page_assets(get_graphql_ide_html(graphql_ide="graphiql"))


def missing_assets() -> list[str]:
    """The files the page names that the package lacks (empty in a good install: a test
    and `/healthz`'s callers rely on it)."""
    return sorted(path for path in ALLOWED if not (ASSETS / path).is_file())


def graphiql_html() -> str:
    """Strawberry's page with every CDN address pointing at okno's own copy."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    return _CDN.sub(lambda m: f"{PREFIX}{m.group(1)}/{m.group(2)}", html)


async def asset(request: Request) -> Response:
    """Only the files the page names: nothing else in the package is reachable."""
    path = str(request.path_params["path"])
    if path not in ALLOWED or not (ASSETS / path).is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(ASSETS / path, headers={"Cache-Control": "public, max-age=86400"})
