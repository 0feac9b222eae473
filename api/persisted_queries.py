"""Automatic persisted queries, as Apollo's clients speak them (APQ): a client sends the
SHA-256 of its query in ``extensions.persistedQuery``; on PersistedQueryNotFound it sends
the query with the hash once, and from then on the hash alone, so a terminal's or a
portal's request is a few bytes, and a GET with no query text can be cached.

The store is a bounded LRU in the server process: a query pushed out, or held by another
process, is only a miss, which the protocol answers by sending the query again. Nothing
is registered that does not hash to the hash it came with.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import OrderedDict
from threading import Lock

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

MAX_QUERIES = 2000  # distinct queries a server keeps: every front-end's, with room to spare
SHA256 = re.compile(r"[0-9a-f]{64}")
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"  # Apollo's codes: its clients act on them
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"


def refusal(message: str, code: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


class PersistedQueries:
    """Queries by their SHA-256, the least recently used dropped past ``limit``."""

    def __init__(self, limit: int = MAX_QUERIES) -> None:
        self.limit = limit
        self._queries: OrderedDict[str, str] = OrderedDict()
        self._lock = Lock()  # requests run on the event loop, but a store is cheap to keep safe

    def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData | ExecutionResult:
        """The request with its query filled in from the store (or registered there), or the
        protocol's error; a request that names no persisted query is left as it is."""
        persisted = (request.extensions or {}).get("persistedQuery")
        if persisted is None:
            return request
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return refusal("PersistedQueryNotSupported: only version 1 of persisted queries", NOT_SUPPORTED)
        sha = persisted.get("sha256Hash")
        if not isinstance(sha, str) or not SHA256.fullmatch(sha):
            return refusal("persistedQuery.sha256Hash must be 64 lower-case hex digits", NOT_SUPPORTED)
        if request.query is None:
            with self._lock:
                query = self._queries.get(sha)
                if query is not None:
                    self._queries.move_to_end(sha)
            if query is None:
                return refusal("PersistedQueryNotFound", NOT_FOUND)
            return dataclasses.replace(request, query=query)
        if hashlib.sha256(request.query.encode()).hexdigest() != sha:
            return refusal("provided sha256Hash does not match the query", HASH_MISMATCH)
        with self._lock:
            self._queries[sha] = request.query
            self._queries.move_to_end(sha)
            while len(self._queries) > self.limit:
                self._queries.popitem(last=False)
        return request
