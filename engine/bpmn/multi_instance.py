"""Multi-instance activities in every dialect, run as SpiffWorkflow's standard BPMN
multi-instance (``bpmn.specs.defaults``), sequential or parallel.

Each dialect writes the same four things differently:

=================  ==========================  ==========================  ==============
                   input collection            input element               output
=================  ==========================  ==========================  ==============
BPMN (Spiff)       ``loopDataInputRef``        ``inputDataItem``           ``loopDataOutputRef`` / ``outputDataItem``
Camunda 7          ``camunda:collection``      ``camunda:elementVariable`` —
Flowable/Activiti  ``flowable:collection``     ``flowable:elementVariable`` —
Camunda 8          ``zeebe:loopCharacteristics inputCollection / inputElement / outputCollection / outputElement``
=================  ==========================  ==========================  ==============

:func:`standardize` rewrites the dialects, at deploy, into the standard children, so one
parser path runs them all (and validation checks what runs). A dialect's input
collection is a variable name or an expression (``= [1, 2, 3]``, ``= order.lines``,
``${order.items}``): an expression is translated into okno's language, written into
``loopDataInputRef`` marked as an expression (:data:`EXPRESSION`), and evaluated once,
on the case data, when the activity is reached, as Camunda evaluates it; the list it
gives is kept in the activity's own state, so later instances and a replay read the same
items. A standard ``loopDataInputRef`` stays a reference to one variable, as BPMN says.
SpiffWorkflow names the item variable by the ``id`` of ``inputDataItem``/``outputDataItem``;
a standard model that names it by ``name`` gets that name as the id.

:func:`parser` is SpiffWorkflow's Camunda parser with Camunda's own multi-instance
handling replaced by the standard one: Camunda's rewrites the shared, compiled task spec
while a case runs, which one pinned version used by many cases cannot allow.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import event_payloads, standard_loops
from engine.bpmn.dialects import normalize
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS
from engine.errors import ExpressionError
from engine.expressions import check_expression

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
FLOWABLE_NS = "http://flowable.org/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_B = f"{{{BPMN_NS}}}"
OKNO_NS = "https://okno.example/bpmn"
# On a loopDataInputRef: its text is an okno expression giving the collection, not a name.
EXPRESSION = f"{{{OKNO_NS}}}expression"
_EVALUATED = "input_collection"  # where the activity keeps the collection it evaluated


def standardize(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Rewrite every multi-instance loop into the standard form, in place; return what
    cannot be rewritten, as (element, message)."""
    problems: list[tuple[etree._Element, str]] = []
    for loop in list(root.iter(f"{_B}multiInstanceLoopCharacteristics")):
        try:
            _standardize(loop)
        except ExpressionError as error:
            problems.append((loop, f"multi-instance: {error}"))
    return problems


def _standardize(loop: etree._Element) -> None:
    zeebe = loop.find(f"{_B}extensionElements/{{{ZEEBE_NS}}}loopCharacteristics")
    if zeebe is not None:
        _set_collection(loop, zeebe.get("inputCollection"), "inputCollection")
        _set_item(loop, "inputDataItem", _variable(zeebe.get("inputElement"), "inputElement"))
        _set(loop, "loopDataOutputRef", _variable(zeebe.get("outputCollection"), "outputCollection"))
        _set_item(loop, "outputDataItem", _variable(zeebe.get("outputElement"), "outputElement"))
    for namespace in (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS):
        collection = loop.get(f"{{{namespace}}}collection")
        element = loop.get(f"{{{namespace}}}elementVariable")
        if collection is not None:
            _set_collection(loop, collection, "collection")
        if element is not None:
            _set_item(loop, "inputDataItem", _variable(element, "elementVariable"))
    for tag in ("inputDataItem", "outputDataItem"):
        item = loop.find(f"{_B}{tag}")
        if item is not None and item.get("name") and _NAME.match(str(item.get("name"))):
            item.set("id", str(item.get("name")))  # SpiffWorkflow names the variable by the id


