"""Who works in an office, and which of its user tasks each of them may work.

Roles are plain names, as models write them (candidate groups, lanes) and as tokens carry
them. A task's role is its candidate groups, comma-joined (engine/bpmn/roles.py). As in
Camunda, candidate groups decide who claims and completes: staff whose role is among them.
Supervisors manage claims (they reassign and release anyone's) but work a task only when
its groups name them, so a qualified step (an expert's legal examination) is never done by
someone outside its group without a recorded reassignment.
"""

from __future__ import annotations

OPERATOR = "operator"
EXPERT = "expert"
SUPERVISOR = "supervisor"
STAFF_ROLES = (OPERATOR, EXPERT, SUPERVISOR)  # roles tied to one office


def task_groups(task_role: str | None) -> list[str]:
    """The groups a task's role names."""
    return [group.strip() for group in (task_role or "").split(",") if group.strip()]


def may_work(task_role: str | None, role: str) -> bool:
    """Whether staff of ``role`` may claim and complete a task whose model gives it
    ``task_role``. A task with no role, or whose groups name no staff role okno issues
    tokens for (a foreign model's ``accountancy``), is open to all staff of its office:
    refusing everyone would strand it (validation warns about a task with no role)."""
    staff_groups = [group for group in task_groups(task_role) if group in STAFF_ROLES]
    return not staff_groups or role in staff_groups
