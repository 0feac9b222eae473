"""Standard loops (``bpmn:standardLoopCharacteristics``) run as SpiffWorkflow's
``StandardLoopTask``: the activity runs again while its ``loopCondition`` holds, at most
``loopMaximum`` times; with ``testBefore="true"`` the condition is asked before the first
run too (a while loop), otherwise after each run (do … while).

The condition is an expression like a gateway's (JUEL and FEEL are translated at deploy,
engine/bpmn/normalize.py) and reads the data the runs so far left. Every loop is bounded:
one whose activity runs by itself (a script, a business rule) would otherwise spin inside
one step of the case for as long as its condition holds, and each run adds a task to the
case's state. So ``loopMaximum`` is at most :data:`LOOP_LIMIT`, and a loop that names none
ends after :data:`LOOP_LIMIT` runs, as if it had named that (validation warns). Camunda 7
and 8 do not run standard loops at all; SpiffWorkflow requires a condition or a maximum,
and so does okno.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import StandardLoopTask
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.sources import BPMN_NS

LOOP_LIMIT = 100  # runs of one looping activity, at most
_B = f"{{{BPMN_NS}}}"
# The activities a loop may mark: BPMN puts loop characteristics on activities only.
ACTIVITIES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "businessRuleTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "subProcess",
        "callActivity",
    }
)


def maximum_of(loop: etree._Element) -> int | None:
    """The loop's own ``loopMaximum``, or None when it names none; ValueError when it is
    not a whole number from 1 to :data:`LOOP_LIMIT`."""
    text = loop.get("loopMaximum")
    if text is None or not text.strip():
        return None
    try:
        maximum = int(text.strip())
    except ValueError:
        raise ValueError(f"loopMaximum {text.strip()!r} is not a whole number") from None
    if not 1 <= maximum <= LOOP_LIMIT:
        raise ValueError(f"loopMaximum {maximum} is outside 1…{LOOP_LIMIT}, the runs okno allows one loop")
    return maximum


def condition_of(loop: etree._Element) -> etree._Element | None:
    condition = loop.find(f"{_B}loopCondition")
    return condition if condition is not None and (condition.text or "").strip() else None


def check(activity: etree._Element, loop: etree._Element) -> tuple[list[str], list[str]]:
    """What would stop ``activity``'s loop from running (problems), and what it does that
    the model does not say (warnings); the condition's expression is checked by the caller."""
    kind = etree.QName(activity).localname
    if kind not in ACTIVITIES:
        return [f"a standard loop marks activities only, not a {kind}"], []
    problems: list[str] = []
    if activity.find(f"{_B}multiInstanceLoopCharacteristics") is not None:
        problems.append("an activity is either a standard loop or multi-instance, not both")
    try:
        maximum = maximum_of(loop)
    except ValueError as error:
        return [*problems, str(error)], []
    warnings: list[str] = []
    if maximum is None and condition_of(loop) is None:
        problems.append("a standard loop needs a loopCondition (it runs again while it holds), a loopMaximum, or both")
    elif maximum is None:
        warnings.append(
            f"the standard loop names no loopMaximum: okno ends it after {LOOP_LIMIT} runs, as if "
            f'loopMaximum="{LOOP_LIMIT}"; set it to say how many runs the service allows'
        )
    return problems, warnings


class _Loop(StandardLoopTask):  # type: ignore[misc]
    """A run's data becomes the loop's, as a task's data becomes the next one's.
    SpiffWorkflow deep-merges it instead, and its merge of lists is lossy (a run that sets
    ``seen = seen + [queue[0]]`` and ``queue = queue[1:]`` leaves ``seen`` at its first
    item), so the next run and the condition would read data no run wrote."""

    def merge_child(self, workflow: Any, child: Any) -> None:
        my_task = child.parent
        my_task.data = deepcopy(child.data)  # nothing shared with the finished run
        my_task.internal_data["merged"].append(str(child.id))
        if self.loop_complete(my_task):
            my_task._set_state(TaskState.READY)
        else:
            self.create_child(my_task)


def add_loop_task(self: Any, loop_characteristics: etree._Element) -> None:
    """SpiffWorkflow's ``TaskParser._add_loop_task``, bounded: with no ``loopMaximum`` the
    loop ends after :data:`LOOP_LIMIT` runs (validation refused any other malformed loop)."""
    maximum = maximum_of(loop_characteristics)
    condition = condition_of(loop_characteristics)
    test_before = loop_characteristics.get("testBefore", "false") == "true"
    original = self.spec.task_specs.pop(self.task.name)
    self.task = _Loop(
        self.spec,
        original.name,
        "",
        LOOP_LIMIT if maximum is None else maximum,
        None if condition is None else str(condition.text).strip(),
        test_before,
        description="Loop Task",
    )
    self._copy_task_attrs(original, loop_characteristics)
