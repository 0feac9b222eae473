"""Keyset paging over a read model's table: a page of rows in a fixed order, resumed
after the key of the last row a caller saw, never by an offset (a row inserted or
removed meanwhile shifts nothing, and a deep page costs what the first one does)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from engine.errors import InvalidInput

R = TypeVar("R")
MAX_PAGE = 100


@dataclass(frozen=True)
class Keyset:
    """The columns a page is ordered by, unique together, and each one's type: what the
    key of a row holds, one value per column, and all a caller may resume after."""

    columns: tuple[str, ...]
    kinds: tuple[type, ...]
    descending: bool = False


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    keys: list[tuple[Any, ...]]  # each row's key, in the keyset's columns
    more: bool  # rows follow the last one
    # All the rows the query's filters select, on every page: counted only when asked
    # (a work list that shows no total pays no COUNT).
    counter: Callable[[], int] = field(default=lambda: 0, compare=False, repr=False)

    def total(self) -> int:
        return self.counter()


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be from 1 to {MAX_PAGE}", field="first")
    return first


def keyset_page(
    rows: Callable[[str, tuple[Any, ...]], list[dict[str, Any]]],
    sql: str,
    params: Sequence[Any],
    keyset: Keyset,
    first: int,
    after: Sequence[Any] | None,
    make: Callable[[dict[str, Any]], R],
) -> Page[R]:
    """Up to ``first`` rows of ``sql`` (a SELECT with a WHERE clause to extend) in the
    keyset's order, after the row whose key is ``after`` (None: from the start)."""
    size = page_size(first)
    columns, where, values = keyset.columns, sql, list(params)

    def count() -> int:
        # The same SELECT and filters, before any cursor narrows them.
        return int(rows(f"SELECT COUNT(*) AS n FROM ({sql}) AS counted", tuple(params))[0]["n"])

    if after:
        if len(after) != len(columns) or any(type(v) is not k for v, k in zip(after, keyset.kinds, strict=True)):
            raise InvalidInput(f"a page resumes after a key of {len(columns)} values: {', '.join(columns)}")
        operator = "<" if keyset.descending else ">"
        alternatives = []
        for index, column in enumerate(columns):
            equal = [f"{c} = ?" for c in columns[:index]]
            alternatives.append("(" + " AND ".join([*equal, f"{column} {operator} ?"]) + ")")
            values += [*after[:index], after[index]]
        where += " AND (" + " OR ".join(alternatives) + ")"
    direction = " DESC" if keyset.descending else ""
    where += " ORDER BY " + ", ".join(f"{c}{direction}" for c in columns) + " LIMIT ?"
    found = rows(where, (*values, size + 1))
    shown = found[:size]
    return Page(
        rows=[make(r) for r in shown],
        keys=[tuple(r[c] for c in columns) for r in shown],
        more=len(found) > size,
        counter=count,
    )
