"""Relay: the Node interface, global ids and the cursors of connections (the keyset pages
they show are the read models', projections.paging).

A cursor names the connection (and the order) it came from: the same key means another
row in another list, so a cursor of ``cases`` handed to ``tasks`` is refused by name, never
read as a position it is not."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from typing import Any

import strawberry

from engine.errors import InvalidInput
from engine.input_checks import CODE, INT64, Text
from projections.paging import Keyset, Page

NODE_TYPES = ("Case", "Task", "Office", "Service")
CURSOR_TEXT = Text(max_length=200, min_length=0)  # a time or an id, as the keyset columns hold them


@strawberry.interface(description="An object with a global id (Relay).")
class Node:
    id: strawberry.ID


def global_id(kind: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode())


def parse_global_id(value: str) -> tuple[str, str]:
    try:
        kind, _, key = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
    except (ValueError, UnicodeError):
        raise InvalidInput("the id is not an okno global id") from None
    # What the id decodes to goes into a query: it is held to what an id may be.
    if kind not in NODE_TYPES or CODE.problems(key, "id"):
        raise InvalidInput("the id is not an okno global id")
    return kind, key


CONNECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z_ ]{0,60}")  # "cases", "tasks sorted DUE_ASC"


def cursor(connection: str, *key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps({"of": connection, "key": key}).encode()).decode()


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

    def __init__(self, message: str = "invalid cursor: pass an endCursor this API handed out") -> None:
        super().__init__(message, field="after")


def parse_cursor(value: str | None, kinds: Sequence[type], connection: str) -> list[Any] | None:
    """The key a cursor of ``connection`` holds, one value per keyset column, each of its
    column's type (text, or whole number): anything else would reach the query as a value
    the database cannot compare, so it is refused here, never there."""
    if value is None:
        return None
    try:
        held = json.loads(base64.b64decode(value.encode(), altchars=b"-_", validate=True))
    except (ValueError, UnicodeError, RecursionError):
        raise InvalidCursor() from None
    if not isinstance(held, dict) or set(held) != {"of", "key"}:
        raise InvalidCursor()
    of, key = held["of"], held["key"]
    if not isinstance(of, str) or not CONNECTION_NAME.fullmatch(of):
        raise InvalidCursor()
    if of != connection:
        raise InvalidCursor(
            f"invalid cursor: this cursor belongs to {of}, not to {connection}; pass an endCursor of {connection}"
        )
    if not isinstance(key, list) or len(key) != len(kinds):
        raise InvalidCursor()
    for item, kind in zip(key, kinds, strict=True):
        if type(item) is not kind:
            raise InvalidCursor()
        if isinstance(item, str) and CURSOR_TEXT.problems(item, "after"):
            raise InvalidCursor()
        if isinstance(item, int) and not -INT64 < item < INT64:
            raise InvalidCursor()
    return key


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Connection:
    """What every connection has beside its edges: its page info and its total."""

    page_info: PageInfo
    page: strawberry.Private[Page[Any]]

    @strawberry.field(description="All the rows the connection's filters select, on every page.")
    def total_count(self) -> int:
        return self.page.total()


def resume_after(after: str | None, keyset: Keyset, connection: str) -> list[Any] | None:
    """The key a connection's ``after`` cursor holds, for the read model's keyset page."""
    return parse_cursor(after, keyset.kinds, connection)


def cursors(page: Page[Any], connection: str) -> list[str]:
    return [cursor(connection, *key) for key in page.keys]


def page_info(page: Page[Any], connection: str) -> PageInfo:
    return PageInfo(has_next_page=page.more, end_cursor=cursor(connection, *page.keys[-1]) if page.keys else None)


def paged(page: Page[Any], connection: str) -> dict[str, Any]:
    """A Connection's own fields for a page of ``connection``."""
    return {"page_info": page_info(page, connection), "page": page}
