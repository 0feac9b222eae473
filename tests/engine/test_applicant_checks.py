"""An applicant's details (engine.applicant, engine.snils): each field's rule, every problem
at once with its code, the values stored normalised, the birth date judged against the
command's own time (never a clock), and the СНИЛС check number as published."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine.applicant import normalised
from engine.errors import InputRefused
from engine.snils import UNCHECKED_UP_TO, check_number, formatted, snils_problem
from okno.demo.citizens import applicant as citizen

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NAME = {"full_name": "Иванов Иван Иванович"}


def problems(applicant: dict[str, str], at: datetime = AT) -> list[tuple[str, str | None]]:
    with pytest.raises(InputRefused) as refused:
        normalised(applicant, at)
    return [(p.field, p.code) for p in refused.value.problems]


# -- СНИЛС -------------------------------------------------------------------------------
CHECKED_NUMBERS = st.integers(UNCHECKED_UP_TO + 1, 999_999_999).map(lambda n: f"{n:09d}")


def valid_snils(number: str) -> str:
    return f"{number}{check_number(number):02d}"


def weighted_sum(number: str) -> int:
    return sum(int(d) * w for d, w in zip(number, range(9, 0, -1), strict=True))


def test_the_published_example_and_the_rules_for_100_101_and_above() -> None:
    assert weighted_sum("112233445") == 95  # 1·9+1·8+2·7+2·6+3·5+3·4+4·3+4·2+5·1
    assert snils_problem("112-233-445 95") is None
    assert check_number("112233445") == 95  # below 100: the sum itself
    assert (weighted_sum("911000101"), check_number("911000101")) == (100, 0)
    assert (weighted_sum("911000102"), check_number("911000102")) == (101, 0)
    assert (weighted_sum("999999999"), check_number("999999999")) == (405, 405 % 101)  # above 101: modulo 101
    assert (weighted_sum("999999989"), check_number("999999989")) == (403, 0)  # 403 % 101 = 100: 00


def test_numbers_up_to_001_001_998_carry_no_check() -> None:
    assert snils_problem("001-001-998 00") is None
    assert snils_problem("001-001-998 47") is None
    assert snils_problem("001-001-999 00") is not None


@given(CHECKED_NUMBERS)
def test_a_generated_snils_with_its_check_number_passes_in_any_written_form(number: str) -> None:
    digits = valid_snils(number)
    assert snils_problem(digits) is None
    assert snils_problem(formatted(digits)) is None
    assert formatted(digits) == f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


@given(CHECKED_NUMBERS, st.integers(0, 10), st.integers(1, 9))
def test_any_single_digit_changed_fails(number: str, place: int, shift: int) -> None:
    digits = valid_snils(number)
    changed = digits[:place] + str((int(digits[place]) + shift) % 10) + digits[place + 1 :]
    # Where the published rule itself cannot tell, and nothing can: a number moved into the
    # unchecked range, or the two sums that share the check number 00 (remainders 0 and 100).
    assume(int(changed[:9]) > UNCHECKED_UP_TO)
    remainders = {weighted_sum(n) % 101 for n in (digits[:9], changed[:9])}
    assume(remainders != {0, 100})
    assert snils_problem(changed) is not None


def test_the_one_blind_spot_of_the_published_rule_is_known() -> None:
    """Sums of 100 and 101 both give 00, so that one change in the last digit passes: the
    algorithm as published, not a bug of ours."""
    assert valid_snils("911000101") == "91100010100"
    assert snils_problem("911-000-102 00") is None  # the last digit of the number changed: undetectable


@pytest.mark.parametrize("value", ["1", "112-233-445 9", "112-233-445 955", "ABC-DEF-GHI JK", "１１２２３３４４５９５"])
def test_a_snils_that_is_not_eleven_digits_is_refused(value: str) -> None:
    assert snils_problem(value) is not None


# -- the applicant as a whole ----------------------------------------------------------------
def test_every_problem_is_reported_at_once_each_with_its_field_and_code() -> None:
    found = problems(
        {
            "full_name": " ",
            "email": "not-an-email",
            "birth_date": "31.12.1999",
            "snils": "1",
            "phone": "abc",
            "passport_series": "42",
            "passport_number": "12345a",
            "nickname": "x",
        }
    )
    assert found == [
        ("applicant.full_name", "blank"),
        ("applicant.email", "invalid_email"),
        ("applicant.birth_date", "invalid_date"),
        ("applicant.snils", "invalid_snils"),
        ("applicant.phone", "invalid_phone"),
        ("applicant.passport_series", "invalid_passport_series"),
        ("applicant.passport_number", "invalid_passport_number"),
        ("applicant.nickname", "unknown"),
    ]


def test_what_passes_is_stored_normalised() -> None:
    assert normalised(
        {
            "full_name": "  Иванов   И. И.",
            "phone": "8 (4742) 22-33-44",
            "email": "Ivanov@Mail.RU",
            "birth_date": "1990-02-28",
            "snils": "11223344595",
            "passport_series": "42 10",
            "passport_number": "123456",
            "document": "  вид на жительство 82 № 1234567 ",
        },
        AT,
    ) == {
        "full_name": "Иванов И. И.",
        "phone": "+74742223344",
        "email": "Ivanov@mail.ru",
        "birth_date": "1990-02-28",
        "snils": "112-233-445 95",
        "passport_series": "4210",
        "passport_number": "123456",
        "document": "вид на жительство 82 № 1234567",
    }


def test_a_foreign_number_with_its_country_code_is_a_phone_too() -> None:
    assert normalised({**NAME, "phone": "+998 90 123 45 67"}, AT)["phone"] == "+998901234567"


@pytest.mark.parametrize(
    "name", ["Ян", "Анна-Мария Д'Артаньян", "O’Brien Sean", "Мухаммад ибн Али", "Йо\u0306ко", "Łukasz Żółć"]
)
def test_names_people_have_pass(name: str) -> None:
    assert normalised({"full_name": name}, AT)["full_name"] == name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "blank"),
        ("\t ", "blank"),
        ("12345", "not_a_name"),
        ("Иванов <script>", "not_a_name"),
        ("--", "not_a_name"),
        ("Я" * 201, "too_long"),
    ],
)
def test_what_is_not_a_name_is_refused(name: str, code: str) -> None:
    assert problems({"full_name": name}) == [("applicant.full_name", code)]


def test_details_without_a_name_are_refused_but_no_details_at_all_are_not() -> None:
    assert problems({"phone": "+7 904 111-22-33"}) == [("applicant.full_name", "required")]
    assert normalised({}, AT) == {}


def test_a_blank_optional_field_is_not_given() -> None:
    assert normalised({**NAME, "email": "", "phone": "  "}, AT) == NAME


def test_a_passport_needs_both_its_series_and_its_number() -> None:
    assert problems({**NAME, "passport_number": "123456"}) == [("applicant.passport_series", "required")]
    assert problems({**NAME, "passport_series": "4210", "passport_number": ""}) == [
        ("applicant.passport_number", "required")
    ]


def test_the_birth_date_is_judged_against_the_commands_time_not_a_clock() -> None:
    assert normalised({**NAME, "birth_date": "2026-11-02"}, AT)["birth_date"] == "2026-11-02"  # born today
    assert problems({**NAME, "birth_date": "2026-11-04"}) == [("applicant.birth_date", "date_in_future")]
    later = datetime(2026, 11, 5, tzinfo=UTC)
    assert normalised({**NAME, "birth_date": "2026-11-04"}, later)["birth_date"] == "2026-11-04"
    # 10:00 UTC is already the 3rd at UTC+14, the first place to reach a new day: it bounds both ends.
    assert normalised({**NAME, "birth_date": "2026-11-03"}, AT)
    assert problems({**NAME, "birth_date": "1896-11-02"}) == [("applicant.birth_date", "implausible_age")]
    assert normalised({**NAME, "birth_date": "1896-11-03"}, AT)


@pytest.mark.parametrize("value", ["31.12.1999", "19991231", "1999-02-30", "1999-2-3", "1999-12-31T00:00", "вчера"])
def test_a_birth_date_not_written_yyyy_mm_dd_is_refused(value: str) -> None:
    assert problems({**NAME, "birth_date": value}) == [("applicant.birth_date", "invalid_date")]


def test_the_demos_and_the_benchs_applicants_pass_the_checks() -> None:
    rng = random.Random(2026)
    for _ in range(500):
        details = citizen(rng)
        assert normalised(details, AT)["snils"] == details["snils"]
