"""The state-fee payment check: asks the treasury's payment system (ГИС ГМП) whether the
fee for a case has been paid.

The gateway is an interface: production wires a client of the region's ГИС ГМП access
point; the demo wires a simulated treasury. A gateway that is down raises, and the job
is retried with backoff, then becomes an incident. With no gateway the check is left to
an external worker (activateJobs of type payment_check).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from engine.connectors import Connector, ConnectorCall


class PaymentGateway(Protocol):
    def paid_amount(self, case_number: str, purpose: str, service: str) -> int | None:
        """Roubles paid against the case's charge (its УИН), or None when nothing is paid."""
        ...


def payment_check(gateway: PaymentGateway) -> Connector:
    def check(call: ConnectorCall) -> Mapping[str, Any]:
        amount = gateway.paid_amount(
            call.case_number, str(call.input.get("purpose", "state_fee")), str(call.input.get("service", ""))
        )
        return {"fee_paid": amount is not None and amount > 0, "fee_paid_amount": amount or 0}

    return check
