from tests.api.conftest import *  # noqa: F403
from tests.api.conftest import server  # noqa: F401
