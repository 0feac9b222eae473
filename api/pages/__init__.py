"""okno's own pages, served by `okno serve` from the package: the citizen's pages, the hall
board, the operator's workplace and the supervisor's console. They are plain HTML and
JavaScript modules with no build step, driven by the public GraphQL API like any other
integrator (api/pages/static/okno.js is their one client), and every file they load ships
in the package (api/static/vendor for third-party code), so they work offline after
`pip install .`.

Only files under api/pages/static with a known type are served; the Content-Security-Policy
keeps every page on its own origin (no CDN, no inline script), which is also what makes
the offline promise testable."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

PAGES = Path(__file__).resolve().parent / "static"
PREFIX = "/ui/"
# Third-party viewers the pages load (form-js, bpmn-js), vendored beside GraphiQL's assets
# (api/static/VENDORED.md), are served under /ui/vendor/ so they stay on the pages' origin.
VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
VENDOR_PATH = "vendor/"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".json": "application/json",
}
# Same origin only: scripts, styles, fonts, the API and its websocket. Styles allow
# 'unsafe-inline' for the style attributes bpmn-js and form-js set on their own elements.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def page_file(path: str) -> Path | None:
    """The file a request names, if it is one of the pages' own (no way out of PAGES)."""
    if not path or path.endswith("/"):
        path += "index.html"
    root = PAGES
    if path.startswith(VENDOR_PATH):
        root, path = VENDOR, path.removeprefix(VENDOR_PATH)
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or candidate.suffix not in TYPES or not candidate.is_file():
        return None
    return candidate


async def page(request: Request) -> Response:
    found = page_file(str(request.path_params["path"]))
    if found is None:
        return PlainTextResponse("Страница не найдена", status_code=404)
    return FileResponse(
        found,
        media_type=TYPES[found.suffix],
        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


async def home(request: Request) -> Response:
    return RedirectResponse(PREFIX, status_code=307)
