"""How many subscriptions one caller may keep running in this server process.

Each subscription polls the read models several times a second, so their number is the
server's load: one socket with 400 of them on made-up case numbers took it to 55 % CPU.
A connection may hold PER_CONNECTION of them and a token PER_TOKEN across all its
connections; one more is refused with a typed error, and ending one frees its place.
The counts live in an instance on Services (one per server process), never a global:
several server processes each keep their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from engine.errors import OknoError

PER_CONNECTION = 20
PER_TOKEN = 50
K = TypeVar("K")


class TooManySubscriptions(OknoError):
    code = "too_many_subscriptions"


class SubscriptionLimits:
    def __init__(self, per_connection: int = PER_CONNECTION, per_token: int = PER_TOKEN) -> None:
        self.per_connection, self.per_token = per_connection, per_token
        # All subscriptions run on the server's one event loop: no lock is needed.
        self._connections: dict[int, int] = {}
        self._tokens: dict[str, int] = {}

    def running(self, token: str) -> int:
        return self._tokens.get(token, 0)

    @contextmanager
    def held(self, connection: object, token: str) -> Iterator[None]:
        """A place for one subscription of ``connection`` (the object that lives as long as the
        socket: its GraphQL context) under ``token`` (who the token is), while it runs."""
        key = id(connection)  # unique while the connection lives, and it outlives its subscriptions
        if self._connections.get(key, 0) >= self.per_connection:
            raise TooManySubscriptions(
                f"a connection may run at most {self.per_connection} subscriptions: "
                "end one (complete) before starting another"
            )
        if self._tokens.get(token, 0) >= self.per_token:
            raise TooManySubscriptions(
                f"a token may run at most {self.per_token} subscriptions at once, "
                "over all its connections: end one before starting another"
            )
        self._connections[key] = self._connections.get(key, 0) + 1
        self._tokens[token] = self._tokens.get(token, 0) + 1
        try:
            yield
        finally:
            _release(self._connections, key)
            _release(self._tokens, token)


def _release(counts: dict[K, int], key: K) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]
