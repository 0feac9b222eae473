"""A real OpenID Connect provider for the sign-in tests: panva's oidc-provider (OpenID
Certified, tests/oidc_provider/provider.js) in a Node.js process on loopback, and an okno
server that signs staff in through it.

Its staff accounts (any password): ``operator`` (Keycloak's realm_access.roles: operator,
office LPK), ``expert`` (expert, office LPK), ``boss`` (flat roles: mfc-supervisor, mapped
to supervisor; office ELC), ``chief`` (mfc-supervisor, office LPK), ``analyst`` (no
office), ``visitor`` (no okno role), ``homeless`` (operator, no office)."""

from __future__ import annotations

import fcntl
import html
import os
import re
import selectors
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.oidc.settings import SignInSettings, parse_role_map
from tests.api.conftest import Server, serve

PROVIDER = Path(__file__).resolve().parent / "oidc_provider"
NODE = shutil.which("node")
NPM = shutil.which("npm")
CLIENT_ID = "okno-staff"
CLIENT_SECRET = "okno-test-client-secret"  # the test provider's, on loopback only
ROLE_MAP = "operator=operator,expert=expert,mfc-supervisor=supervisor,analyst=analyst"

needs_node = pytest.mark.skipif(
    not (NODE and NPM), reason="needs Node.js and npm to run the OpenID provider (tests/oidc_provider)"
)


def install_provider() -> None:
    """`npm ci` once (pinned by package-lock.json); a lock keeps two test processes from
    installing at the same time."""
    assert NPM is not None
    with open(PROVIDER / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
            subprocess.run(
                [NPM, "ci", "--no-audit", "--no-fund", "--prefix", str(PROVIDER)],
                check=True,
                capture_output=True,
                timeout=300,
            )


@contextmanager
def oidc_provider(okno_url: str, log: Path) -> Iterator[str]:
    """The provider, its one client allowed to return to ``okno_url``; yields its issuer URL."""
    assert NODE is not None
    install_provider()
    environment = {
        **os.environ,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OKNO_REDIRECT_URI": f"{okno_url}/auth/callback",
        "OKNO_POST_LOGOUT_URI": f"{okno_url}/ui/signed-out.html",
    }
    with open(log, "w") as errors:
        process = subprocess.Popen(
            [NODE, "provider.js"], cwd=PROVIDER, env=environment, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            assert process.stdout is not None
            waiting = selectors.DefaultSelector()
            waiting.register(process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 30
            line = ""
            while not line.startswith("issuer ") and time.monotonic() < deadline and process.poll() is None:
                if waiting.select(timeout=0.5):
                    line = process.stdout.readline()
            assert line.startswith("issuer "), f"the OpenID provider did not start: {log.read_text()}"
            yield line.split()[1]
        finally:
            process.terminate()
            process.wait(timeout=10)


@dataclass
class SignInSite:
    okno: Server
    issuer: str
    settings: SignInSettings


@contextmanager
def signed_in_site(folder: Path) -> Iterator[SignInSite]:
    """An okno server (SQLite, seeded) whose staff sign in through a fresh provider."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    okno_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    with oidc_provider(okno_url, folder / "provider.log") as issuer:
        settings = SignInSettings(
            issuer=issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            role_map=parse_role_map(ROLE_MAP),
            scopes="openid profile okno",
        )
        okno_server = contextmanager(serve)(
            f"sqlite:///{folder / 'okno.sqlite'}", listening=listening, sign_in=settings
        )
        with okno_server as okno:
            yield SignInSite(okno, issuer, settings)


def browser_client() -> httpx.Client:
    """A client that keeps cookies, as a browser does (okno's and the provider's both live on
    127.0.0.1), and follows no redirect on its own: each step is looked at."""
    return httpx.Client(timeout=30, follow_redirects=False)


def provider_login(client: httpx.Client, start: str, login: str) -> httpx.Response:
    """From a URL that leads to the provider's login form to the provider's answer after the
    form is posted with ``login`` (any password): the redirect back to okno's callback."""
    response = follow(client, start, stop_at="/interaction/")
    form = client.get(response.headers["location"] if response.is_redirect else str(response.url))
    action = re.search(r'<form[^>]*action="([^"]+)"', form.text)
    assert action, f"no login form on the provider's page: {form.text[:500]}"
    posted = client.post(html.unescape(action.group(1)), data={"prompt": "login", "login": login, "password": "any"})
    return follow(client, posted, stop_at="/auth/callback")


def follow(client: httpx.Client, start: str | httpx.Response, stop_at: str) -> httpx.Response:
    """Follow redirects until one points at a path containing ``stop_at`` (not taken) or a
    page that is not a redirect."""
    response = client.get(start) if isinstance(start, str) else start
    for _ in range(10):
        if not response.is_redirect:
            return response
        location = str(response.url.join(response.headers["location"]))
        if stop_at in urlsplit(location).path:
            response.headers["location"] = location
            return response
        response = client.get(location)
    raise AssertionError("too many redirects")


def fragment_of(location: str) -> dict[str, str]:
    """The parameters of a URL's fragment (where okno puts the signed-in token)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).fragment).items()}
