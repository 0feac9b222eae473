"""The audit tests use the API's real server."""

from tests.api.conftest import server  # noqa: F401 - the fixture, shared
