"""Service tasks as the analysts' tools write them, read into one connector job spec.

A service task names a connector: Camunda 7 writes an external task
(``camunda:type="external" camunda:topic="sms"``, input parameters in
``camunda:inputOutput``, retries in ``camunda:failedJobRetryTimeCycle``), Camunda 8 a
task definition (``zeebe:taskDefinition type="sms" retries="3"``, inputs in
``zeebe:ioMapping``). okno runs neither inline: the task waits as a *job*, a worker calls
the connector, and the result (or the failure) comes back as the case's next input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from lxml import etree

from engine.bpmn.dialects import feel, juel
from engine.bpmn.sources import CAMUNDA_NS
from engine.errors import ExpressionError
from engine.expressions import check_expression

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
# The connectors okno ships (engine.connectors); a model naming another is refused at deploy.
BUILT_IN_CONNECTORS = ("email", "payment_check", "sms")
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 60
MAX_ATTEMPTS = 20
_CYCLE = re.compile(r"^R(\d+)/PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ConnectorSpec:
    """What a service task asks of its connector, and how often to try."""

    name: str
    # Input name -> okno expression over the case data, evaluated when the job opens (so
    # what the connector is asked is recorded in the case's history).
    inputs: tuple[tuple[str, str], ...]
    attempts: int = DEFAULT_ATTEMPTS
    backoff_seconds: int = DEFAULT_BACKOFF_SECONDS  # doubles after each failure


class ServiceTaskProblem(ValueError):
    pass


def connector_of(task: etree._Element) -> ConnectorSpec:
    """The job spec of a ``serviceTask`` element; ServiceTaskProblem says what is missing."""
    c, z = f"{{{CAMUNDA_NS}}}", f"{{{ZEEBE_NS}}}"
    definition = next(task.iter(f"{z}taskDefinition"), None)
    if definition is not None:
        name = definition.get("type") or ""
        attempts = _attempts(definition.get("retries"))
        backoff = DEFAULT_BACKOFF_SECONDS
        inputs = [(str(node.get("target")), _zeebe_source(node.get("source") or "")) for node in task.iter(f"{z}input")]
    elif task.get(f"{c}type") == "external":
        name = task.get(f"{c}topic") or ""
        cycle = next(task.iter(f"{c}failedJobRetryTimeCycle"), None)
        attempts, backoff = _cycle(cycle.text if cycle is not None else None)
        inputs = [
            (str(node.get("name")), _camunda_parameter(node.text or "")) for node in task.iter(f"{c}inputParameter")
        ]
    else:
        raise ServiceTaskProblem(
            "service task names no connector: make it an external task with a topic "
            '(camunda:type="external" camunda:topic="sms") or give it a zeebe:taskDefinition type; '
            f"connectors: {', '.join(BUILT_IN_CONNECTORS)}"
        )
    if name not in BUILT_IN_CONNECTORS:
        raise ServiceTaskProblem(f"service task names connector {name!r}; connectors: {', '.join(BUILT_IN_CONNECTORS)}")
    for input_name, expression in inputs:
        if not _NAME.match(input_name):
            raise ServiceTaskProblem(f"input {input_name!r} is not a plain name")
        try:
            check_expression(expression)
        except ExpressionError as error:
            raise ServiceTaskProblem(f"input {input_name!r}: {error}") from None
    return ConnectorSpec(name, tuple(inputs), attempts, backoff)


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
