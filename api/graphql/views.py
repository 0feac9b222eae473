"""GraphQL types are the read models' dataclasses: a type subclasses the projection's row
(its fields, in their order, are the type's), adding only a description or a resolver.
This fills one from a row."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def from_view(cls: type[T], view: Any, **overrides: Any) -> T:
    """An instance of the GraphQL type ``cls`` with the fields it declares taken from ``view``
    (a field the view lacks, such as a private one, keeps its default)."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = {name: getattr(view, name) for name in names if name not in overrides and hasattr(view, name)}
    return cls(**values, **overrides)
