"""Relay: the Node interface, global ids and keyset cursors."""

from __future__ import annotations

import base64
import json
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
