"""СНИЛС, the insurance number of an individual account: eleven digits, nine of the number
and two of its check number, written ``000-000-000 00``.

python-stdnum knows Russia's ИНН and ОГРН but not СНИЛС, so the published algorithm is
written out here, as the Pension Fund (now the Social Fund, СФР) publishes it and as
ru.wikipedia.org describes it («Страховой номер индивидуального лицевого счёта»):

- each of the nine digits is weighted by its place counted from the end (9, 8, …, 1) and
  the products are summed;
- a sum below 100 is the check number; 100 and 101 give 00; a larger sum is taken modulo
  101 and that remainder is read the same way (100 gives 00);
- the check is made only for numbers above 001-001-998 (the first ones were handed out
  before the rule).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]")
UNCHECKED_UP_TO = 1_001_998  # 001-001-998: numbers up to it carry no check number


def check_number(number: str) -> int:
    """The check number (0–99) of a nine-digit number."""
    total = sum(int(digit) * weight for digit, weight in zip(number, range(9, 0, -1), strict=True))
    remainder = total % 101
    return 0 if remainder == 100 else remainder


def snils_problem(value: str) -> str | None:
    """What makes ``value`` not a СНИЛС (None: nothing)."""
    digits = _SEPARATORS.sub("", value)
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 11:
        return "must be a СНИЛС: 11 digits, written 000-000-000 00"
    number, check = digits[:9], int(digits[9:])
    if int(number) > UNCHECKED_UP_TO and check_number(number) != check:
        return "is not a valid СНИЛС: its check number does not match (a digit is wrong)"
    return None


def formatted(value: str) -> str:
    """A СНИЛС as it is written and stored: ``000-000-000 00``."""
    d = _SEPARATORS.sub("", value)
    return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:11]}"
