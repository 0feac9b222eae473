"""The variables okno itself keeps in every case's data.

When a case opens, the engine puts its service, office and channel into the workflow's
data, where the model's expressions and connectors read them (a fee check asks the
treasury about ``service_code``), and what the catalog says of the service: its state fee,
its regulated term, its agency and its parameters. One process serves many services (all
of an agency's certificates, every municipal permit), and these are what make each run
its service's own: the fee asked, the agency named, the branch taken. They say what the
case is, so nothing from outside may set them: not ``openCase``'s data, not a task's data,
not a job's result (engine.input_checks.CASE_DATA refuses each, naming the field).
processes/README.md lists them for analysts."""

from __future__ import annotations

from typing import Any

from engine.catalog import Service
from engine.errors import FieldProblem

SERVICE_CODE = "service_code"  # the catalog code of the case's service
OFFICE = "office"  # the code of the office that holds the case
CHANNEL = "channel"  # how the application came: window, portal, terminal, …
STATE_FEE = "state_fee"  # the service's state fee in roubles (0: none)
TERM_DAYS = "term_days"  # the service's regulated term in working days
AGENCY = "agency"  # the body that provides the service
SERVICE_PARAMETERS = "service_parameters"  # the catalog's parameters of the service ({} if none)

RESERVED_VARIABLES = (SERVICE_CODE, OFFICE, CHANNEL, STATE_FEE, TERM_DAYS, AGENCY, SERVICE_PARAMETERS)


def service_variables(service: Service) -> dict[str, Any]:
    """What the catalog puts in a case of ``service``: the same for the engine opening a
    case and for ``okno run-model`` running a script once per catalog service."""
    return {
        SERVICE_CODE: service.code,
        STATE_FEE: service.fee,
        TERM_DAYS: service.term_days,
        AGENCY: service.agency,
        SERVICE_PARAMETERS: dict(service.parameters),
    }


def opening_variables(service: Service, office: str, channel: str) -> dict[str, Any]:
    """The reserved variables of a case as it opens, which its start event's data begins with."""
    return {**service_variables(service), OFFICE: office, CHANNEL: channel}


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
