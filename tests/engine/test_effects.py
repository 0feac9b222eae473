"""The effects schema refuses what a read model could not fold, and accepts what the
shipped processes record (those run through it in every engine test)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.effects import EffectsRefused, check_effects


def effects(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "tasks_opened": [],
        "tasks_closed": [],
        "timers_scheduled": [],
        "timers_fired": [],
        "timers_cancelled": [],
        "messages_sent": [],
        "awaiting": [],
        "stage": None,
        "completed": False,
        "outcome": None,
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (effects(messages_sent=[{"name": None, "payload": {}}]), r"messages_sent\.0\.name"),
        (effects(messages_sent=[{"payload": {}}]), r"messages_sent\.0\.name"),
        (effects(acknowledged={"message": 1, "reference": "REF\x00X"}), r"acknowledged\.reference: the control"),
        (effects(stage="Приём\ud800"), r"stage: a lone surrogate U\+D800"),
        (effects(messages_sent=[{"name": "m", "payload": {"k\x07": 1}}]), r"payload \(a key\): the control"),
        (effects(completed="yes"), r"completed"),
        ({"stage": None}, r"tasks_opened"),
    ],
)
def test_effects_a_read_model_could_not_fold_are_refused_naming_where(bad: dict[str, Any], problem: str) -> None:
    with pytest.raises(EffectsRefused, match=problem):
        check_effects(bad)


def test_text_with_line_breaks_and_any_script_is_accepted() -> None:
    check_effects(
        effects(
            stage="Выдача",
            messages_sent=[{"name": "m", "payload": {"note": "строка 1\nстрока 2\t✓"}}],
            state={"workflow": "\x00 is the workflow's own business"},
        )
    )
