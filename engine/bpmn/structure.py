"""What okno keeps of a model but does not hand SpiffWorkflow to execute, and the bare
tasks it runs as the BPMN engines do (straight through).

Applied to every version as it is compiled (engine.bpmn.library.compile_bundle), so
validation and running see the same process.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask

from engine.bpmn.sources import BPMN_NS


def _b(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def prepare(root: etree._Element, process_id: str) -> None:
    """The tree SpiffWorkflow parses for one process of a deployed file."""
    for process in root.iter(_b("process")):
        if process.get("id") == process_id:
            # Validation chose to run it (a file's only process, marked not executable):
            # SpiffWorkflow would refuse to build it.
            process.set("isExecutable", "true")
    drop_kept_data(root)


def drop_kept_data(root: etree._Element) -> None:
    """Data stores are drawn for readers ("kept, not executed"): SpiffWorkflow would try to
    bind an association to one to a data store class, and refuse the model. The
    associations go; the data store references stay for the diagram."""
    stores = {node.get("id") for node in root.iter(_b("dataStoreReference"))}
    for tag, end in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
        for association in list(root.iter(_b(tag))):
            ref = association.find(_b(end))
            if ref is not None and (ref.text or "").strip() in stores:
                parent = association.getparent()
                if parent is not None:
                    parent.remove(association)


def pass_bare_tasks_through(*specs: Any) -> None:
    """A bare bpmn:task is descriptive: Camunda and Zeebe complete it at once. SpiffWorkflow
    would wait for someone to work it, so okno marks it automatic."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, NoneTask):
                task_spec.manual = False
