"""The pages' browser tests use the API tests' server (tests/api/conftest.py)."""

from tests.api.conftest import *  # noqa: F403
from tests.api.conftest import server  # noqa: F401
