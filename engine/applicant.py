"""An applicant's details, checked and put in one written form before anything records them.

A case or a booking keeps what a person handed in once and what staff, notifications and
agencies rely on afterwards (an SMS goes to the phone, an interagency request carries the
СНИЛС), so a wrong value is refused when it is handed in, every problem at once, each
with its field and a code a front-end can branch on. What passes is stored normalised:
the phone in E.164, the e-mail as its library normalises it, the СНИЛС as 000-000-000 00,
the passport's series and number as digits, the name with single spaces.

The rules:
- details given at all are a person's, and a person has a name: ``full_name`` is required
  (an empty applicant — an engine test, a booking without contact — stays allowed);
- an optional field left blank is taken as not given (forms send "" for an empty box);
- the birth date is ISO 8601 (YYYY-MM-DD), not after the command's day — the engine has no
  clock of its own, so the command's ``at`` is "today" — and at most 130 years before it;
- a phone is any valid number, Russian when written without a country code (+7 or 8):
  foreign citizens apply too (migration registration);
- the Russian internal passport is two fields, a 4-digit series and a 6-digit number, as
  every registry stores it; ``document`` stays free text for the other identity
  documents (a foreign passport, a birth certificate) and old integrations.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from engine.errors import FieldProblem, InputRefused
from engine.personal_data import SEALED_FIELDS
from engine.snils import formatted, snils_problem

MAX_NAME = 200
MAX_AGE_YEARS = 130  # the oldest person on record lived 122 years
_NAME_MARKS = frozenset(" -'’.")
_SPACES = re.compile(r"\s+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DIGITS_SPACED = re.compile(r"[\d ]+")
# UTC+14 is the first place to reach a new day: a date after the day there is in the future everywhere.
_EARLIEST_ZONE = timedelta(hours=14)


class Refused(Exception):
    """One field's problem, with its code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def full_name(value: str, at: datetime) -> str:
    name = _SPACES.sub(" ", value).strip()
    if not name:
        raise Refused("blank", "must not be blank")
    if len(name) > MAX_NAME:
        raise Refused("too_long", f"must be at most {MAX_NAME} characters, not {len(name)}")
    odd = next((c for c in name if not (_letter(c) or c in _NAME_MARKS)), None)
    if odd is not None or not any(c.isalpha() for c in name):
        raise Refused("not_a_name", "must be a person's name: letters, spaces, hyphens, apostrophes and dots")
    return name


def _letter(char: str) -> bool:
    # A combining mark is part of a letter written in two code points (й as и + ˘).
    return char.isalpha() or unicodedata.category(char).startswith("M")


def email(value: str, at: datetime) -> str:
    try:
        # No DNS when a case opens: deliverability is the mail system's business, and a
        # command must not depend on the network.
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise Refused("invalid_email", f"is not an e-mail address ({str(error).rstrip('.')})") from None


def phone(value: str, at: datetime) -> str:
    try:
        number = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Refused("invalid_phone", "must be a phone number, such as +7 904 123-45-67 or 8 (4742) 22-33-44")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def birth_date(value: str, at: datetime) -> str:
    text = value.strip()
    try:
        born = date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
    except ValueError:
        born = None
    if born is None:
        raise Refused("invalid_date", "must be a date written YYYY-MM-DD (ISO 8601), such as 1990-12-31")
    today = _latest_today(at)
    if born > today:
        raise Refused("date_in_future", f"is after the day the request was made ({today.isoformat()})")
    if born < _years_before(today, MAX_AGE_YEARS):
        raise Refused("implausible_age", f"makes the applicant older than {MAX_AGE_YEARS} years")
    return born.isoformat()


def _latest_today(at: datetime) -> date:
    utc = at.astimezone(UTC) if at.tzinfo is not None else at
    return (utc + _EARLIEST_ZONE).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def snils(value: str, at: datetime) -> str:
    problem = snils_problem(value)
    if problem is not None:
        raise Refused("invalid_snils", problem)
    return formatted(value)


def passport_series(value: str, at: datetime) -> str:
    return _digits(value, 4, "series", "invalid_passport_series")


def passport_number(value: str, at: datetime) -> str:
    return _digits(value, 6, "number", "invalid_passport_number")


def _digits(value: str, count: int, what: str, code: str) -> str:
    digits = value.replace(" ", "")
    if not _DIGITS_SPACED.fullmatch(value) or not digits.isascii() or len(digits) != count:
        raise Refused(code, f"must be the passport's {what}: {count} digits")
    return digits


def document(value: str, at: datetime) -> str:
    return _SPACES.sub(" ", value).strip()


Check = Callable[[str, datetime], str]
CHECKS: Mapping[str, Check] = {
    "full_name": full_name,
    "document": document,
    "phone": phone,
    "email": email,
    "birth_date": birth_date,
    "snils": snils,
    "passport_series": passport_series,
    "passport_number": passport_number,
}
assert set(CHECKS) == set(SEALED_FIELDS), "every sealed field has its check"


def normalised(applicant: Mapping[str, str], at: datetime, *, field: str = "applicant") -> dict[str, str]:
    """The applicant as it is stored, or :class:`InputRefused` naming every problem found
    (``applicant.birth_date`` …, each with its code)."""
    if not applicant:
        return {}
    found: list[FieldProblem] = []
    result: dict[str, str] = {}
    for name, value in applicant.items():
        check = CHECKS.get(name)
        if check is None:
            known = ", ".join(SEALED_FIELDS)
            found.append(FieldProblem(f"{field}.{name}", f"is not an applicant's field; known: {known}", "unknown"))
            continue
        if name != "full_name" and not value.strip():
            continue  # an optional field left blank: not given
        try:
            result[name] = check(value, at)
        except Refused as refused:
            found.append(FieldProblem(f"{field}.{name}", refused.message, refused.code))
    if "full_name" not in applicant:
        found.insert(
            0, FieldProblem(f"{field}.full_name", "is required when an applicant's details are given", "required")
        )
    for given, missing in (("passport_series", "passport_number"), ("passport_number", "passport_series")):
        if given in result and not applicant.get(missing, "").strip():
            found.append(FieldProblem(f"{field}.{missing}", f"is required with the passport's {given[9:]}", "required"))
    if found:
        raise InputRefused(found)
    return result
