"""What a citizen may do without a token, on okno's own pages or any portal that calls the
API anonymously: book a window, then look the booking up, move or cancel it with the code
and the PIN the booking answered; rate a visit with the case's number and PIN (track needs
them too, api.tracking).

A booking's code is OFFICE-YYYYMMDD-NNN, easy to guess, so the code alone proves nothing:
the PIN does, and its attempts are counted per client and code BEFORE it is checked, in the
same side table and window as the PINs of `track` (engine.pin_attempts). An anonymous
booking comes from the portal channel, leaves a way to reach the citizen (a phone or an
e-mail) and counts against its client's quota, so one address cannot take an office's day.
With a token, the token's role decides as before; these rules are for the anonymous only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from api.tracking import PIN_ATTEMPTS, PIN_DIGITS, PIN_LOCK, TooManyAttempts, WrongPin
from engine.applicant import normalised as applicant_details
from engine.errors import FieldProblem, InputRefused, InvalidInput
from engine.pin_attempts import PinAttempts
from engine.reception_desk import Reception

CITIZEN = "citizen/anonymous"  # the actor an anonymous citizen's command is recorded under
CITIZEN_CHANNEL = "portal"  # without a token a booking comes from the portal, never a window
BOOKINGS_PER_WINDOW = 5  # anonymous bookings one client may make in PIN_LOCK
BOOKING_NO_MATCH = "the PIN does not match the booking's code, or there is no such booking: check both on your slip"


class TooManyBookings(InvalidInput):
    code = "too_many_bookings"


def check_booking_pin(
    attempts: PinAttempts, reception: Reception, code: str, pin: str, now: datetime, client: str
) -> None:
    """Let an anonymous caller at the booking ``code`` only with its PIN."""
    if len(pin) != PIN_DIGITS or not pin.isascii() or not pin.isdigit():
        raise InvalidInput(
            f"pin: the PIN is the {PIN_DIGITS} digits printed with the booking's code",
            problems=[FieldProblem("pin", f"the PIN is the {PIN_DIGITS} digits printed with the booking's code")],
        )
    window = attempts.count(client, f"appointment:{code}", now)
    if window.attempts > PIN_ATTEMPTS:
        raise TooManyAttempts(
            f"too many attempts on this booking: try again after "
            f"{(window.started + PIN_LOCK).isoformat(timespec='seconds')}"
        )
    if not reception.check_pin(code, pin):
        raise WrongPin(BOOKING_NO_MATCH, field="pin")
    attempts.forget(client, f"appointment:{code}")


def check_anonymous_booking(
    attempts: PinAttempts, channel: str, contact: Mapping[str, str], now: datetime, client: str
) -> None:
    """An anonymous booking: from the portal, with a name and a way to reach the citizen
    (``contact`` as the engine names an applicant's fields), within its client's quota.
    Every problem of the input is named at once, and checked before the quota counts, so a
    mistyped phone does not use up a citizen's bookings."""
    problems: list[FieldProblem] = []
    if channel != CITIZEN_CHANNEL:
        problems.append(FieldProblem("channel", f"without a token a booking comes from the {CITIZEN_CHANNEL}"))
    if not contact.get("full_name", "").strip():
        problems.append(FieldProblem("applicant.full_name", "is required to book without a token", "required"))
    if not contact.get("phone", "").strip() and not contact.get("email", "").strip():
        problems.append(
            FieldProblem("applicant.phone", "give a phone or an e-mail to book without a token", "required")
        )
    try:
        applicant_details(contact, now)
    except InputRefused as refused:
        problems += [p for p in refused.problems if p.field not in {q.field for q in problems}]
    if problems:
        raise InputRefused(problems)
    window = attempts.count(client, "bookings", now)
    if window.attempts > BOOKINGS_PER_WINDOW:
        raise TooManyBookings(
            f"at most {BOOKINGS_PER_WINDOW} bookings without a token from one address in "
            f"{int(PIN_LOCK.total_seconds() // 60)} minutes: try again after "
            f"{(window.started + PIN_LOCK).isoformat(timespec='seconds')}"
        )
