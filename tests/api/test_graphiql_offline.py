"""GraphiQL works from the package alone: its page names nothing outside okno, and every
asset it names is served by okno, byte for byte the file the page's integrity hash pins."""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib

from api.ide import ALLOWED, PREFIX, missing_assets
from tests.api.conftest import Server
from tests.conftest import ROOT

_TAG = re.compile(r'(?:src|href)="(?P<url>[^"]+)"[^>]*?integrity="(?P<sri>sha384-[^"]+)"')


def test_the_package_ships_every_asset_the_page_names() -> None:
    assert len(ALLOWED) >= 5  # the page's scripts and styles were found at all
    assert missing_assets() == []


def test_the_shipped_assets_are_package_data() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = package_data["package-data"]["api"]
    assert any(p.startswith("static/vendor/") for p in patterns), patterns


def test_graphiql_page_loads_nothing_from_outside_and_every_asset_matches_its_integrity_hash(server: Server) -> None:
    page = server.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert "unpkg.com" not in html and "cdn." not in html
    external = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if not u.startswith((PREFIX, "data:"))]
    assert external == [], external
    tags = list(_TAG.finditer(html))
    assert len(tags) == len(ALLOWED)
    for tag in tags:
        served = server.http.get(tag["url"])
        assert served.status_code == 200, tag["url"]
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert tag["sri"] == f"sha384-{digest}", tag["url"]


def test_only_the_named_assets_are_reachable(server: Server) -> None:
    for path in ("graphiql/LICENSE", "graphiql/package.json", "../ide.py", "react/umd/react.development.js"):
        assert server.http.get(f"{PREFIX}{path}").status_code == 404, path
