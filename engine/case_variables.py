"""The variables okno itself keeps in every case's data.

When a case opens, the engine puts its service, office and channel into the workflow's
data, where the model's expressions and connectors read them (a fee check asks the
treasury about ``service_code``). They say what the case is, so nothing from outside may
set them: not ``openCase``'s data, not a task's data, not a job's result
(engine.input_checks.CASE_DATA refuses each, naming the field). processes/README.md lists
them for analysts."""

from __future__ import annotations

from engine.errors import FieldProblem

SERVICE_CODE = "service_code"  # the catalog code of the case's service
OFFICE = "office"  # the code of the office that holds the case
CHANNEL = "channel"  # how the application came: window, portal, terminal, …

RESERVED_VARIABLES = (SERVICE_CODE, OFFICE, CHANNEL)


def opening_variables(service: str, office: str, channel: str) -> dict[str, str]:
    """The reserved variables of a case as it opens, which its start event's data begins with."""
    return {SERVICE_CODE: service, OFFICE: office, CHANNEL: channel}


def reserved_problems(value: object, field: str) -> list[FieldProblem]:
    """A problem for each reserved variable that ``value`` (data for the case, sent as
    ``field``) would set."""
    if not isinstance(value, dict):
        return []
    return [
        FieldProblem(
            f"{field}.{name}",
            f"{name} is set by okno when the case opens and cannot be changed "
            f"(reserved: {', '.join(RESERVED_VARIABLES)}); use another name",
        )
        for name in RESERVED_VARIABLES
        if name in value
    ]
