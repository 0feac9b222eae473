"""The audit tests use the API's server."""

from tests.api.conftest import seeded_sqlite, server  # noqa: F401 - the fixtures, shared
