"""Simulated citizens' answers, shared by the demo and the benchmark: who applies, and how
staff fill in a task's form. Drawn from a seeded PRNG the caller owns, so runs repeat."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from engine.bpmn.library import FormField
from engine.snils import check_number, formatted

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
    """Details that pass the engine's checks (engine.applicant). The draws are the ones the
    demo always made, in the same order, so a seed gives the same run as before; the СНИЛС
    is made from the phone's digits rather than drawn, for the same reason."""
    full_name = f"{rng.choice(SURNAMES)} {rng.choice(INITIALS)}. {rng.choice(INITIALS)}."
    series, number = f"42{rng.randint(10, 25)}", f"{rng.randint(100000, 999999)}"  # 42: the Lipetsk region
    phone = f"+7 904 {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    account = "".join(c for c in phone if c.isdigit())[-9:]  # 04…: above the numbers issued without a check
    return {
        "full_name": full_name,
        "passport_series": series,
        "passport_number": number,
        "phone": phone,
        "snils": formatted(f"{account}{check_number(account):02d}"),
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
