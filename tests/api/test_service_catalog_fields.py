"""A portal shows what the catalog says of a service: its slot length, the parameters that
set it apart from the other services of its process, and the acts it comes from — read
over GraphQL as the catalog.toml published them."""

from __future__ import annotations

import tomllib
from typing import Any

from tests.api.conftest import Server
from tests.conftest import ROOT

ONE = """query One($code: String!) {
  service(code: $code) { code receptionMinutes parameters sources }
}"""
LIST = "{ services { code receptionMinutes parameters sources } }"


def catalog() -> dict[str, dict[str, Any]]:
    entries = tomllib.loads((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))["service"]
    return {entry["code"]: entry for entry in entries}


def test_a_service_shows_its_slot_length_parameters_and_sources_as_published(server: Server) -> None:
    published = catalog()["rosreestr_egrn_extract"]
    shown = server.run(None, ONE, code="rosreestr_egrn_extract")["service"]
    assert shown == {
        "code": "rosreestr_egrn_extract",
        "receptionMinutes": published["reception_minutes"],
        "parameters": {"extract_kind": "object"},
        "sources": published["sources"],
    }
    assert shown["sources"][0].startswith("Федеральный закон от 13.07.2015 № 218-ФЗ")


def test_every_listed_service_cites_its_acts_and_a_service_without_parameters_shows_none(server: Server) -> None:
    published = catalog()
    listed = server.run(None, LIST)["services"]
    assert {s["code"] for s in listed} <= published.keys()
    for service in listed:
        entry = published[service["code"]]
        assert service["sources"] == entry["sources"], service["code"]
        assert service["parameters"] == entry.get("parameters", {}), service["code"]
        assert service["receptionMinutes"] == entry.get("reception_minutes", 15), service["code"]
