"""Poison events for tests: events no read model can fold, written straight through the
event store, past every check the engine makes (as a bug, an old release or a hand in the
database could have written them). A forged case is a copy of a real case's stream under a
new id and number, so every other effect is one the read models know."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from engine.application import Engine
from engine.case import Case, case_id_for
from engine.integrity import GENESIS, chain_of

# An event a read model refuses on both backends: the outbox's name is NOT NULL.
NAMELESS_MESSAGE: dict[str, Any] = {"messages_sent": [{"name": None, "payload": {}}]}
# What issue 14 stored through acknowledgeMessage: PostgreSQL text refuses NUL.
NUL_REFERENCE: dict[str, Any] = {"acknowledged": {"message": 1, "reference": "REF\x00X"}}


@dataclass
class ForgedCase:
    """A case whose events the test writes itself, one at a time."""

    engine: Engine
    template: list[Case.Event]  # a real case's events: each forged event copies the next one's effects
    number: str
    case_id: UUID
    version: int = 0
    written: list[int] = field(default_factory=list)
    head: str = GENESIS  # the chain's last hash

    def write(self, extra_effects: dict[str, Any] | None = None) -> Case.Event:
        """The next event of the case (a copy of the template's next, with ``extra_effects``)."""
        source = self.template[min(self.version, len(self.template) - 1)]
        self.version += 1
        fields = {
            name: deepcopy(getattr(source, name))
            for name in ("timestamp", "input", "effects", "actor", "idempotency_key", "chain")
        }
        fields["timestamp"] = source.timestamp + timedelta(seconds=self.version)
        if self.version > len(self.template):  # past the template: an event that changes nothing
            fields["effects"] = {**fields["effects"], "tasks_opened": [], "tasks_closed": [], "messages_sent": []}
        fields["effects"] = _own_tasks(fields["effects"], self.number)
        fields["effects"].update(extra_effects or {})
        kind: type[Any]
        if self.version == 1:
            kind = Case.Opened
            assert isinstance(source, Case.Opened)
            fields.update(number=self.number, originator_topic=source.originator_topic)
            fields.update(
                {
                    name: getattr(source, name)
                    for name in ("service", "office", "channel", "process_version", "applicant")
                }
            )
        else:
            kind = Case.MessageAcknowledged if "acknowledged" in fields["effects"] else Case.TaskCompleted
        if kind is not Case.Opened:
            fields["effects"].setdefault("tasks_opened", [])
        # A valid chain of its own, so the poison is the only fault (the chain guard parks a
        # case whose chain breaks: tests/projections/test_chain_guard.py).
        fields["chain"] = chain_of(
            kind(originator_id=self.case_id, originator_version=self.version, **fields), self.head
        )
        forged = kind(originator_id=self.case_id, originator_version=self.version, **fields)
        self.head = forged.chain
        self.engine.store.recorder.insert_events([self.engine.store.mapper.to_stored_event(forged)])
        self.written.append(self.version)
        return forged


def _own_tasks(value: Any, number: str) -> Any:
    """Effects with every task id made this case's own (task ids are primary keys in the models)."""
    if isinstance(value, dict):
        return {
            k: f"{number}:{v}" if k == "task" and isinstance(v, str) else _own_tasks(v, number)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_own_tasks(v, number) for v in value]
    return value


def forge_case(engine: Engine, like: str, number: str) -> ForgedCase:
    """A new case (id and number of its own) whose events copy those of the real case ``like``."""
    template = list(engine.case_events(like))
    return ForgedCase(engine, template, number, case_id_for(number))  # the id its number makes, as the engine's
