"""A case's process started by a message: its opening is the message's arrival.

okno opens every case with ``openCase`` (the window, the portal, an agency's gateway),
with the case's data. A process whose only start event is a message start event (Camunda
8's and Flowable's way to say "a pull request was created", "an application arrived")
would otherwise open waiting at its start for a message no sender can address: a message
is delivered to a case by its number, which the sender learns only from the opening.
So, as Camunda's ``startProcessInstanceByMessage`` and Zeebe's message start do, the
case starts there: the start event is compiled as a none start, the opening data are
the message's variables, and the flow goes on at once.

Only a lone message start is read so: beside a none start the none start is the opening
(the message start waits, as before), and of several message starts none is the opening
(which message opened the case would be a guess)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition


def adopt(spec: Any) -> None:
    """Make the case's process start at its lone message start event (a process with a
    none start, or with several starts, is left as it is)."""
    starts = [task for task in spec.start.outputs if isinstance(task, StartEvent)]
    if len(starts) == 1 and isinstance(starts[0].event_definition, MessageEventDefinition):
        starts[0].event_definition = NoneEventDefinition(description=starts[0].event_definition.description)
