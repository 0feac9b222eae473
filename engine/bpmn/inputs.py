"""Inputs as recorded in events: tagged JSON, and back."""

from __future__ import annotations

from typing import Any

from engine.bpmn.runtime import (
    Acknowledge,
    ClaimTask,
    Complain,
    CompleteJob,
    CompleteTask,
    DeliverMessage,
    FailJob,
    FireTimer,
    Input,
    Rate,
    ReleaseTask,
    RetryIncident,
    StartCase,
    Withdraw,
)


def input_to_dict(step: Input) -> dict[str, Any]:
    if isinstance(step, StartCase):
        return {"kind": "start", "data": step.data}
    if isinstance(step, CompleteTask):
        return {"kind": "complete_task", "element": step.element, "data": step.data, "task": step.task}
    if isinstance(step, DeliverMessage):
        return {"kind": "message", "name": step.name, "payload": step.payload}
    if isinstance(step, FireTimer):
        return {"kind": "timer", "element": step.element}
    if isinstance(step, ClaimTask):
        return {"kind": "claim", "task": step.task, "holder": step.holder}
    if isinstance(step, ReleaseTask):
        return {"kind": "release", "task": step.task}
    if isinstance(step, Rate):
        return {"kind": "rating", "scores": step.scores}
    if isinstance(step, Complain):
        return {"kind": "complaint", "topic": step.topic}
    if isinstance(step, Acknowledge):
        return {"kind": "acknowledge", "message": step.message, "reference": step.reference}
    if isinstance(step, CompleteJob):
        return {"kind": "job_result", "task": step.task, "result": step.result}
    if isinstance(step, FailJob):
        return {"kind": "job_failure", "task": step.task, "error": step.error}
    if isinstance(step, RetryIncident):
        return {"kind": "incident_retry", "task": step.task}
    return {"kind": "withdraw", "reason": step.reason}


def input_from_dict(data: dict[str, Any]) -> Input:
    kind = data["kind"]
    if kind == "start":
        return StartCase(data["data"])
    if kind == "complete_task":
        return CompleteTask(data["element"], data["data"], data.get("task"))
    if kind == "message":
        return DeliverMessage(data["name"], data["payload"])
    if kind == "timer":
        return FireTimer(data["element"])
    if kind == "claim":
        return ClaimTask(data["task"], data["holder"])
    if kind == "release":
        return ReleaseTask(data["task"])
    if kind == "rating":
        return Rate(data["scores"])
    if kind == "complaint":
        return Complain(data["topic"])
    if kind == "acknowledge":
        return Acknowledge(data["message"], data["reference"])
    if kind == "job_result":
        return CompleteJob(data["task"], data["result"])
    if kind == "job_failure":
        return FailJob(data["task"], data["error"])
    if kind == "incident_retry":
        return RetryIncident(data["task"])
    if kind == "withdraw":
        return Withdraw(data["reason"])
    raise ValueError(f"unknown input kind {kind!r}")
