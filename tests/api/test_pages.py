"""okno's own pages as files: served from the package under /ui/, each with a policy that
keeps it on its own origin, and nothing outside api/pages/static reachable through them."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.api.conftest import Server
from tests.conftest import ROOT

STATIC = ROOT / "api" / "static"


def test_the_home_address_leads_to_the_pages_index(server: Server) -> None:
    response = server.http.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/ui/"
    index = server.http.get("/ui/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "МФЦ «Мои Документы»" in index.text


def test_every_page_keeps_to_its_own_origin(server: Server) -> None:
    for path in ("/ui/", "/ui/okno.js", "/ui/okno.css"):
        response = server.http.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
    assert server.http.get("/ui/okno.js").headers["content-type"].startswith("text/javascript")


def test_the_vendored_viewers_are_served_on_the_pages_origin(server: Server) -> None:
    for path in (
        "/ui/vendor/@bpmn-io/form-js/dist/form-viewer.umd.js",
        "/ui/vendor/@bpmn-io/form-js/dist/assets/form-js.css",
        "/ui/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
        "/ui/vendor/bpmn-js/dist/assets/bpmn-js.css",
    ):
        response = server.http.get(path)
        assert response.status_code == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/ui/vendor/../../app.py",
        "/ui/vendor/bpmn-js/LICENSE",
        "/ui/vendor/%2e%2e/VENDORED.md",
        "/ui/../app.py",
        "/ui/..%2F__init__.py",
        "/ui/%2e%2e/%2e%2e/pyproject.toml",
        "/ui/nothing.html",
        "/ui/okno.py",
    ],
)
def test_nothing_outside_the_pages_is_served(server: Server, path: str) -> None:
    response = server.http.get(path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_every_vendored_file_is_the_one_vendored_md_lists() -> None:
    """Provenance: each file under api/static/vendor has the hash VENDORED.md records, and
    every file VENDORED.md lists is shipped (a refreshed file needs its new hash written down)."""
    listed = {
        path: digest
        for digest, path in re.findall(r"^    ([0-9a-f]{16})  (\S+)$", (STATIC / "VENDORED.md").read_text(), re.M)
    }
    shipped = {
        str(f.relative_to(STATIC / "vendor")): hashlib.sha256(f.read_bytes()).hexdigest()[:16]
        for f in (STATIC / "vendor").rglob("*")
        if f.is_file() and f.name != "LICENSE"
    }
    assert shipped == listed
