"""Which process version each case is pinned to, remembered.

A case keeps the version it opened on for life (no command changes it), so once read
from its opening event the answer never goes stale. Work lists ask for it per task (to
publish each task's form), and reading a case's first event per task would cost a store
query each: the answers are kept, the most recently asked first, bounded."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

# Enough for the cases of many offices' work lists at once; a version id is 64 characters.
PINNED_VERSIONS = 50_000


class PinnedVersions:
    def __init__(self, read: Callable[[str], str | None], size: int = PINNED_VERSIONS) -> None:
        self._read = read  # a case number -> its pinned version (None: no such case), from the store
        self._size = size
        self._known: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, number: str) -> str | None:
        with self._lock:
            version = self._known.get(number)
            if version is not None:
                self._known.move_to_end(number)
                return version
        version = self._read(number)
        if version is not None:
            self.remember(number, version)
        return version

    def remember(self, number: str, version: str) -> None:
        with self._lock:
            self._known[number] = version
            self._known.move_to_end(number)
            while len(self._known) > self._size:
                self._known.popitem(last=False)