def _variable(text: str | None, what: str) -> str | None:
    if text is None or not text.strip():
        return None
    name = normalize(text).strip()
    if not _NAME.match(name):
        raise ExpressionError(
            f"{what} {text.strip()!r} must name one variable; compute {name!r} into a variable "
            "in a script task before the activity and name that"
        )
    return name


def _set_collection(loop: etree._Element, text: str | None, what: str) -> None:
    """A dialect's input collection: one variable, as before, or an expression okno can
    evaluate (refused here, with why, if it cannot)."""
    if text is None or not text.strip():
        return
    try:
        translated = normalize(text).strip()
        if _NAME.match(translated):
            _set(loop, "loopDataInputRef", translated)
            return
        check_expression(translated)
    except ExpressionError as error:
        raise ExpressionError(
            f"{what} {text.strip()!r} is neither one variable nor an expression okno can evaluate: {error}"
        ) from None
    _set(loop, "loopDataInputRef", translated)
    node = loop.find(f"{_B}loopDataInputRef")
    assert node is not None  # just set
    node.set(EXPRESSION, "true")


def _set(loop: etree._Element, tag: str, value: str | None) -> None:
    if value is None:
        return
    node = loop.find(f"{_B}{tag}")
    if node is None:
        node = etree.SubElement(loop, f"{_B}{tag}")
    node.text = value


def _set_item(loop: etree._Element, tag: str, value: str | None) -> None:
    if value is None:
        return
    node = loop.find(f"{_B}{tag}")
    if node is None:
        node = etree.SubElement(loop, f"{_B}{tag}")
    node.set("id", value)
    node.set("name", value)


def check(loop: etree._Element) -> list[str]:
    """What SpiffWorkflow would refuse at line 1, said at the loop's own line (after
    :func:`standardize`)."""
    has_cardinality = loop.find(f"{_B}loopCardinality") is not None
    # A dialect's collection that could not be standardized was reported by standardize.
    has_input = loop.find(f"{_B}loopDataInputRef") is not None or _dialect_collection(loop)
    if has_cardinality == has_input:
        return [
            "multi-instance needs exactly one of loopCardinality or an input collection "
            "(loopDataInputRef, camunda:collection, zeebe:loopCharacteristics inputCollection)"
        ]
    if loop.find(f"{_B}outputDataItem") is not None and loop.find(f"{_B}loopDataOutputRef") is None:
        return ["multi-instance has an output element but no output collection to gather it into"]
    reference = loop.find(f"{_B}loopDataInputRef")
    if reference is not None and reference.get(EXPRESSION) == "true":
        try:
            check_expression(reference.text or "")
        except ExpressionError as error:
            return [f"input collection {(reference.text or '').strip()!r}: {error}"]
    return []


def _dialect_collection(loop: etree._Element) -> bool:
    zeebe = loop.find(f"{_B}extensionElements/{{{ZEEBE_NS}}}loopCharacteristics")
    if zeebe is not None and (zeebe.get("inputCollection") or "").strip():
        return True
    return any(loop.get(f"{{{namespace}}}collection") for namespace in (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS))


class CollectionExpression(TaskDataReference):  # type: ignore[misc]
    """An input collection given by an expression: evaluated on the activity's data the
    first time the activity asks for it (when it is reached) and kept in the activity's
    own state, so every instance, and a replay, reads the same items even when the
    instances change the data the expression reads."""

    def __init__(self, expression: str) -> None:
        super().__init__(expression)
        self.expression = expression

    def get(self, my_task: Any) -> Any:
        if _EVALUATED not in my_task.internal_data:
            items = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if not isinstance(items, list):
                raise WorkflowDataException(
                    f"the input collection {self.expression!r} gave {type(items).__name__}, not a list",
                    my_task,
                    data_input=self,
                )
            my_task.internal_data[_EVALUATED] = items
        return my_task.internal_data[_EVALUATED]

    def exists(self, my_task: Any) -> bool:
        self.get(my_task)
        return True

    def set(self, my_task: Any, value: Any) -> None:
        raise WorkflowDataException("an input collection given by an expression is read, never written", my_task)


