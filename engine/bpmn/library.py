"""Compiled processes: each version parsed once and kept, never per command."""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock
from typing import Any

from lxml import etree

from engine.bpmn import (
    call_activities,
    case_timers,
    event_subprocesses,
    message_start,
    multi_instance,
    send_receive,
    zeebe_messages,
)
from engine.bpmn.decisions import DecisionParser
from engine.bpmn.form_model import FormField, TaskForm
from engine.bpmn.form_sources import task_form
from engine.bpmn.message_contracts import MessageContract, contracts_of
from engine.bpmn.normalize import normalize_bpmn, normalize_dmn
from engine.bpmn.roles import assignee_of, role_of
from engine.bpmn.service_tasks import ConnectorSpec, connector_of
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS, ProcessBundle, SourceFile, parse_xml
from engine.bpmn.structure import drop_kept_data, pass_bare_tasks_through, prepare
from engine.errors import UnknownProcessVersion

__all__ = ["CompiledProcess", "ElementInfo", "FormField", "ProcessLibrary", "TaskForm", "compile_bundle"]


@dataclass(frozen=True)
class ElementInfo:
    """What okno needs to know of one BPMN element beyond what SpiffWorkflow keeps."""

    id: str
    kind: str
    name: str
    role: str | None
    stage: str | None
    outcome: str | None
    fields: tuple[FormField, ...]
    deadline_days: int | None = None  # a stage's own term in working days (property deadline_working_days)
    connector: ConnectorSpec | None = None  # a service task's job: which connector, with what, how often
    assignee: str | None = None  # the model's assignee: shown, never enforced (staff act by role)
    form: TaskForm | None = None  # a user task's declared form; None: it takes any object (engine.bpmn.forms)


@dataclass(frozen=True)
class CompiledProcess:
    bundle: ProcessBundle
    spec: Any
    subprocess_specs: dict[str, Any]
    elements: dict[str, ElementInfo]
    # What it receives and sends, with payload schemas (engine.bpmn.message_contracts).
    contracts: tuple[MessageContract, ...] = ()

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def process_id(self) -> str:
        return self.bundle.process_id


def compile_bundle(bundle: ProcessBundle) -> CompiledProcess:
    # Camunda's parser reading error and escalation start events (engine/bpmn/event_parser.py),
    # with okno's decisions (several per file, every hit policy) and standard multi-instance
    # in every dialect.
    parser = multi_instance.parser(DecisionParser)
    bpmn_root = parse_xml(bundle.bpmn)
    normalize_bpmn(bpmn_root)  # validation refused the version if anything was left untranslated
    prepare(bpmn_root, bundle.process_id)
    called_roots = [parse_xml(called) for called in bundle.called]
    for called_root in called_roots:
        normalize_bpmn(called_root)
        drop_kept_data(called_root)
    mappings = call_activities.prepare([bpmn_root, *called_roots])
    parser.add_bpmn_xml(etree.ElementTree(bpmn_root), filename=bundle.bpmn.name)
    for called, called_root in zip(bundle.called, called_roots, strict=True):
        parser.add_bpmn_xml(etree.ElementTree(called_root), filename=called.name)
    for dmn in bundle.dmn:
        dmn_root = parse_xml(dmn)
        normalize_dmn(dmn_root)
        parser.add_dmn_xml(dmn_root, filename=dmn.name)
    spec = parser.get_spec(bundle.process_id)
    subprocess_specs = parser.get_subprocess_specs(bundle.process_id)
    case_timers.adopt(spec, *subprocess_specs.values())  # timers on the case's clock, not the host's
    pass_bare_tasks_through(spec, *subprocess_specs.values())
    call_activities.adopt(mappings, spec, *subprocess_specs.values())
    send_receive.adopt(spec, *subprocess_specs.values())  # receive tasks catch messages as catch events do
    event_subprocesses.adopt(spec, *subprocess_specs.values())  # in their scope, interrupting it
    message_start.adopt(spec)  # a lone message start: the case's opening is the message
    # Zeebe's processes merge a message's variables into the case (each file by its own dialect).
    zeebe = {ident for root in (bpmn_root, *called_roots) if zeebe_messages.is_zeebe(root) for ident in _ids(root)}
    specs = {bundle.process_id: spec, **subprocess_specs}
    zeebe_messages.adopt(*(process_spec for name, process_spec in specs.items() if name in zeebe))
    elements = _elements(bpmn_root, bundle.process_id, bundle.forms)
    # The called processes' tasks are the case's tasks: their roles, stages and forms are
    # looked up by element id like the caller's (validation keeps their ids apart).
    for called_id in subprocess_specs:
        for root in (bpmn_root, *called_roots):
            if any(p.get("id") == called_id for p in root.iter(f"{{{BPMN_NS}}}process")):
                for ident, info in _elements(root, called_id, bundle.forms).items():
                    elements.setdefault(ident, info)
                break
    return CompiledProcess(bundle, spec, subprocess_specs, elements, contracts_of(bundle))


def _ids(root: etree._Element) -> set[str]:
    """The ids a file defines: its processes' and subprocesses' among them."""
    return {str(node.get("id")) for node in root.iter() if isinstance(node.tag, str) and node.get("id")}


def _elements(root: etree._Element, process_id: str, forms: tuple[SourceFile, ...]) -> dict[str, ElementInfo]:
    b, c = f"{{{BPMN_NS}}}", f"{{{CAMUNDA_NS}}}"
    process = next(p for p in root.iter(f"{b}process") if p.get("id") == process_id)
    lanes = {
        ref.text.strip(): lane.get("name") or ""
        for lane in process.iter(f"{b}lane")
        for ref in lane.findall(f"{b}flowNodeRef")
        if ref.text
    }
    found: dict[str, ElementInfo] = {}
    for node in process.iter():
        ident = node.get("id") if isinstance(node.tag, str) else None
        if ident is None:
            continue
        properties = {
            p.get("name"): p.get("value") for p in node.findall(f"{b}extensionElements/{c}properties/{c}property")
        }
        kind = etree.QName(node).localname
        human = kind in ("userTask", "manualTask")
        role = role_of(node, lanes) if human else node.get(f"{c}candidateGroups")
        form = task_form(node, forms) if kind == "userTask" else None
        deadline = properties.get("deadline_working_days")
        found[ident] = ElementInfo(
            ident,
            kind,
            node.get("name") or ident,
            role,
            properties.get("stage"),
            properties.get("outcome"),
            form.fields if form else (),
            int(deadline) if deadline and deadline.isdigit() else None,
            connector_of(node) if kind == "serviceTask" else None,
            assignee_of(node) if human else None,
            form,
        )
    return found


class ProcessLibrary:
    """Every version an engine has met, compiled at most once in the engine's lifetime."""

    def __init__(self) -> None:
        self._compiled: dict[str, CompiledProcess] = {}
        self._bundles: dict[str, ProcessBundle] = {}
        self._lock = Lock()

    def add(self, bundle: ProcessBundle) -> None:
        self._bundles.setdefault(bundle.version, bundle)

    def knows(self, version: str) -> bool:
        return version in self._bundles

    def get(self, version: str) -> CompiledProcess:
        compiled = self._compiled.get(version)
        if compiled is not None:
            return compiled
        with self._lock:
            if version not in self._compiled:
                bundle = self._bundles.get(version)
                if bundle is None:
                    raise UnknownProcessVersion(version)
                self._compiled[version] = compile_bundle(bundle)
            return self._compiled[version]
