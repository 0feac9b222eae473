"""The state-fee payment check: asks the treasury's payment system (ГИС ГМП) whether the
fee for a case has been paid.

The gateway is an interface: production wires a client of the region's ГИС ГМП access
point; the demo wires a simulated treasury. A gateway that is down raises, and the job
is retried with backoff, then becomes an incident. With no gateway the check is left to
an external worker (activateJobs of type payment_check).

The model says how much is due (input ``amount``, the service's ``state_fee``): the fee
counts as paid only when at least that much is paid, so a 300 ₽ payment does not open a
service whose fee is 2,000 ₽. A model that names no amount (written before it could) takes
any payment, as it always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from engine.connectors import Connector, ConnectorCall, ConnectorError


class PaymentGateway(Protocol):
    def paid_amount(self, case_number: str, purpose: str, service: str, amount: int) -> int | None:
        """Roubles paid against the case's charge (its УИН) of ``amount`` roubles (0: the
        model did not say), or None when nothing is paid."""
        ...


def payment_check(gateway: PaymentGateway) -> Connector:
    def check(call: ConnectorCall) -> Mapping[str, Any]:
        due = amount_due(call.input)
        paid = gateway.paid_amount(
            call.case_number, str(call.input.get("purpose", "state_fee")), str(call.input.get("service", "")), due
        )
        enough = paid is not None and paid > 0 and paid >= due
        return {"fee_paid": enough, "fee_paid_amount": paid or 0}

    return check


def amount_due(job_input: Mapping[str, Any]) -> int:
    """The roubles the model asks for: a whole number ≥ 0 (a text of digits, as a constant
    input is written, counts); absent, 0. Anything else fails the attempt in words."""
    value = job_input.get("amount", 0)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConnectorError(f"payment_check: amount must be a whole number of roubles ≥ 0, got {value!r}")
    return value
