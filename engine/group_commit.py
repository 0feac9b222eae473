"""Group commit: commands that arrive together, decided one by one as always, and their
cases saved together in ONE transaction (one durable commit, one table lock).

Inside ``with engine.group_commit() as group:`` each case command decides and records
its event as it would alone, and a refused command raises its typed error and changes
nothing; the cases are not saved yet. The group's own writes are visible inside it: a
second command on a case continues from the first one's result. When the block ends,
every case the group changed is saved in one transaction with optimistic concurrency on
each. On a version conflict nothing of the group is written and its commands run again
one by one against the newest state, so each is recorded once or refused with its typed
error (idempotency keys still tell a retry). The engine's cache only ever holds what was
committed. An exception escaping the block writes nothing of the group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from engine.case import Case
from engine.errors import OknoError


@dataclass
class Outcome:
    """What one command of a group came to, final once the group has ended."""

    tag: Any
    number: str
    case: Case | None = field(default=None, repr=False)  # the case as committed (after the group's last command on it)
    version: int | None = None  # the version this command recorded; None: it recorded nothing
    effects: dict[str, Any] | None = None  # this command's own effects, when it recorded
    error: Exception | None = None  # refused (typed), or the group's save failed
    redo: Callable[[Outcome], None] | None = field(default=None, repr=False)

    @property
    def recorded(self) -> bool:
        """True when this command's event is in the store (a retry under an idempotency
        key that was already done records nothing)."""
        return self.error is None and self.version is not None


@dataclass
class Group:
    """The commands of one group commit and the cases they changed, in order."""

    outcomes: list[Outcome] = field(default_factory=list)
    cases: dict[UUID, Case] = field(default_factory=dict)
    retried: bool = False  # the group's save hit a conflict and its commands ran one by one
    _tag: Any = field(default=None, repr=False)

    def submit(self, tag: Any, command: Callable[[], Any]) -> Outcome | None:
        """Run an engine command in the group under ``tag``; a refusal (a typed OknoError)
        becomes its outcome instead of an exception. Returns the command's outcome (None
        when the callable ran no case command)."""
        before = len(self.outcomes)
        previous, self._tag = self._tag, tag
        try:
            command()
        except OknoError as error:
            refused = Outcome(tag, "", error=error)
            self.outcomes.append(refused)
            return refused
        finally:
            self._tag = previous
        return self.outcomes[-1] if len(self.outcomes) > before else None

    def add(self, number: str, redo: Callable[[Outcome], None]) -> Outcome:
        outcome = Outcome(self._tag, number, redo=redo)
        self.outcomes.append(outcome)
        return outcome

    @property
    def pending(self) -> list[Case]:
        return [case for case in self.cases.values() if case.pending_events]


class GroupCommitter:
    """Group commit for a server's request threads (PostgreSQL's commit_delay idea,
    without the delay): each thread decides its command as always and hands the case to
    :meth:`commit`; whichever thread finds no save in progress saves everything queued so
    far in one transaction and wakes the others. A batch forms while the previous one is
    being committed, so under load many commands share one durable commit, and a lone
    command is saved at once.

    ``save`` saves several aggregates atomically (the store's ``save``) and raises
    IntegrityError on a version conflict, in which case nothing of the batch is written
    and every thread in it is told so (``commit`` returns False) to decide again alone.
    """

    def __init__(self, save: Callable[..., Any], conflict: type[Exception], most: int = 200) -> None:
        self._save = save
        self._conflict = conflict
        self._most = most
        self._changed = threading.Condition()
        self._queue: list[_Ticket] = []
        self._saving = False
        self.batches = 0  # for tests and metrics: transactions committed or tried
        self.commands = 0

    def commit(self, *aggregates: Any) -> bool:
        """Save these aggregates with whatever else is queued: True once committed, False
        when the batch hit a version conflict (nothing of it was written); another error
        of the save is raised in every thread of the batch."""
        ticket = _Ticket(aggregates)
        with self._changed:
            self._queue.append(ticket)
        while True:
            with self._changed:
                while not ticket.done and self._saving:
                    self._changed.wait()
                if ticket.done:
                    return ticket.settle()
                self._saving = True  # this thread leads the next batch (its own ticket is queued)
                batch, self._queue = self._queue[: self._most], self._queue[self._most :]
            error: BaseException | None = None
            committed = False
            try:
                self._save(*[a for t in batch for a in t.aggregates])
                committed = True
            except self._conflict:
                committed = False
            except BaseException as failure:
                error = failure  # handed to every thread of the batch
            with self._changed:
                self.batches += 1
                self.commands += len(batch)
                for waiting in batch:
                    waiting.done, waiting.committed, waiting.error = True, committed, error
                self._saving = False
                self._changed.notify_all()


@dataclass
class _Ticket:
    aggregates: tuple[Any, ...]
    done: bool = False
    committed: bool = False
    error: BaseException | None = None

    def settle(self) -> bool:
        if self.error is not None:
            raise self.error
        return self.committed
