"""What every resolver gets: the caller, the engine, the read models, the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.auth import NotAuthenticated, Principal, Tokens
from api.subscription_limits import SubscriptionLimits
from api.tracking import Tracking
from engine.application import STORE_ERRORS, Engine
from engine.supervision import Supervision
from projections.reader import Reader
from projections.runner import Projector


@dataclass
class Services:
    """Built once per server process by the app's lifespan."""

    engine: Engine
    projector: Projector
    reader: Reader
    tokens: Tokens
    clock: Callable[[], datetime]

    refreshing: Supervision = field(default_factory=lambda: Supervision("read models"))
    _failed_at: float = field(default=0.0, repr=False)  # time.monotonic() of the last failed refresh
    subscriptions: SubscriptionLimits = field(default_factory=SubscriptionLimits)  # running, per connection and token
    tracking: Tracking = field(init=False)  # the PIN gate of `track`, on the reader's database

    def __post_init__(self) -> None:
        self.tracking = Tracking(self.engine, self.reader)

    def refresh(self, *, probe: bool = False) -> bool:
        """Bring the read models up to date (read-your-writes after a mutation, a subscription's
        poll, the background refresher). Another process applying the same page first is fine:
        the runner reads on from there. When the store cannot be reached (a connection cut
        off, the database restarting) the read models stay as they are and the failure is kept
        in ``refreshing`` for /healthz: a refresh never fails the request or poll that asked
        for it — the caller reads what is there, and the next refresh catches up. False then.

        While refreshes are failing, requests and polls leave the store alone for the backoff's
        delay (the background refresher, ``probe``, tries it meanwhile): they run on the event
        loop, and each waiting on a dead store (up to the connection timeout, again and again)
        would stall every other request."""
        if not probe and not self.refreshing.healthy and time.monotonic() - self._failed_at < self.refreshing.delay():
            return False
        try:
            self.projector.catch_up()
        except STORE_ERRORS as error:
            self._failed_at = time.monotonic()
            self.refreshing.failed(error)
            return False
        self.refreshing.succeeded()
        return True


@dataclass
class Context:
    services: Services
    principal: Principal | None
    request: Any = None
    response: Any = None
    loaders: dict[str, Any] = field(default_factory=dict)
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init payload

    @property
    def who(self) -> Principal:
        if self.principal is None:
            raise NotAuthenticated("this needs a bearer token (okno token create)")
        return self.principal

    def actor(self) -> str:
        who = self.who
        return f"{who.office}/{who.subject}" if who.office else f"{who.role}/{who.subject}"