class _ItemScoped:
    """The input element is the instance's own (as in Camunda and Flowable): without an
    output collection SpiffWorkflow merges each instance's data into the activity's, and
    the next instance would then find its element variable taken."""

    data_output: Any
    data_input: Any
    input_item: Any
    condition: Any

    def merge_child(self, workflow: Any, child: Any) -> None:
        if self.data_output is None and self.input_item is not None:
            child.data.pop(self.input_item.bpmn_id, None)
        super().merge_child(workflow, child)  # type: ignore[misc]

    def check_completion_condition(self, my_task: Any) -> Any:
        """The completion condition sees the last instance's data and the loop's counters,
        under Camunda 7/Flowable's names (``nrOfCompletedInstances / nrOfInstances >= 0.6``)
        and Camunda 8's (``numberOfCompletedInstances``): all read from the task tree, so a
        replay computes the same."""
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return None
        last = next(child for child in my_task.children if str(child.id) == merged[-1])
        instances = list(self._instances(my_task))  # type: ignore[attr-defined]
        active = sum(1 for instance in instances if not instance.has_state(TaskState.FINISHED_MASK))
        if self.data_input is not None:
            total = len(instances) + len(my_task.internal_data.get("remaining", []))
        else:
            total = max(len(instances), int(my_task.internal_data.get("cardinality") or 0))
        counters = {
            "nrOfInstances": total,
            "nrOfCompletedInstances": len(merged),
            "nrOfActiveInstances": active,
            "numberOfInstances": total,
            "numberOfCompletedInstances": len(merged),
            "numberOfActiveInstances": active,
        }
        return my_task.workflow.script_engine.evaluate(last, self.condition, external_context=counters)


class _Sequential(_ItemScoped, SequentialMultiInstanceTask):  # type: ignore[misc]
    pass


class _Parallel(_ItemScoped, ParallelMultiInstanceTask):  # type: ignore[misc]
    pass


def _add_multiinstance_task(self: Any, loop_characteristics: etree._Element) -> None:
    """SpiffWorkflow's standard multi-instance, with an input collection marked as an
    expression read by evaluating it rather than as a variable of that name."""
    TaskParser._add_multiinstance_task(self, loop_characteristics)
    reference = loop_characteristics.find(f"{_B}loopDataInputRef")
    if reference is not None and reference.get(EXPRESSION) == "true":
        self.task.data_input = CollectionExpression(str(reference.text).strip())


def _standard_multi_instance(parser_class: type) -> type:
    if not issubclass(parser_class, TaskParser):
        return parser_class
    return type(
        parser_class.__name__,
        (parser_class,),
        {
            "_add_multiinstance_task": _add_multiinstance_task,
            "_add_loop_task": standard_loops.add_loop_task,
            "SEQUENTIAL_MI_CLASS": _Sequential,
            "PARALLEL_MI_CLASS": _Parallel,
        },
    )


@cache
def _okno_parser(base: Any) -> type:  # a SpiffWorkflow parser class (untyped)
    return type(
        "OknoParser",
        (base,),
        {
            "OVERRIDE_PARSER_CLASSES": {
                tag: (_standard_multi_instance(event_payloads.payload_aware(parser_class)), spec_class)
                for tag, (parser_class, spec_class) in {
                    **base.PARSER_CLASSES,
                    **base.OVERRIDE_PARSER_CLASSES,
                }.items()
            }
        },
    )


def parser(base: Any = CamundaParser) -> Any:
    """A parser (Camunda's, or a subclass of it) whose task parsers run multi-instance the
    standard BPMN way, and standard loops bounded (engine/bpmn/standard_loops.py)."""
    return _okno_parser(base)()
