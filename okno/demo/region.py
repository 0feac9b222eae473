"""The demo region's offices, read from the TOML file shipped beside this module."""

from __future__ import annotations

import tomllib
from importlib.resources import files

from engine.offices import Office


def lipetsk_offices() -> list[Office]:
    text = files("okno.demo").joinpath("lipetsk.toml").read_text(encoding="utf-8")
    return [Office.from_dict(entry) for entry in tomllib.loads(text)["office"]]
