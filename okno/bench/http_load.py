"""6. GraphQL under load on loopback: the work-list query and ``case(number)`` at 1, 10
and 50 concurrent clients, each level bounded in time and in count, against a bare
Starlette JSON endpoint reading the same rows (the ceiling). Also 7.'s server memory:
its peak resident set (VmHWM) while it serves."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from engine import world
from engine.store import StoreConfig
from okno.bench.clock import percentile, rate, stopwatch
from okno.bench.workload import MASTER_KEY

WORK_LIST_QUERY = (
    "query ($office: String!) { tasks(officeId: $office, first: 20) { edges { node { "
    "caseNumber name role state holder openedAt dueDay } } pageInfo { hasNextPage endCursor } } }"
)
CASE_QUERY = (
    "query ($number: String!) { case(number: $number) { number serviceCode officeCode status stage "
    "deadline nextAction openedAt tasks { taskId name role state holder } } }"
)
LEVELS = (1, 10, 50)


@dataclass(frozen=True)
class LoadFigures:
    endpoint: str
    clients: int
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    per_second: float


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str

    def peak_rss_kib(self) -> int:
        """The server process's peak resident set so far (VmHWM, KiB)."""
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(kind: str, config: StoreConfig, timeout: float = 300) -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "okno.bench.server", kind, config.url, str(port)])  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        began = stopwatch()
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the {kind} server exited with {process.returncode}")
            try:
                httpx.get(f"{url}/healthz" if kind == "graphql" else f"{url}/worklist/-", timeout=2)
                break
            except httpx.HTTPError:
                if stopwatch() - began > timeout:
                    raise RuntimeError(f"the {kind} server did not start in {timeout:.0f} s") from None
                world.sleep(0.1)
        yield Served(process, url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def token(role: str, office: str | None) -> str:
    from api.auth import Tokens

    return Tokens(MASTER_KEY, None).issue("bench", role, office, world.now())


Request = tuple[str, str, dict[str, Any] | None]  # method, path, JSON body


def requests_for(kind: str, query: str, office: str, numbers: list[str]) -> list[Request]:
    if query == "work_list":
        if kind == "graphql":
            return [("POST", "/graphql", {"query": WORK_LIST_QUERY, "variables": {"office": office}})]
        return [("GET", f"/worklist/{office}", None)]
    if kind == "graphql":
        return [("POST", "/graphql", {"query": CASE_QUERY, "variables": {"number": n}}) for n in numbers]
    return [("GET", f"/case/{n}", None) for n in numbers]


def load(
    url: str, requests: list[Request], headers: dict[str, str], clients: int, seconds: float, most: int
) -> tuple[list[float], int]:
    """``clients`` concurrent clients send requests in turn until ``seconds`` have passed
    or ``most`` were sent; the latencies, and how many failed."""
    return asyncio.run(_load(url, requests, headers, clients, seconds, most))


async def _load(
    url: str, requests: list[Request], headers: dict[str, str], clients: int, seconds: float, most: int
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = stopwatch() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def one_client(offset: int) -> None:
            nonlocal errors, sent
            index = offset
            while stopwatch() < deadline and sent < most:
                sent += 1
                method, path, body = requests[index % len(requests)]
                index += clients
                began = stopwatch()
                try:
                    response = await client.request(method, path, json=body)
                    failed = response.status_code != 200 or (body is not None and "errors" in response.json())
                except httpx.HTTPError:
                    failed = True
                latencies.append(stopwatch() - began)
                errors += failed

        await asyncio.gather(*(one_client(i) for i in range(clients)))
    return latencies, errors


def measure(
    served: Served,
    kind: str,
    office: str,
    numbers: list[str],
    seconds: float,
    most: int,
    levels: tuple[int, ...] = LEVELS,
) -> list[LoadFigures]:
    figures = []
    for query in ("work_list", "case"):
        role = ("supervisor", office) if query == "work_list" else ("auditor", None)
        headers = {"Authorization": f"Bearer {token(*role)}"} if kind == "graphql" else {}
        requests = requests_for(kind, query, office, numbers)
        load(served.url, requests, headers, 2, min(0.5, seconds), 50)  # warm up connections and caches
        for clients in levels:
            began = stopwatch()
            latencies, errors = load(served.url, requests, headers, clients, seconds, most)
            elapsed = stopwatch() - began
            figures.append(
                LoadFigures(
                    f"{kind}:{query}",
                    clients,
                    len(latencies),
                    errors,
                    1000 * percentile(latencies, 50),
                    1000 * percentile(latencies, 99),
                    rate(len(latencies), elapsed),
                )
            )
    return figures
