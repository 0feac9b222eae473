"""Compiled processes: each version parsed once and kept, never per command."""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock
from typing import Any

from lxml import etree

from engine.bpmn import case_timers, send_receive
from engine.bpmn.event_parser import OknoParser
from engine.bpmn.normalize import normalize_bpmn, normalize_dmn
from engine.bpmn.roles import role_of
from engine.bpmn.service_tasks import ConnectorSpec, connector_of
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS, ProcessBundle, parse_xml
from engine.errors import UnknownProcessVersion


@dataclass(frozen=True)
class FormField:
    id: str
    type: str
    label: str
    required: bool
    options: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class CompiledProcess:
    bundle: ProcessBundle
    spec: Any
    subprocess_specs: dict[str, Any]
    elements: dict[str, ElementInfo]

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def process_id(self) -> str:
        return self.bundle.process_id


def compile_bundle(bundle: ProcessBundle) -> CompiledProcess:
    parser = OknoParser()  # Camunda's, reading error and escalation start events (engine/bpmn/event_parser.py)
    bpmn_root = parse_xml(bundle.bpmn)
    normalize_bpmn(bpmn_root)  # validation refused the version if anything was left untranslated
    parser.add_bpmn_xml(etree.ElementTree(bpmn_root), filename=bundle.bpmn.name)
    for dmn in bundle.dmn:
        dmn_root = parse_xml(dmn)
        normalize_dmn(dmn_root)
        parser.add_dmn_xml(dmn_root, filename=dmn.name)
    spec = parser.get_spec(bundle.process_id)
    subprocess_specs = parser.get_subprocess_specs(bundle.process_id)
    case_timers.adopt(spec, *subprocess_specs.values())  # timers on the case's clock, not the host's
    send_receive.adopt(spec, *subprocess_specs.values())  # receive tasks catch messages as catch events do
    return CompiledProcess(bundle, spec, subprocess_specs, _elements(bpmn_root, bundle.process_id))


def _elements(root: etree._Element, process_id: str) -> dict[str, ElementInfo]:
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
        fields = []
        for field in node.findall(f"{b}extensionElements/{c}formData/{c}formField"):
            constraints = {x.get("name") for x in field.findall(f"{c}validation/{c}constraint")}
            fields.append(
                FormField(
                    id=str(field.get("id")),
                    type=str(field.get("type")),
                    label=field.get("label") or "",
                    required="required" in constraints,
                    options=tuple(str(v.get("id")) for v in field.findall(f"{c}value")),
                )
            )
        kind = etree.QName(node).localname
        role = role_of(node, lanes) if kind == "userTask" else node.get(f"{c}candidateGroups")
        deadline = properties.get("deadline_working_days")
        found[ident] = ElementInfo(
            ident,
            kind,
            node.get("name") or ident,
            role,
            properties.get("stage"),
            properties.get("outcome"),
            tuple(fields),
            int(deadline) if deadline and deadline.isdigit() else None,
            connector_of(node) if kind == "serviceTask" else None,
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
