"""Call activities: one process calling another, inside the citizen's one case.

SpiffWorkflow runs a call activity as a subworkflow of the same workflow, so the called
process's tasks, timers and messages are the case's own: one event stream, one replay.
What it lacks is okno's business here:

- **Which process, pinned.** The called process must be in the same deploy (a second
  process of the caller's file, executable or not, or a process of another file deployed
  with it). The caller's bundle carries the called files (``ProcessBundle.called``), so
  the caller's version hash covers the callee too. A called element chosen at run time
  (``${var}``, ``=var``) is refused: a case's version must be fixed when it starts.
- **The dialects' variable mappings**, which SpiffWorkflow's Camunda parser does not read:
  Camunda 7 ``camunda:in``/``camunda:out`` (``source``, ``sourceExpression``,
  ``variables="all"``; ``businessKey`` ignored), Flowable/Activiti ``flowable:in``/``out``
  (and ``flowable:inheritVariables``), Camunda 8 ``zeebe:calledElement`` with
  ``propagateAllParentVariables``/``propagateAllChildVariables`` and ``zeebe:ioMapping``.
  Expressions go through okno's interpreter (engine.expressions), never Python's eval.
  A call activity with no mapping at all passes everything both ways, as SpiffWorkflow
  does.

Validation (:func:`call_graph`) and compilation (:func:`prepare`, :func:`adopt`) read the
same XML through :func:`mapping_of`, so what is checked at deploy is what runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import CallActivity

from engine.bpmn.dialects import normalize
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS, ProcessBundle, SourceFile
from engine.errors import ExpressionError
from engine.expressions import check_expression, evaluate

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
FLOWABLE_NS = "http://flowable.org/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
# The Camunda 7 family: the same in/out elements under each vendor's namespace.
_IN_OUT_NAMESPACES = (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class CallProblem(Exception):
    """A call activity okno cannot run as written (reported at deploy with its element)."""

    def __init__(self, element: etree._Element, message: str) -> None:
        super().__init__(message)
        self.element = element
        self.message = message


@dataclass(frozen=True)
class Assignment:
    """One variable passed across the call: ``target`` gets the value of ``source``, which
    is a variable name (``kind`` "variable"; a missing one gives null, as in Camunda), an
    okno expression ("expression") or a fixed text ("value", Zeebe's non-``=`` source)."""

    target: str
    kind: str
    source: str

    def value(self, data: Mapping[str, Any], evaluate_in: Callable[[str, Mapping[str, Any]], Any]) -> Any:
        if self.kind == "variable":
            return deepcopy(data.get(self.source))
        if self.kind == "value":
            return self.source
        return evaluate_in(self.source, data)


@dataclass(frozen=True)
class CallMapping:
    """What goes into the called process and what comes back out.

    ``all_in``/``all_out``: every variable passes (then the assignments are applied on top)."""

    all_in: bool
    inputs: tuple[Assignment, ...]
    all_out: bool
    outputs: tuple[Assignment, ...]

    @classmethod
    def everything(cls) -> CallMapping:
        return cls(True, (), True, ())

    def into_child(
        self, parent: Mapping[str, Any], evaluate_in: Callable[[str, Mapping[str, Any]], Any]
    ) -> dict[str, Any]:
        data: dict[str, Any] = deepcopy(dict(parent)) if self.all_in else {}
        for assignment in self.inputs:
            data[assignment.target] = assignment.value(parent, evaluate_in)
        return data

    def back_to_parent(
        self,
        parent: Mapping[str, Any],
        child: Mapping[str, Any],
        evaluate_in: Callable[[str, Mapping[str, Any]], Any],
    ) -> dict[str, Any]:
        data: dict[str, Any] = dict(parent)
        if self.all_out:
            data.update(deepcopy(dict(child)))
        for assignment in self.outputs:
            data[assignment.target] = assignment.value(child, evaluate_in)
        return data


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _extensions(node: etree._Element) -> list[etree._Element]:
    found = node.find(f"{{{BPMN_NS}}}extensionElements")
    return [child for child in found if isinstance(child.tag, str)] if found is not None else []


def _zeebe_called(node: etree._Element) -> etree._Element | None:
    return next((e for e in _extensions(node) if e.tag == f"{{{ZEEBE_NS}}}calledElement"), None)


def called_process(node: etree._Element) -> str:
    """The id of the process a call activity calls; refused when it is chosen at run time."""
    if node.get(f"{{{CAMUNDA_NS}}}caseRef") is not None:
        raise CallProblem(node, "call activity calls a CMMN case (camunda:caseRef): okno runs BPMN processes only")
    for name in ("variableMappingClass", "variableMappingDelegateExpression"):
        if node.get(f"{{{CAMUNDA_NS}}}{name}") is not None:
            raise CallProblem(
                node,
                f"camunda:{name} is Java code okno cannot run: map variables with camunda:in and camunda:out",
            )
    zeebe = _zeebe_called(node)
    raw = zeebe.get("processId") if zeebe is not None else node.get("calledElement")
    name = (raw or "").strip()
    if not name:
        raise CallProblem(
            node, "call activity names no process: set calledElement (Camunda 8: zeebe:calledElement processId)"
        )
    if name.startswith(("=", "${", "#{")) or not set(name) <= _NAME_CHARS | frozenset("-."):
        raise CallProblem(
            node,
            f"call activity calls {name!r}, an expression: okno pins the called process when the case "
            "starts (a case's version must be fixed at deploy), so name the process id itself",
        )
    return name


def _name(node: etree._Element, value: str | None, what: str) -> str:
    name = (value or "").strip()
    if not name or not set(name) <= _NAME_CHARS or name[0].isdigit():
        raise CallProblem(node, f"{what} {name!r} is not a variable name okno can set (letters, digits, _)")
    return name


def _expression(node: etree._Element, text: str, what: str) -> str:
    try:
        translated = normalize(text)
        check_expression(translated)
    except ExpressionError as error:
        raise CallProblem(node, f"{what} {text.strip()!r}: {error}") from None
    return translated


def _in_out(child: etree._Element, direction: str) -> Assignment | None:
    """A Camunda 7 / Flowable ``in`` or ``out``; None for businessKey and variables="all"."""
    if child.get("businessKey") is not None or child.get("variables") == "all":
        return None
    target = _name(child, child.get("target"), f"{direction} mapping target")
    if child.get("sourceExpression") is not None:
        text = str(child.get("sourceExpression"))
        return Assignment(target, "expression", _expression(child, text, f"{direction} mapping sourceExpression"))
    return Assignment(target, "variable", _name(child, child.get("source"), f"{direction} mapping source"))


def _zeebe_assignment(child: etree._Element, direction: str) -> Assignment:
    target = _name(child, child.get("target"), f"{direction} mapping target")
    source = (child.get("source") or "").strip()
    if source.startswith("="):
        return Assignment(target, "expression", _expression(child, source, f"{direction} mapping source"))
    return Assignment(target, "value", source)


def mapping_of(node: etree._Element) -> CallMapping:
    """The variable mapping a call activity declares, in whichever dialect it is written."""
    zeebe = _zeebe_called(node)
    if zeebe is not None:
        io = next((e for e in _extensions(node) if e.tag == f"{{{ZEEBE_NS}}}ioMapping"), None)
        parts = [c for c in io if isinstance(c.tag, str)] if io is not None else []
        inputs = tuple(_zeebe_assignment(c, "input") for c in parts if _local(c) == "input")
        outputs = tuple(_zeebe_assignment(c, "output") for c in parts if _local(c) == "output")
        # Zeebe: the parent's variables pass unless propagateAllParentVariables="false"; the
        # child's come back unless output mappings are given or propagateAllChildVariables="false".
        all_in = zeebe.get("propagateAllParentVariables", "true").lower() != "false"
        all_out = not outputs and zeebe.get("propagateAllChildVariables", "true").lower() != "false"
        return CallMapping(all_in, inputs, all_out, outputs)
    ins = [e for e in _extensions(node) if etree.QName(e).namespace in _IN_OUT_NAMESPACES and _local(e) == "in"]
    outs = [e for e in _extensions(node) if etree.QName(e).namespace in _IN_OUT_NAMESPACES and _local(e) == "out"]
    inherit = any(node.get(f"{{{ns}}}inheritVariables", "").lower() == "true" for ns in (FLOWABLE_NS, ACTIVITI_NS))
    if not ins and not outs:
        # No mapping written: SpiffWorkflow's (and a plain BPMN reader's) all-in, all-out.
        return CallMapping.everything()
    in_parts = [_in_out(e, "in") for e in ins]
    out_parts = [_in_out(e, "out") for e in outs]
    return CallMapping(
        all_in=inherit or any(e.get("variables") == "all" for e in ins),
        inputs=tuple(a for a in in_parts if a is not None),
        all_out=any(e.get("variables") == "all" for e in outs),
        outputs=tuple(a for a in out_parts if a is not None),
    )


def call_activities(process: etree._Element) -> list[etree._Element]:
    return [node for node in process.iter(f"{{{BPMN_NS}}}callActivity")]


# -- deploy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """A process of the deploy and the file it is in."""

    source: SourceFile
    element: etree._Element


@dataclass(frozen=True)
class CallProblemAt:
    """A deploy-time problem, for validation to report as ``file:line: id: message``."""

    file: str
    element: etree._Element
    owner: str
    message: str


@dataclass
class CallGraph:
    """The deploy's call activities, walked from its executable processes: per process,
    the processes it calls (directly or through others), and what is wrong with them."""

    processes: dict[str, Located]
    reach: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: list[CallProblemAt] = field(default_factory=list)

    def called_ids(self) -> set[str]:
        return {callee for callees in self.reach.values() for callee in callees}

    def link(
        self, bundle: ProcessBundle, refs_of: Mapping[str, set[str]], decisions: Mapping[str, SourceFile]
    ) -> ProcessBundle:
        """The bundle with the files its callees are in and the DMN files their rules use."""
        callees = self.reach.get(bundle.process_id, ())
        if not callees:
            return bundle
        files = {self.processes[c].source for c in callees} - {bundle.bpmn}
        refs = set(refs_of.get(bundle.process_id, set())).union(*(refs_of.get(c, set()) for c in callees))
        dmn = {*bundle.dmn, *(decisions[ref] for ref in refs if ref in decisions)}
        return replace(
            bundle,
            dmn=tuple(sorted(dmn, key=lambda s: s.name)),
            called=tuple(sorted(files, key=lambda s: s.name)),
        )


def call_graph(documents: Iterable[tuple[SourceFile, etree._Element]]) -> CallGraph:
    """Every call activity of a process that runs names a process of the deploy; no process
    calls itself again through its callees (a case must end); element ids stay apart
    across a caller and its callees (a case names its tasks by element id)."""
    graph = CallGraph({})
    executable: list[str] = []
    twice: dict[str, Located] = {}
    for source, root in documents:
        every = list(root.iter(f"{{{BPMN_NS}}}process"))
        # The callers are the processes that run: those marked executable or, where a file
        # marks none, those without the flag (Camunda 7 and Flowable run them; validation's
        # _executable picks the same).
        marked = [p for p in every if (p.get("isExecutable") or "").strip().lower() == "true"]
        for process in every:
            ident = str(process.get("id"))
            if ident in graph.processes:
                twice.setdefault(ident, Located(source, process))
            graph.processes.setdefault(ident, Located(source, process))
            if process in marked or (not marked and process.get("isExecutable") is None):
                executable.append(ident)
    available = ", ".join(sorted(graph.processes)) or "none"
    direct: dict[str, list[str]] = {}

    def calls_of(process_id: str) -> list[str]:
        if process_id not in direct:
            direct[process_id] = []
            located = graph.processes[process_id]
            for node in call_activities(located.element):
                ident = str(node.get("id"))
                try:
                    callee = called_process(node)
                    mapping_of(node)
                except CallProblem as problem:
                    graph.problems.append(CallProblemAt(located.source.name, problem.element, ident, problem.message))
                    continue
                if callee in twice:
                    files = f"{graph.processes[callee].source.name} and {twice[callee].source.name}"
                    message = f"call activity calls process {callee!r}, which is in {files}: deploy one of them"
                    graph.problems.append(CallProblemAt(located.source.name, node, ident, message))
                    continue
                if callee not in graph.processes:
                    message = (
                        f"call activity calls process {callee!r}, which is not in this deploy (processes: {available})"
                    )
                    graph.problems.append(CallProblemAt(located.source.name, node, ident, message))
                    continue
                direct[process_id].append(callee)
        return direct[process_id]

    for process_id in executable:
        seen: list[str] = []
        pending = list(calls_of(process_id))
        while pending:
            callee = pending.pop(0)
            if callee in seen:
                continue
            seen.append(callee)
            pending.extend(calls_of(callee))
        graph.reach[process_id] = tuple(seen)
    reported: set[str] = set()
    for process_id, callees in graph.reach.items():
        for each in (process_id, *callees):
            if each not in reported and each in _reach_of(direct, each):
                reported.add(each)
                located = graph.processes[each]
                graph.problems.append(
                    CallProblemAt(
                        located.source.name,
                        located.element,
                        each,
                        f"process {each} calls itself ({_cycle(direct, each)}): recursive call activities "
                        "are refused, since a case's calls must end",
                    )
                )
        if not reported:
            graph.problems.extend(_clashes(graph, process_id, callees))
    return graph


def _reach_of(direct: Mapping[str, list[str]], start: str) -> set[str]:
    seen: set[str] = set()
    pending = list(direct.get(start, []))
    while pending:
        each = pending.pop()
        if each not in seen:
            seen.add(each)
            pending.extend(direct.get(each, []))
    return seen


def _cycle(direct: Mapping[str, list[str]], start: str) -> str:
    """The shortest call path from ``start`` back to it, for the message."""
    paths = [[start]]
    while paths:
        path = paths.pop(0)
        for callee in direct.get(path[-1], []):
            if callee == start:
                return " -> ".join([*path, callee])
            if callee not in path:
                paths.append([*path, callee])
    return start


def _is_activity(node: etree._Element) -> bool:
    kind = _local(node)
    return kind.endswith("Task") or kind in ("task", "callActivity", "subProcess")


def _clashes(graph: CallGraph, process_id: str, callees: tuple[str, ...]) -> list[CallProblemAt]:
    owners: dict[str, str] = {}
    found: list[CallProblemAt] = []
    for each in (process_id, *callees):
        located = graph.processes[each]
        for node in located.element.iter():
            ident = node.get("id") if isinstance(node.tag, str) and _is_activity(node) else None
            if ident is None:
                continue
            first = owners.setdefault(ident, each)
            if first != each:
                found.append(
                    CallProblemAt(
                        located.source.name,
                        node,
                        ident,
                        f"id {ident!r} is used in process {first} too, which runs in the same case: "
                        "a case names its tasks by element id, so rename one",
                    )
                )
    return found


# -- compile and run -----------------------------------------------------------------------


def prepare(roots: Iterable[etree._Element]) -> dict[str, CallMapping]:
    """Make a bundle's parsed files runnable by SpiffWorkflow, in place: a Camunda 8 call
    activity gets its process id as ``calledElement``, and a called process that is not
    marked executable is marked so (it runs only inside its caller's case). Returns the
    mappings by call activity id."""
    roots = list(roots)
    mappings: dict[str, CallMapping] = {}
    called: set[str] = set()
    for root in roots:
        for node in root.iter(f"{{{BPMN_NS}}}callActivity"):
            callee = called_process(node)
            node.set("calledElement", callee)
            called.add(callee)
            mappings[str(node.get("id"))] = mapping_of(node)
    for root in roots:
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            if process.get("id") in called:
                process.set("isExecutable", "true")
    return mappings


class MappedCallActivity(CallActivity):  # type: ignore[misc]
    """SpiffWorkflow's call activity, passing variables by the model's mapping."""

    call_mapping: CallMapping = CallMapping.everything()

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**self.call_mapping.into_child(my_task.data, _evaluator(my_task)))

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        child = subworkflow.last_task.data
        my_task.data = self.call_mapping.back_to_parent(my_task.data, child, _evaluator(my_task))


def _evaluator(task: Any) -> Callable[[str, Mapping[str, Any]], Any]:
    from engine.bpmn.determinism import clock_of

    now = clock_of(task.workflow).now

    def evaluate_in(text: str, data: Mapping[str, Any]) -> Any:
        return evaluate(text, data, now=now)

    return evaluate_in


def adopt(mappings: Mapping[str, CallMapping], *specs: Any) -> None:
    """Give the compiled call activities okno's class and their mappings, in place (an
    embedded subprocess is a CallActivity in SpiffWorkflow too, and is left as it is)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            mapping = mappings.get(getattr(task_spec, "bpmn_id", None) or "")
            if mapping is not None and type(task_spec) is CallActivity:
                task_spec.__class__ = MappedCallActivity
                task_spec.call_mapping = mapping
