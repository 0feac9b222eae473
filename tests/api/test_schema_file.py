"""schema.graphql is the exported schema, checked in and kept current."""

from __future__ import annotations

from strawberry.printer import print_schema

from api.schema import schema
from tests.conftest import ROOT


def test_the_checked_in_schema_is_the_exported_one() -> None:
    exported = print_schema(schema)
    checked_in = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert checked_in.strip() == exported.strip(), (
        "schema.graphql is stale: run `strawberry export-schema api.schema:schema --output schema.graphql`"
    )
