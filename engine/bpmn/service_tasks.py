"""Service tasks as the analysts' tools write them, read into one job spec.

Every service task is a *job* of a type: Camunda 7 writes an external task
(``camunda:type="external" camunda:topic="sms"``, input parameters in
``camunda:inputOutput``, retries in ``camunda:failedJobRetryTimeCycle``), Camunda 8 a
task definition (``zeebe:taskDefinition type="sms" retries="3"``, inputs in
``zeebe:ioMapping``). What okno cannot run itself (a Java class, a JUEL or delegate
expression of Camunda 7, Flowable or Activiti) is a job too, typed by the class name or
the expression's text, and a service task naming nothing is a job typed by its element
id. okno runs none of them inline: the task waits as a job, and either a built-in
connector (engine.connectors, run by ``okno work``) or an external worker (activateJobs
over GraphQL) completes it; the result (or the failure) comes back as the case's next input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from lxml import etree

from engine.bpmn.dialects import feel, juel
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS
from engine.errors import ExpressionError
from engine.expressions import check_expression

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
FLOWABLE_NS = "http://flowable.org/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
# The connectors okno ships (engine.connectors): ``okno work`` runs jobs of these types; a
# job of any other type waits for an external worker.
BUILT_IN_CONNECTORS = ("email", "payment_check", "sms")
# Implementations a Java engine runs inline and okno cannot: (namespace, attribute), in the
# order they are looked for. The job's type is the attribute's text.
_JAVA_IMPLEMENTATIONS = tuple(
    (namespace, attribute)
    for namespace in (CAMUNDA_NS, FLOWABLE_NS, ACTIVITI_NS)
    for attribute in ("class", "delegateExpression", "expression")
)
MAX_TYPE_CHARS = 200
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 60
MAX_ATTEMPTS = 20
_CYCLE = re.compile(r"^R(\d+)/PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ConnectorSpec:
    """What a service task asks of its connector (or external worker), and how often to try."""

    name: str  # the job's type: a built-in connector's name, or what an external worker activates
    # Input name -> okno expression over the case data, evaluated when the job opens (so
    # what the connector is asked is recorded in the case's history).
    inputs: tuple[tuple[str, str], ...]
    attempts: int = DEFAULT_ATTEMPTS
    backoff_seconds: int = DEFAULT_BACKOFF_SECONDS  # doubles after each failure
    # How the type was found: "taskDefinition", "topic", "connector", "class" (a Java
    # implementation okno leaves to a worker) or "element" (none: the element id).
    source: str = "taskDefinition"


class ServiceTaskProblem(ValueError):
    pass


def connector_of(task: etree._Element) -> ConnectorSpec:
    """The job spec of a service task (or of any task carrying a task definition or an
    external topic); ServiceTaskProblem says what is wrong with it."""
    c, z = f"{{{CAMUNDA_NS}}}", f"{{{ZEEBE_NS}}}"
    definition = next(task.iter(f"{z}taskDefinition"), None)
    if definition is not None:
        name, source = _literal_type(definition.get("type") or ""), "taskDefinition"
        attempts = _attempts(definition.get("retries"))
        backoff = DEFAULT_BACKOFF_SECONDS
        inputs = [(str(node.get("target")), _zeebe_source(node.get("source") or "")) for node in task.iter(f"{z}input")]
    elif task.get(f"{c}type") == "external":
        name, source = task.get(f"{c}topic") or "", "topic"
        if not name.strip():
            raise ServiceTaskProblem('an external task needs camunda:topic naming its job type (camunda:topic="sms")')
    else:
        name, source = _implementation(task), "class"
        connector = next(task.iter(f"{c}connectorId"), None)
        if not name and connector is not None and (connector.text or "").strip():
            name, source = str(connector.text).strip(), "connector"
        if not name:
            name, source = str(task.get("id") or ""), "element"
    if definition is None:  # Camunda 7's own retry cycle and input parameters
        cycle = next(task.iter(f"{c}failedJobRetryTimeCycle"), None)
        attempts, backoff = _cycle(cycle.text if cycle is not None else None)
        inputs = [
            (str(node.get("name")), _camunda_parameter(node.text or "")) for node in task.iter(f"{c}inputParameter")
        ]
    if not name.strip() or len(name) > MAX_TYPE_CHARS or any(ord(ch) < 0x20 for ch in name):
        raise ServiceTaskProblem(f"job type {name[:40]!r} must be 1–{MAX_TYPE_CHARS} characters of plain text")
    for input_name, expression in inputs:
        if not _NAME.match(input_name):
            raise ServiceTaskProblem(f"input {input_name!r} is not a plain name")
        try:
            check_expression(expression)
        except ExpressionError as error:
            raise ServiceTaskProblem(f"input {input_name!r}: {error}") from None
    return ConnectorSpec(name.strip(), tuple(inputs), attempts, backoff, source)


def carries_job(task: etree._Element) -> bool:
    """Whether a task other than a service task (a send task, a business rule task) is a job
    by its extension: a Camunda 8 task definition or a Camunda 7 external topic."""
    return (
        next(task.iter(f"{{{ZEEBE_NS}}}taskDefinition"), None) is not None
        or task.get(f"{{{CAMUNDA_NS}}}type") == "external"
    )


def jobs_as_service_tasks(root: etree._Element) -> None:
    """Send and business rule tasks that are jobs (Camunda 8 writes a send task, a business
    rule task with a job worker, as a task definition; Camunda 7 as an external topic) run
    as service tasks: rewritten in place before validation and compilation read them."""
    for kind in ("sendTask", "businessRuleTask"):
        for task in list(root.iter(f"{{{BPMN_NS}}}{kind}")):
            if carries_job(task):
                task.tag = f"{{{BPMN_NS}}}serviceTask"


def _implementation(task: etree._Element) -> str:
    for namespace, attribute in _JAVA_IMPLEMENTATIONS:
        value = task.get(f"{{{namespace}}}{attribute}")
        if value is not None and value.strip():
            return value.strip()
    return ""


def _literal_type(text: str) -> str:
    """A Zeebe job type: plain text, or a FEEL string literal (``="sms"``). okno decides a
    job's type at deploy, so a type computed from the case's data is refused."""
    stripped = text.strip()
    if not stripped.startswith("="):
        return stripped
    literal = stripped[1:].strip()
    if len(literal) >= 2 and literal[0] == literal[-1] == '"' and '"' not in literal[1:-1]:
        return literal[1:-1]
    raise ServiceTaskProblem(
        f"zeebe:taskDefinition type {stripped!r} is a FEEL expression: okno decides a job's type at deploy, "
        f'so write the type itself (type="payment") or a string literal (type="="payment"")'
    )


def _camunda_parameter(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith(("${", "#{")) and stripped.endswith("}"):
        try:
            return juel(stripped[2:-1])
        except ExpressionError as error:
            raise ServiceTaskProblem(f"input {stripped!r}: {error}") from None
    return json.dumps(stripped, ensure_ascii=False)  # Camunda reads plain text as a constant


def _zeebe_source(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("="):
        try:
            return feel(stripped[1:])
        except ExpressionError as error:
            raise ServiceTaskProblem(f"input {stripped!r}: {error}") from None
    return json.dumps(stripped, ensure_ascii=False)


def _attempts(text: str | None) -> int:
    if text is None or not text.strip():
        return DEFAULT_ATTEMPTS
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_ATTEMPTS:
        raise ServiceTaskProblem(f"retries {text!r} must be a whole number from 1 to {MAX_ATTEMPTS}")
    return int(text)


def _cycle(text: str | None) -> tuple[int, int]:
    if text is None or not text.strip():
        return DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_SECONDS
    match = _CYCLE.match(text.strip())
    if match is None:
        raise ServiceTaskProblem(
            f"failedJobRetryTimeCycle {text.strip()!r}: write R<attempts>/PT<interval>, e.g. R3/PT5M"
        )
    attempts = _attempts(match.group(1))
    hours, minutes, seconds = (int(g) if g else 0 for g in match.group(2, 3, 4))
    backoff = hours * 3600 + minutes * 60 + seconds
    if backoff <= 0:
        raise ServiceTaskProblem(f"failedJobRetryTimeCycle {text.strip()!r}: the interval must be positive")
    return attempts, backoff
