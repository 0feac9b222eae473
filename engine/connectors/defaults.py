"""The connectors a worker registers unless told otherwise (its composition root)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engine.application import Engine
from engine.case import case_id_for
from engine.connectors import ConnectorRegistry
from engine.connectors.notifications import notifier
from engine.connectors.payments import PaymentGateway, Unconfigured, payment_check


def default_connectors(engine: Engine, clock: Callable[[], datetime],
                       treasury: PaymentGateway | None = None, actor: str = "connector") -> ConnectorRegistry:
    def contact(number: str) -> dict[str, str] | None:
        return engine.read_applicant(number, actor=actor, role="connector", purpose="notification", at=clock())

    def seal(number: str, fields: dict[str, str]) -> dict[str, str]:
        return engine.vault.seal(case_id_for(number), fields)

    registry = ConnectorRegistry()
    for channel in ("sms", "email"):
        registry.register(channel, notifier(channel, engine.notifications, contact, seal, clock))
    registry.register("payment_check", payment_check(treasury or Unconfigured()))
    return registry
