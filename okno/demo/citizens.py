"""Simulated citizens' answers, shared by the demo and the benchmark: who applies, and how
staff fill in a task's form. Drawn from a seeded PRNG the caller owns, so runs repeat."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from engine.bpmn.library import FormField

SURNAMES = [
    "Иванов",
    "Смирнова",
    "Кузнецов",
    "Попова",
    "Васильев",
    "Петрова",
    "Соколов",
    "Михайлова",
    "Новиков",
    "Фёдорова",
    "Морозов",
    "Волкова",
    "Алексеев",
    "Лебедева",
    "Семёнов",
    "Егорова",
]
INITIALS = "АБВГДЕИКЛМНОПРСТ"


def applicant(rng: random.Random) -> dict[str, str]:
    surname = rng.choice(SURNAMES)
    return {
        "full_name": f"{surname} {rng.choice(INITIALS)}. {rng.choice(INITIALS)}.",
        "document": f"42{rng.randint(10, 25)} {rng.randint(100000, 999999)}",
        "phone": f"+7 904 {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
    }


def field_value(form_field: FormField, rng: random.Random, day: date, *, main_path: bool = False) -> Any:
    """A filled-in form field. With ``main_path`` every yes/no is yes, so the process goes
    its main way (the benchmark's cases all run to their end); otherwise a few are no."""
    name = form_field.id
    if form_field.type == "boolean":
        return True if main_path else rng.random() < (0.97 if form_field.required else 0.9)
    if form_field.type == "enum":
        return rng.choice(form_field.options) if form_field.options else None
    if form_field.type == "date":
        return day.isoformat()
    if form_field.type == "long":
        if "income" in name:
            return rng.randint(15_000, 90_000)
        if "age" in name:
            return rng.randint(0, 17)
        return rng.randint(1, 5)
    if "cadastral" in name:
        return f"48:20:{rng.randint(10_000, 99_999):07d}:{rng.randint(1, 999)}"
    if "uin" in name:
        return "".join(rng.choice("0123456789") for _ in range(20))
    return f"{name.replace('_', '-')}-{rng.randint(1000, 9999)}"
