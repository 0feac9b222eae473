"""Deploy-time validation: everything SpiffWorkflow would only fail on when a case
reaches it is found here, reported as ``file:line: element-id: message``.

Validation reads the XML itself (with line numbers) before SpiffWorkflow sees it, and
checks every expression against okno's language without running any of it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from lxml import etree

from engine import notification_templates
from engine.bpmn import multi_instance, send_receive, standard_loops
from engine.bpmn.call_activities import CallGraph, call_graph
from engine.bpmn.cron import is_cron
from engine.bpmn.cron import problem as cron_problem
from engine.bpmn.decision_tables import read_tables, table_problems, with_required
from engine.bpmn.decisions import call_problem, decision_call
from engine.bpmn.elements import EVENT_SUBPROCESS_MESSAGE, KINDS, MI_STANDARD, MI_ZEEBE, PARTS, kind_of
from engine.bpmn.form_sources import form_problems, forms_used, is_form_source, reserved_form_fields
from engine.bpmn.message_contracts import ContractProblem, contracts_of, with_contracts
from engine.bpmn.normalize import normalize_bpmn, normalize_dmn
from engine.bpmn.roles import role_findings, role_of
from engine.bpmn.service_tasks import ServiceTaskProblem, connector_of
from engine.bpmn.sources import (
    BPMN_NS,
    CAMUNDA_NS,
    DMN_NAMESPACES,
    ProcessBundle,
    SourceFile,
    XmlProblem,
    parse_xml,
)
from engine.case_variables import RESERVED_VARIABLES
from engine.errors import ExpressionError
from engine.expressions import check_expression, check_script

RESERVED_IDS = frozenset({"Start", "End", "Root"})
ROLES = frozenset({"operator", "expert", "supervisor"})
FIELD_TYPES = frozenset({"string", "long", "boolean", "date", "enum"})

# The element table (engine.bpmn.elements) is the one source of truth; these are its views.
_SUPPORTED = frozenset(
    kind for kind, entry in KINDS.items() if entry.support == "runs" and not kind.endswith("EventDefinition")
)
_NOT_EXECUTED = frozenset(kind for kind, entry in KINDS.items() if entry.support == "kept") | {"sequenceFlow"}
_ADVICE = {kind: entry.note for kind, entry in KINDS.items() if entry.support == "refused"}
_EVENT_DEFINITIONS = frozenset(
    kind for kind, entry in KINDS.items() if entry.support == "runs" and kind.endswith("EventDefinition")
)


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    element: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.element}: {self.message}"


@dataclass(frozen=True, order=True)
class ModelWarning(Problem):
    """What okno runs, but not as the analyst may expect: printed, never blocking."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.element}: warning: {self.message}"


