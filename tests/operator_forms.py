"""A store for the operator's workplace: the shipped processes, the catalog and the Lipetsk
offices (as every API test's server has them), and one more service whose process has a
Camunda Form (form-js) task and then a JSON-Schema form task, drawn with BPMN DI
(tests/fixtures/operator)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.bpmn.sources import collect_sources
from engine.catalog import Service
from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.api.conftest import Server, serve, serve_in_process
from tests.conftest import MASTER_KEY, T0, Entropy
from tests.conftest import ROOT as REPOSITORY

FIXTURES = REPOSITORY / "tests" / "fixtures" / "operator"
FORMS_SERVICE = Service(
    "operator_forms_service",
    "Заявление с проверкой документов",
    "Тестовое ведомство",
    "regional",
    5,
    ("Паспорт",),
    0,
    "operator_forms",
)


def add_form_service(url: str) -> None:
    """Deploy the fixture's process and publish its service next to the shipped ones."""
    engine = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=Entropy())
    try:
        report = engine.deploy(collect_sources([FIXTURES]), T0)
        assert report.ok, report.problems
        engine.publish_catalog([FORMS_SERVICE], T0)
    finally:
        engine.close()


def forms_server(sqlite_url: str, seeded_sqlite: Path, *, over_a_socket: bool) -> Iterator[Server]:
    """A server (SQLite) over the seeded store with the form service added."""
    shutil.copyfile(seeded_sqlite, sqlite_url.removeprefix("sqlite:///"))
    add_form_service(sqlite_url)
    yield from (serve if over_a_socket else serve_in_process)(sqlite_url, seeded=True)


@pytest.fixture
def form_server(request: pytest.FixtureRequest, sqlite_url: str, seeded_sqlite: Path) -> Iterator[Server]:
    """In process, or over a real socket for a test marked ``socket``."""
    over_a_socket = request.node.get_closest_marker("socket") is not None
    yield from forms_server(sqlite_url, seeded_sqlite, over_a_socket=over_a_socket)
