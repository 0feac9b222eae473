"""GraphQL types that show a projection's answer as it is: one copy, by field name."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def from_view(cls: type[T], view: Any, **overrides: Any) -> T:
    """An instance of the GraphQL type ``cls`` with the fields it declares taken from ``view``."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = {name: getattr(view, name) for name in names if name not in overrides}
    return cls(**values, **overrides)
