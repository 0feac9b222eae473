"""A catalog entry's ``parameters`` (what tells it from the other services of its process)
and ``sources`` (the acts it comes from): read, checked, and kept through publishing."""

from __future__ import annotations

import pytest

from engine.catalog import CatalogInvalid, Service, parse_catalog

ENTRY = """
[[service]]
code = "zags_birth_repeat"
title = "Выдача повторного свидетельства о рождении"
agency = "ЗАГС"
level = "federal"
term_days = 1
documents = ["Паспорт"]
fee = 350
process = "zags_certificate"
"""


def test_parameters_and_sources_are_read_and_survive_the_published_form() -> None:
    text = ENTRY + 'parameters = { certificate_kind = "birth", copies = 1, urgent = false }\n'
    text += 'sources = ["Налоговый кодекс РФ, ст. 333.26"]\n'
    [service] = parse_catalog(text)
    assert service.parameters == {"certificate_kind": "birth", "copies": 1, "urgent": False}
    assert service.sources == ("Налоговый кодекс РФ, ст. 333.26",)
    assert Service.from_dict(service.to_dict()) == service


def test_an_entry_without_them_has_none_and_a_catalog_published_before_them_still_reads() -> None:
    [service] = parse_catalog(ENTRY)
    assert service.parameters == {} and service.sources == ()
    old = service.to_dict()
    del old["parameters"], old["sources"]
    assert Service.from_dict(old) == service


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('parameters = "birth"', "parameters must be a table"),
        ("parameters = { kinds = [1, 2] }", "parameters.kinds must be a text, number or true/false"),
        ("parameters = { kind = { a = 1 } }", "parameters.kind must be a text, number or true/false"),
        ('parameters = { "не имя" = 1 }', "is not a plain name"),
        ('sources = "НК РФ"', "sources must be a list of non-empty texts"),
        ('sources = ["", "НК РФ"]', "sources must be a list of non-empty texts"),
    ],
)
def test_a_bad_parameters_table_or_sources_list_is_refused_naming_the_service(line: str, problem: str) -> None:
    with pytest.raises(CatalogInvalid) as refused:
        parse_catalog(ENTRY + line + "\n")
    assert refused.value.code == "validation"
    assert "service #1 (zags_birth_repeat)" in str(refused.value) and problem in str(refused.value)


def test_every_shipped_catalog_service_cites_the_acts_it_comes_from() -> None:
    from tests.conftest import ROOT

    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    assert len(catalog) >= 120
    assert [s.code for s in catalog if not s.sources] == []
