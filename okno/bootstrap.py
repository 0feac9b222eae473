"""The composition root: the one place where okno's parts are wired together.

The CLI, the server, the worker, the demo and the bench ask this module for an engine,
a projector, a reader, connectors and the server's services. Configuration comes from
the environment (``OKNO_DATABASE_URL`` and friends, read by engine.store) unless a
caller passes a StoreConfig; the master key, the clock and the OS's entropy come from
engine.world unless a caller (the bench, a test) passes its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib.resources import files

from api.auth import Tokens, max_lifetime
from api.context import Services
from engine import world
from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.case import case_id_for
from engine.catalog import Service, parse_catalog
from engine.connectors import ConnectorRegistry
from engine.connectors.notifications import notifier
from engine.connectors.payments import PaymentGateway, payment_check
from engine.personal_data import Entropy
from engine.signing import Signer
from engine.store import StoreConfig, config_from_environment
from projections.base import ReadModel
from projections.reader import Reader
from projections.runner import PAGE, Projector

Clock = Callable[[], datetime]


def new_engine(
    config: StoreConfig | None = None,
    *,
    master_key: bytes | None = None,
    entropy: Entropy = world.entropy,
    signer: Signer | None = None,
    reading_only: bool = False,
) -> Engine:
    """An engine over the configured store (the environment's, unless ``config`` is given),
    signing with the configured key (``OKNO_SIGNING_KEY``) unless ``signer`` is given, and
    trusting the retired keys of ``OKNO_PUBLIC_KEYS`` when it loads older cases.
    ``reading_only``: no signing key at all (an auditor's verify, which records nothing and
    checks signatures with the public keys it is given)."""
    if not reading_only and signer is None:
        signer = world.signing_key()
    return Engine(
        config or config_from_environment(),
        master_key=world.master_key() if master_key is None else master_key,
        entropy=entropy,
        signer=signer,
        retired_keys=world.retired_keys(),
    )


@contextmanager
def open_engine(config: StoreConfig | None = None, *, reading_only: bool = False) -> Iterator[Engine]:
    """An engine for one command, closed when the command is done."""
    opened = new_engine(config, reading_only=reading_only)
    try:
        yield opened
    finally:
        opened.close()


def new_projector(
    engine: Engine, models: list[ReadModel] | None = None, page: int = PAGE, clock: Clock = world.now
) -> Projector:
    """The read models' runner (all of them unless ``models`` names some)."""
    return Projector(engine, models, page=page, clock=clock)


def new_reader(engine: Engine, models: list[ReadModel] | None = None) -> Reader:
    """The read side's queries, over a projector of its own."""
    return Reader(new_projector(engine, models))


def new_connectors(
    engine: Engine, clock: Clock = world.now, treasury: PaymentGateway | None = None, actor: str = "connector"
) -> ConnectorRegistry:
    """The connectors a worker runs due jobs with: SMS and e-mail through the engine's
    notification outbox, and the state-fee check against the treasury. With no treasury
    the worker leaves state-fee checks alone: they wait for an external worker (an
    integrator's own ГИС ГМП gateway over activateJobs) instead of failing into incidents."""

    def contact(number: str) -> dict[str, str] | None:
        return engine.read_applicant(number, actor=actor, role="connector", purpose="notification", at=clock())

    def seal(number: str, fields: dict[str, str]) -> dict[str, str]:
        return engine.vault.seal(case_id_for(number), fields)

    registry = ConnectorRegistry()
    for channel in ("sms", "email"):
        registry.register(channel, notifier(channel, engine.notifications, contact, seal, clock))
    if treasury is not None:
        registry.register("payment_check", payment_check(treasury))
    return registry


def new_tokens(engine: Engine | None, clock: Clock | None = None) -> Tokens:
    """Bearer tokens signed with the master key; ``engine`` supplies the revocation list
    (``None``: issue only, as ``okno token create`` does without opening the store)."""
    revoked = engine.revoked_tokens if engine is not None else None
    if clock is None:
        return Tokens(world.master_key(), revoked, max_lifetime=max_lifetime(os.environ))
    return Tokens(world.master_key(), revoked, max_lifetime=max_lifetime(os.environ), clock=clock)


def new_services(engine: Engine | None = None, clock: Clock = world.now, tokens: Tokens | None = None) -> Services:
    """What the API server runs on: engine, projector, reader and tokens, built once per
    process. Its requests' commands share commits (api.graphql.command_threads)."""
    served = engine if engine is not None else new_engine()
    served.share_commits()
    runner = new_projector(served)
    signed = tokens if tokens is not None else new_tokens(served, clock)
    return Services(engine=served, projector=runner, reader=Reader(runner), tokens=signed, clock=clock)


def shipped_processes() -> tuple[list[SourceFile], list[Service]]:
    """The models and catalog shipped in the ``processes`` package (the demo and the bench deploy them)."""
    folder = files("processes")
    sources = [
        SourceFile(entry.name, entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith((".bpmn", ".dmn", ".json"))
    ]
    catalog = parse_catalog(folder.joinpath("catalog.toml").read_text(encoding="utf-8"))
    return sources, catalog