@dataclass
class Plan:
    """What a set of files deploys as: one bundle per executable process, or problems;
    warnings beside either."""

    bundles: list[ProcessBundle] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[ModelWarning] = field(default_factory=list)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _line(element: etree._Element) -> int:
    line = element.sourceline
    return line if isinstance(line, int) and line > 0 else 1


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def _b(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


class _Checker:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.warnings: list[ModelWarning] = []

    def warn(self, element: etree._Element, message: str, element_id: str | None = None) -> None:
        ident = element_id or element.get("id") or "-"
        self.warnings.append(ModelWarning(self.source.name, _line(element), ident, message))

    def report(self, element: etree._Element | None, message: str, element_id: str | None = None) -> None:
        line = _line(element) if element is not None else 1
        ident = element_id or (element.get("id") if element is not None else None) or "-"
        self.problems.append(Problem(self.source.name, line, ident, message))

    def expression(self, element: etree._Element, text: str | None, what: str, owner: str) -> None:
        if text is None or not text.strip():
            self.report(element, f"{what} is empty", owner)
            return
        try:
            check_expression(text)
        except ExpressionError as error:
            self.report(element, f"{what} {text.strip()!r}: {error}", owner)


def validate(sources: list[SourceFile]) -> Plan:
    """What ``sources`` deploy as. The same files again (a pipeline deploying on every
    merge, a second server starting, a test's store) are validated once: the plan depends
    on nothing but their names and texts and okno's message templates (the key holds
    both), and each caller gets lists of its own."""
    templates = tuple(sorted(notification_templates.TEMPLATES.items()))
    plan = _validated(tuple(sources), templates)
    return Plan(list(plan.bundles), list(plan.problems), list(plan.warnings))


@functools.lru_cache(maxsize=16)
def _validated(sources: tuple[SourceFile, ...], templates: tuple[tuple[str, str], ...]) -> Plan:
    del templates  # read from notification_templates below; in the key so a change is seen
    plan = Plan()
    decisions: dict[str, SourceFile] = {}
    requires: dict[str, tuple[str, ...]] = {}  # decision -> the decisions it requires
    documents: list[tuple[SourceFile, etree._Element]] = []
    forms = [source for source in sources if is_form_source(source)]  # read where a task names them
    for source in sources:
        if is_form_source(source):
            continue
        checker = _Checker(source)
        try:
            root = parse_xml(source)
        except XmlProblem as error:
            plan.problems.append(Problem(source.name, error.line, "-", error.message))
            continue
        namespace = etree.QName(root).namespace
        if source.is_dmn and namespace not in DMN_NAMESPACES:
            checker.report(root, "not a DMN 1.1–1.3 document (root element is not dmn:definitions)")
        elif namespace in DMN_NAMESPACES:
            for untranslatable in normalize_dmn(root):
                checker.report(untranslatable.element, untranslatable.message, untranslatable.owner)
            found = _check_dmn(checker, root)
            for problem in table_problems(root):
                checker.report(problem.element, problem.message, problem.owner)
            requires.update((ident, table.required) for ident, table in read_tables(root).items())
            if not found:
                checker.report(root, "the DMN file holds no decision")
            for decision_id in found:
                decisions[decision_id] = source
        elif etree.QName(root).namespace != BPMN_NS:
            checker.report(root, "not a BPMN 2.0 document (root element is not bpmn:definitions)")
        else:
            for untranslatable in normalize_bpmn(root):
                checker.report(untranslatable.element, untranslatable.message, untranslatable.owner)
            documents.append((source, root))
        plan.problems.extend(checker.problems)

    calls = call_graph(documents)
    called = calls.called_ids()
    refs_of: dict[str, set[str]] = {}  # decision ids per process, for the callers' bundles
    for source, root in documents:
        checker = _Checker(source)
        every = list(root.iter(_b("process")))
        processes = _executable(checker, [p for p in every if p.get("id") not in called or _marked(p)])
        if not every:
            checker.report(
                root, "the file holds no process: a collaboration needs at least one pool with a process (processRef)"
            )
        elif not processes:
            for process in (p for p in every if p.get("id") not in called):  # a called process runs in its caller
                flag = process.get("isExecutable")
                state = "is marked not executable" if flag is not None else "is not marked executable"
                checker.report(
                    process,
                    f"process {process.get('id')} {state}: okno runs executable processes only; "
                    'set isExecutable="true" on the pool that the centre works',
                )
        messages = {m.get("id"): m for m in root.iter(_b("message"))}
        _check_message_flows(checker, root)
        for process in every:  # still say everything else that stands between it and running
            if process not in processes and (not processes or process.get("id") in called):
                refs_of[str(process.get("id"))] = _check_process(checker, process, messages)
        for process in processes:
            refs = refs_of[str(process.get("id"))] = with_required(_check_process(checker, process, messages), requires)
            for task, message in form_problems(process, forms):
                checker.report(task, message)
            for task, name in reserved_form_fields(process, forms):
                checker.warn(
                    task,
                    f"form field {name!r} is a variable okno sets when a case opens "
                    f"({', '.join(RESERVED_VARIABLES)}): data for it is refused; name the field otherwise",
                )
            missing = sorted(ref for ref in refs if ref not in decisions)
            for ref in missing:
                checker.report(process, f"decision {ref!r} is not in any DMN file deployed with it")
            if not missing and not checker.problems:
                dmn = tuple(sorted({decisions[ref] for ref in refs}, key=lambda s: s.name))
                plan.bundles.append(
                    ProcessBundle(
                        str(process.get("id")), source, dmn, len(processes) > 1, forms=forms_used(process, forms)
                    )
                )
        plan.problems.extend(checker.problems)
        plan.warnings.extend(checker.warnings)
    _check_calls(plan, calls, refs_of, decisions)
    _check_contracts(plan, forms)

    if not plan.problems:
        plan.problems.extend(_spiff_problems(plan.bundles))
    plan.problems.sort()
    plan.warnings.sort()
    return plan


def _check_contracts(plan: Plan, json_sources: list[SourceFile]) -> None:
    """Each process carries the message contracts of its files, and they must be readable."""
    plan.bundles = [with_contracts(bundle, json_sources) for bundle in plan.bundles]
    for bundle in plan.bundles:
        try:
            contracts_of(bundle)
        except ContractProblem as problem:
            plan.problems.append(Problem(bundle.bpmn.name, 1, bundle.process_id, str(problem)))


def _marked(process: etree._Element) -> bool:
    return (process.get("isExecutable") or "").strip().lower() == "true"


def _executable(checker: _Checker, every: list[etree._Element]) -> list[etree._Element]:
    """The processes of a file okno runs (a process another one calls, unless marked
    executable, runs only inside its caller, so it is not among ``every``). Marked executable, they run. Where none is
    marked, the ones without the flag run, as Camunda 7 runs them (Flowable's tests all
    omit it), with a warning; a file whose one process is marked not executable runs
    it too, with a warning (there is nothing else it could mean to deploy). Pools
    without any flow node are black boxes (an agency drawn as a partner), never run."""
    marked = [p for p in every if _marked(p)]
    if marked:
        return marked
    drawn = [p for p in every if any(_local(child) in _SUPPORTED for child in p)]
    unmarked = [p for p in drawn if p.get("isExecutable") is None]
    for process in unmarked:
        checker.warn(
            process,
            f"process {process.get('id')} is not marked executable: okno runs it, as Camunda 7 does; "
            'set isExecutable="true" to say so',
        )
    if unmarked:
        return unmarked
    if len(every) == 1 and drawn:
        checker.warn(
            every[0],
            f"process {every[0].get('id')} is marked not executable, but it is the file's only process: "
            'okno runs it; set isExecutable="true" to say so',
        )
        return drawn
    return []


def _check_calls(plan: Plan, calls: CallGraph, refs_of: dict[str, set[str]], decisions: dict[str, SourceFile]) -> None:
    """Call activities' problems, and each caller's bundle with its callees' files."""
    for problem in calls.problems:
        plan.problems.append(Problem(problem.file, _line(problem.element), problem.owner, problem.message))
    for callee in sorted(calls.called_ids()):
        for ref in sorted(refs_of.get(callee, set()) - set(decisions)):
            located = calls.processes[callee]
            plan.problems.append(
                Problem(
                    located.source.name,
                    _line(located.element),
                    callee,
                    f"decision {ref!r} is not in any DMN file deployed with it",
                )
            )
    plan.problems[:] = sorted(set(plan.problems))
    plan.bundles[:] = [calls.link(bundle, refs_of, decisions) for bundle in plan.bundles]


def _check_process(checker: _Checker, process: etree._Element, messages: dict[str | None, etree._Element]) -> set[str]:
    """Check one process; return the decision ids its business rule tasks reference."""
    decision_refs: set[str] = set()
    lanes = {
        ref.text.strip(): lane.get("name") or lane.get("id") or ""
        for lane in process.iter(_b("lane"))
        for ref in lane.findall(_b("flowNodeRef"))
        if ref.text
    }
    seen: dict[str, int] = {}
    if process.get("id") in RESERVED_IDS:
        checker.report(process, "this process id is reserved by the engine")
    _check_container(checker, process, messages, lanes, seen, decision_refs)
    if not any(_local(child) == "startEvent" for child in process):
        checker.report(process, "no start event: add a startEvent where a case begins")
    return decision_refs


def _check_container(
    checker: _Checker,
    container: etree._Element,
    messages: dict[str | None, etree._Element],
    lanes: dict[str, str],
    seen: dict[str, int],
    decision_refs: set[str],
) -> None:
    flows = [child for child in container if _local(child) == "sequenceFlow"]
    for child in container:
        kind = _local(child)
        ident = child.get("id")
        if not kind or kind in PARTS or etree.QName(child).namespace != BPMN_NS:
            continue  # flow references (incoming/outgoing), loop markers, tool extensions: parts of the parent
        if ident is None and kind_of(kind).support != "kept":
            checker.report(child, f"{kind} has no id")
            continue
        if ident is not None:
            if ident in RESERVED_IDS:
                checker.report(child, f"id {ident!r} is reserved by SpiffWorkflow: rename it (e.g. StartEvent_1)")
            if ident in seen:
                checker.report(child, f"id {ident!r} is used twice (first on line {seen[ident]})")
            seen[ident] = _line(child)
        if kind in _NOT_EXECUTED:
            continue
        if kind not in _SUPPORTED:
            checker.report(child, _ADVICE.get(kind, f"{kind} is not supported"))
            continue
        _check_event_definitions(checker, child, messages)
        _check_standard_loop(checker, child)
        if kind == "task":
            checker.warn(
                child,
                "an untyped task passes straight through, as Camunda and Zeebe run it: "
                "make it a userTask if someone works it",
            )
        elif kind == "userTask":
            _check_user_task(checker, child, lanes)
        elif kind == "manualTask":  # worked like a user task, by its role
            _check_roles(checker, child, lanes)
        elif kind == "scriptTask":
            _check_script(checker, child)
        elif kind == "serviceTask":
            _check_service_task(checker, child)
        elif kind == "businessRuleTask":
            why, call = call_problem(child), decision_call(child)
            if why:
                checker.report(child, why)
            elif call is not None:
                decision_refs.add(call.decision_id)
        elif kind in ("exclusiveGateway", "inclusiveGateway"):
            _check_gateway(checker, child, flows)
        elif kind == "subProcess":
            _check_container(checker, child, messages, lanes, seen, decision_refs)
        _check_multi_instance(checker, child)
    present = {child.get("id") for child in container if isinstance(child.tag, str)}
    for flow in flows:
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if ref not in present:
                checker.report(
                    flow,
                    f"sequence flow {end} {ref!r} names no element of {container.get('id')}: "
                    "a flow joins two elements of the same process or subprocess",
                )
        condition = flow.find(_b("conditionExpression"))
        if condition is not None:
            checker.expression(condition, condition.text, "condition", str(flow.get("id")))


def _check_service_task(checker: _Checker, task: etree._Element) -> None:
    try:
        spec = connector_of(task)
    except ServiceTaskProblem as problem:
        checker.report(task, str(problem))
        return
    if spec.name in notification_templates.CHANNELS:
        wrong = notification_templates.task_problem(spec.name, dict(spec.inputs))
        if wrong:
            checker.report(task, wrong)


def _message_started(subprocess: etree._Element) -> bool:
    """An event subprocess waiting for a message (explain names it apart)."""
    return (subprocess.get("triggeredByEvent") or "").lower() == "true" and any(
        start.find(_b("messageEventDefinition")) is not None for start in subprocess.findall(_b("startEvent"))
    )


def _check_event_definitions(
    checker: _Checker, node: etree._Element, messages: dict[str | None, etree._Element]
) -> None:
    owner = str(node.get("id"))
    for element, problem in send_receive.problems(node, messages):
        checker.report(element, problem, owner)
    for definition in node:
        kind = _local(definition)
        if not kind.endswith("EventDefinition"):
            continue
        if kind not in _EVENT_DEFINITIONS:
            checker.report(definition, kind_of(kind).note, owner)
            continue
        if kind == "messageEventDefinition":
            ref = definition.get("messageRef")
            message = messages.get(ref)
            if message is None:
                checker.report(definition, f"messageRef {ref!r} names no bpmn:message in this file", owner)
            elif not message.get("name"):
                checker.report(message, "a message needs a name: cases receive messages by name")
            payload = definition.get(_c("expression"))
            if payload is not None:
                checker.expression(definition, payload, "message payload", owner)
        if kind == "signalEventDefinition":
            _check_signal(checker, node, definition, owner)
        if kind == "timerEventDefinition":
            for part in definition:
                if _local(part) in ("timeDuration", "timeDate", "timeCycle"):
                    _check_timer(checker, part, owner)


def _check_signal(checker: _Checker, node: etree._Element, definition: etree._Element, owner: str) -> None:
    ref = definition.get("signalRef")
    signal = next((s for s in node.getroottree().iter(_b("signal")) if s.get("id") == ref), None)
    if signal is None or not signal.get("name"):
        checker.report(definition, f"signalRef {ref!r} names no bpmn:signal with a name in this file", owner)
    parent = node.getparent()
    if _local(node) == "startEvent" and parent is not None and _local(parent) == "process":
        # Camunda starts a new instance per signal; an okno case is opened for an applicant
        # at an office, which a signal does not carry, so nothing would ever start it.
        checker.report(
            node,
            "a signal start event cannot start an okno case: a case is opened for an applicant "
            "(open_case), and a signal names none. Use a none start event, and a signal catch "
            "after it if the case must wait for the signal",
        )


def _check_timer(checker: _Checker, part: etree._Element, owner: str) -> None:
    # Bare ISO 8601 literals were quoted by normalize_bpmn; what is left is an expression.
    text = (part.text or "").strip()
    checker.expression(part, text, "timer", owner)
    literal = text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else ""
    if _local(part) == "timeCycle" and is_cron(literal):
        problem = cron_problem(literal)
        if problem:
            checker.report(part, f"timer {literal!r}: {problem}", owner)


def _check_message_flows(checker: _Checker, root: etree._Element) -> None:
    """A message flow must connect two things that exist: a pool, or an element in one."""
    known = {node.get("id") for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for flow in root.iter(_b("messageFlow")):
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if not ref or ref not in known:
                checker.report(
                    flow,
                    f"message flow {end} {ref!r} points to nowhere: connect it to a pool or to an element inside one",
                )


def _check_roles(checker: _Checker, task: etree._Element, lanes: dict[str, str]) -> None:
    problems, warnings = role_findings(task, lanes)
    for problem in problems:
        checker.report(task, problem)
    for warning in warnings:
        checker.warn(task, warning)


def _check_user_task(checker: _Checker, task: etree._Element, lanes: dict[str, str]) -> None:
    ident = str(task.get("id"))
    role = role_of(task, lanes)
    if not role:
        checker.warn(
            task,
            "user task has no role: any staff of the office (operator, expert, supervisor) may work it; "
            "set candidateGroups or draw it in a lane named for the role to narrow it",
        )
    _check_roles(checker, task, lanes)
    form_data = task.find(f"{_b('extensionElements')}/{_c('formData')}")
    if form_data is None:
        return
    if not task.get(_c("formKey")):
        checker.report(
            task,
            "user task declares form fields but no camunda:formKey: "
            "SpiffWorkflow would ignore the fields; set camunda:formKey",
        )
    for form_field in form_data.findall(_c("formField")):
        field_type = form_field.get("type")
        if not form_field.get("id"):
            checker.report(form_field, "form field has no id", ident)
        elif field_type not in FIELD_TYPES:
            checker.report(
                form_field,
                f"form field {form_field.get('id')!r} has type {field_type!r}; "
                f"use one of {', '.join(sorted(FIELD_TYPES))}",
                ident,
            )


def _check_script(checker: _Checker, task: etree._Element) -> None:
    script_format = (task.get("scriptFormat") or "okno").lower()
    if script_format not in ("okno", "python"):
        checker.report(
            task,
            f"scriptFormat {script_format!r} cannot run in okno (no Groovy, JavaScript or Java runs a model's code): "
            'rewrite it in okno\'s language, a Python subset (scriptFormat="python"; '
            'execution.setVariable("x", v) is x = v)',
        )
        return
    script = task.find(_b("script"))
    if script is None or not (script.text or "").strip():
        checker.report(task, "script task has no script")
        return
    try:
        check_script(script.text or "")
    except ExpressionError as error:
        checker.report(script, f"script: {error}", str(task.get("id")))


def _check_gateway(checker: _Checker, gateway: etree._Element, flows: list[etree._Element]) -> None:
    ident = gateway.get("id")
    outgoing = [flow for flow in flows if flow.get("sourceRef") == ident]
    if len(outgoing) < 2:
        return
    default = gateway.get("default")
    for flow in outgoing:
        if flow.get("id") == default:
            continue
        condition = flow.find(_b("conditionExpression"))
        if condition is None or not (condition.text or "").strip():
            checker.report(
                flow,
                f"flow out of diverging gateway {ident} has no condition and is not "
                "the gateway's default: add a condition or mark it default",
            )


def _check_standard_loop(checker: _Checker, node: etree._Element) -> None:
    loop = node.find(_b("standardLoopCharacteristics"))
    if loop is None:
        return
    owner = str(node.get("id"))
    if not KINDS["standardLoopCharacteristics"].supported:
        checker.report(loop, KINDS["standardLoopCharacteristics"].note, owner)
        return
    problems, warnings = standard_loops.check(node, loop)
    for message in problems:
        checker.report(loop, message, owner)
    for message in warnings:
        checker.warn(loop, message, owner)
    condition = standard_loops.condition_of(loop)
    if condition is not None:
        checker.expression(condition, condition.text, "loopCondition", owner)


def _check_multi_instance(checker: _Checker, node: etree._Element) -> None:
    loop = node.find(_b("multiInstanceLoopCharacteristics"))
    if loop is None:
        return
    owner = str(node.get("id"))
    standard = loop.find(_b("loopDataInputRef")) is not None or loop.find(_b("inputDataItem")) is not None
    zeebe = any(etree.QName(n).localname == "loopCharacteristics" for n in loop.iter() if isinstance(n.tag, str))
    for dialect, written in ((MI_STANDARD, standard), (MI_ZEEBE, zeebe)):
        if written and not kind_of(dialect).supported:
            checker.report(loop, kind_of(dialect).note, owner)
    for tag in ("loopCardinality", "completionCondition"):
        part = loop.find(_b(tag))
        if part is not None:
            checker.expression(part, part.text, tag, owner)
    collection = loop.get(_c("collection"))
    if collection is not None:
        checker.expression(loop, collection, "collection", owner)
    for message in multi_instance.check(loop):
        checker.report(loop, message, owner)
    for tag in ("inputDataItem", "outputDataItem"):
        item = loop.find(_b(tag))
        if item is not None and item.get("id") in RESERVED_VARIABLES:
            # SpiffWorkflow refuses an instance's element that is already in the data, and
            # these are in every case's data from the start: the loop could never run.
            checker.report(
                item,
                f"multi-instance element {item.get('id')!r} is a variable okno sets when a case opens "
                f"({', '.join(RESERVED_VARIABLES)}): name the element otherwise",
                owner,
            )


def _check_dmn(checker: _Checker, root: etree._Element) -> list[str]:
    namespace = etree.QName(root).namespace
    found: list[str] = []
    for decision in root.iter(f"{{{namespace}}}decision"):
        ident = decision.get("id")
        if not ident:
            checker.report(decision, "decision has no id")
            continue
        found.append(ident)
        for entry in decision.iter(f"{{{namespace}}}inputExpression"):
            text = entry.find(f"{{{namespace}}}text")
            checker.expression(entry, text.text if text is not None else None, "input expression", ident)
        for entry in decision.iter(f"{{{namespace}}}inputEntry"):
            text = entry.find(f"{{{namespace}}}text")
            _check_unary_test(checker, entry, (text.text or "") if text is not None else "", ident)
        for entry in decision.iter(f"{{{namespace}}}outputEntry"):
            text = entry.find(f"{{{namespace}}}text")
            if text is not None and (text.text or "").strip():
                checker.expression(entry, text.text, "output entry", ident)
    return found


def _check_unary_test(checker: _Checker, entry: etree._Element, text: str, owner: str) -> None:
    test = text.strip()
    if test in ("", "-"):
        return
    candidates = [test.replace("?", "dmninputexpr")] if "?" in test else [test, f"dmninputexpr {test}"]
    for candidate in candidates:
        try:
            check_expression(candidate)
            return
        except ExpressionError:
            continue
    checker.report(
        entry,
        f"input entry {test!r} is not a test okno understands (a value, a comparison such as '> 5', or '? < 6')",
        owner,
    )


def _spiff_problems(bundles: list[ProcessBundle]) -> list[Problem]:
    """Whatever SpiffWorkflow's own parser still objects to, as problems at the element it
    names (SpiffWorkflow often gives only an id, or no line)."""
    from engine.bpmn.library import compile_bundle

    problems: list[Problem] = []
    for bundle in bundles:
        try:
            compile_bundle(bundle)
        except Exception as error:  # SpiffWorkflow raises many kinds; none may escape as a traceback
            problems.append(_located(error, bundle))
    return problems


def _located(error: Exception, bundle: ProcessBundle) -> Problem:
    ident = str(getattr(error, "id", "") or bundle.process_id)
    file_name = str(getattr(error, "file_name", "") or bundle.bpmn.name)
    line = getattr(error, "line_number", "")
    found = int(line) if isinstance(line, int) or (isinstance(line, str) and line.isdigit()) else 0
    if found <= 1:
        source = next((s for s in (bundle.bpmn, *bundle.dmn) if s.name == file_name), bundle.bpmn)
        try:
            root = parse_xml(source)
        except XmlProblem:
            root = None
        element = None
        if root is not None:
            element = next((n for n in root.iter() if isinstance(n.tag, str) and n.get("id") == ident), None)
        found = _line(element) if element is not None else 1
    return Problem(file_name, found, ident, str(error).splitlines()[0] if str(error) else type(error).__name__)


@dataclass(frozen=True)
class ElementUse:
    kind: str
    count: int
    supported: bool
    note: str


def explain(source: SourceFile) -> dict[str, list[ElementUse]]:
    """Per process of a BPMN file: the element kinds it uses, and whether okno runs each
    (as the element table, engine.bpmn.elements, says)."""
    try:
        root = parse_xml(source)
    except XmlProblem:
        return {}
    report: dict[str, list[ElementUse]] = {}
    for process in root.iter(_b("process")):
        counts: dict[str, int] = {}
        for node in process.iter():
            kind = _explained_kind(node)
            if kind is None or node is process or not kind_of(kind).listed:
                continue
            counts[kind] = counts.get(kind, 0) + 1
        uses = []
        for kind, count in sorted(counts.items()):
            entry = kind_of(kind)
            uses.append(ElementUse(kind, count, entry.supported, entry.note))
        report[str(process.get("id"))] = uses
    return report


def _explained_kind(node: etree._Element) -> str | None:
    """The table's kind for a node: BPMN elements by local name, multi-instance by the
    dialect it is written in; tool extensions are not elements."""
    if not isinstance(node.tag, str):
        return None
    name = etree.QName(node)
    if name.namespace != BPMN_NS:
        return MI_ZEEBE if name.localname == "loopCharacteristics" and "zeebe" in (name.namespace or "") else None
    if name.localname == "multiInstanceLoopCharacteristics" and (
        node.find(_b("loopDataInputRef")) is not None or node.find(_b("inputDataItem")) is not None
    ):
        return MI_STANDARD
    if name.localname == "subProcess" and _message_started(node):
        return EVENT_SUBPROCESS_MESSAGE
    if name.localname in ("loopDataInputRef", "inputDataItem", "loopDataOutputRef", "outputDataItem"):
        return None  # parts of the multi-instance marker counted above
    return name.localname
