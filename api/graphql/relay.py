"""Relay: the Node interface, global ids and keyset cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import strawberry

from engine.errors import InvalidInput

NODE_TYPES = ("Case", "Task", "Office", "Service")


@strawberry.interface(description="An object with a global id (Relay).")
class Node:
    id: strawberry.ID


def global_id(kind: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode())


def parse_global_id(value: str) -> tuple[str, str]:
    try:
        kind, _, key = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{value!r} is not an okno global id") from None
    if kind not in NODE_TYPES or not key:
        raise InvalidInput(f"{value!r} is not an okno global id")
    return kind, key


def cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def parse_cursor(value: str | None, size: int) -> list[Any] | None:
    if value is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API handed out") from None
    if not isinstance(key, list) or len(key) != size:
        raise InvalidInput("the cursor is not one this API handed out")
    return key


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


MAX_PAGE = 100


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be from 1 to {MAX_PAGE}")
    return first


def keyset_page(rows: Callable[[str, tuple[Any, ...]], list[dict[str, Any]]], sql: str, params: list[Any],
                columns: list[str], first: int, after: str | None,
                descending: bool = False) -> tuple[list[dict[str, Any]], bool]:
    """One page of a connection ordered by ``columns``, resuming after a cursor: the rows,
    and whether more follow. ``sql`` is a SELECT with a WHERE clause to extend."""
    size = page_size(first)
    key = parse_cursor(after, len(columns))
    if key:
        operator = "<" if descending else ">"
        alternatives, values = [], []
        for index, column in enumerate(columns):
            equal = [f"{c} = ?" for c in columns[:index]]
            alternatives.append("(" + " AND ".join([*equal, f"{column} {operator} ?"]) + ")")
            values += [*key[:index], key[index]]
        sql += " AND (" + " OR ".join(alternatives) + ")"
        params = [*params, *values]
    direction = " DESC" if descending else ""
    sql += " ORDER BY " + ", ".join(f"{c}{direction}" for c in columns) + " LIMIT ?"
    found = rows(sql, (*params, size + 1))
    return found[:size], len(found) > size


def row_cursor(row: dict[str, Any], columns: list[str]) -> str:
    return cursor(*(row[c] for c in columns))
