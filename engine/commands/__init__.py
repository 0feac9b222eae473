"""Commands: the inputs a case takes from outside, each declared once in its module with
the kind its events record, its Case event class and, for okno's own inputs, its case rule.

Importing this package registers every command (engine.commands.command keeps the
table); a new command's module is imported here.
"""

from engine.commands.command import (
    CaseCommand,
    CaseFacts,
    Command,
    OpenJob,
    Ruling,
    WorkflowCommand,
    input_from_dict,
    input_to_dict,
    registered,
)
from engine.commands.feedback import COMPLAINT_TOPICS, CRITERIA, Complain, Rate
from engine.commands.job_workers import CompleteLockedJob, FailLockedJob, LockJob, ThrowJobError
from engine.commands.jobs import CompleteJob, FailJob, RetryIncident
from engine.commands.lifecycle import StartCase, Withdraw
from engine.commands.messages import Acknowledge, DeliverMessage
from engine.commands.signals import DeliverSignal
from engine.commands.tasks import ClaimTask, CompleteTask, ReassignTask, ReleaseTask
from engine.commands.timers import FireTimer

__all__ = [
    "COMPLAINT_TOPICS",
    "CRITERIA",
    "Acknowledge",
    "CaseCommand",
    "CaseFacts",
    "ClaimTask",
    "Command",
    "Complain",
    "CompleteJob",
    "CompleteLockedJob",
    "CompleteTask",
    "DeliverMessage",
    "DeliverSignal",
    "FailJob",
    "FailLockedJob",
    "FireTimer",
    "LockJob",
    "OpenJob",
    "Rate",
    "ReassignTask",
    "ReleaseTask",
    "RetryIncident",
    "Ruling",
    "StartCase",
    "ThrowJobError",
    "Withdraw",
    "WorkflowCommand",
    "input_from_dict",
    "input_to_dict",
    "registered",
]
