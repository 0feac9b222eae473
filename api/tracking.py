"""A citizen's `track`: a case's status by its number and the PIN on the receipt.

The edge guards it: each client (an address, a token's subject, the console) may try
PIN_ATTEMPTS PINs on a number per window, counted in the store's side table
(engine.pin_attempts) BEFORE the PIN is checked; another client is not affected. An
unknown number is counted and answered exactly as a wrong PIN is, so a caller cannot
learn which numbers exist. The status itself is a read model's (projections.case_queries).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.application import Engine, schema_ready
from engine.case import case_id_for
from engine.errors import FieldProblem, InvalidInput
from engine.pin_attempts import PinAttempts
from projections.case_queries import CaseStatus, case_status
from projections.reader import Reader

PIN_ATTEMPTS = 5  # PINs one client may try on one number in a window
PIN_LOCK = timedelta(minutes=15)  # the window
MAX_NUMBER_LENGTH = 64  # a case number is far shorter; a longer one is refused before anything is written
PIN_DIGITS = 6
NO_MATCH = "the PIN does not match the case number, or there is no such case: check both on your receipt"
CLI_CLIENT = "cli"  # who `okno track` counts as: someone at the server's own console


class WrongPin(InvalidInput):
    """An unknown number and a wrong PIN are one answer: a caller cannot learn which numbers exist."""

    code = "wrong_pin"


class TooManyAttempts(InvalidInput):
    code = "too_many_attempts"


def _refused(argument: str, problem: str) -> InvalidInput:
    """The message names the argument (`okno track` prints it); the field names it for the API."""
    return InvalidInput(f"{argument}: {problem}", problems=[FieldProblem(argument, problem)])


class Tracking:
    """The PIN gate in front of the case status read model."""

    def __init__(self, engine: Engine, reader: Reader) -> None:
        self.engine, self.reader = engine, reader
        self.attempts = PinAttempts(reader.projector.datastore, reader.projector.dialect, PIN_LOCK)
        if engine.config.creates_tables:  # else `okno migrate` made it (a writer role may not create)
            schema_ready(self.attempts.create)

    def track(self, number: str, pin: str, now: datetime, client: str) -> CaseStatus:
        if not number or len(number) > MAX_NUMBER_LENGTH or not number.isprintable():
            raise _refused("number", f"a case number is 1 to {MAX_NUMBER_LENGTH} printable characters")
        if len(pin) != PIN_DIGITS or not pin.isascii() or not pin.isdigit():
            raise _refused("pin", f"the PIN is the {PIN_DIGITS} digits printed on the receipt")
        window = self.attempts.count(client, number, now)
        if window.attempts > PIN_ATTEMPTS:
            raise TooManyAttempts(
                f"too many attempts on this number: try again after "
                f"{(window.started + PIN_LOCK).isoformat(timespec='seconds')}"
            )
        found = case_status(self.reader, number)
        # The PIN is checked for unknown numbers too: both answers take the same work.
        matches = self.engine.vault.check_pin(case_id_for(number), pin)
        if found is None or not matches:
            raise WrongPin(NO_MATCH)
        self.attempts.forget(client, number)  # the right PIN: this client's count starts again
        return found
