"""Resident ID numbers (身份证): checksum, birth date, sex, region; no app needed."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from competitions.registration.idcard import InvalidIdNumber, parse_id_number
from competitions.registration.sex import Sex
from tests.factories import valid_id_number

TODAY = date(2026, 6, 1)
# Codes still in use today (some created only in the 1980s), so any birth date goes with them.
CURRENT_REGIONS = ["110101", "310101", "320102", "440106", "510104"]


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def test_valid_number_yields_birth_date_and_sex():
    identity = parse_id_number("320102199005170230", today=TODAY)
    assert identity.number == "320102199005170230"
    assert identity.birth_date == date(1990, 5, 17)
    assert identity.sex is Sex.MALE  # 17th digit 3 is odd


def test_even_seventeenth_digit_means_female():
    number = valid_id_number(male=False)
    assert parse_id_number(number, today=TODAY).sex is Sex.FEMALE


def test_surrounding_whitespace_is_ignored():
    identity = parse_id_number(" 320102199005170230\n", today=TODAY)
    assert identity.number == "320102199005170230"


def test_lower_case_x_check_digit_is_accepted_and_normalised():
    number = "32010219900517029X"
    assert ric.calc_check_digit(number) == "X"
    identity = parse_id_number(number.lower(), today=TODAY)
    assert identity.number == number


def test_wrong_check_digit_is_refused():
    with pytest.raises(InvalidIdNumber, match="check digit"):
        parse_id_number("320102199005170231", today=TODAY)


def test_impossible_date_is_refused():
    with pytest.raises(InvalidIdNumber, match="19900230"):
        parse_id_number(with_check_digit("32010219900230023"), today=TODAY)


def test_future_birth_date_is_refused():
    tomorrow = TODAY + timedelta(days=1)
    number = valid_id_number(birth=tomorrow)
    with pytest.raises(InvalidIdNumber, match="impossible"):
        parse_id_number(number, today=TODAY)


def test_birth_date_today_is_accepted():
    number = valid_id_number(birth=TODAY)
    assert parse_id_number(number, today=TODAY).birth_date == TODAY


def test_birth_date_before_1900_is_refused():
    number = valid_id_number(birth=date(1899, 12, 31), region="110101")
    with pytest.raises(InvalidIdNumber, match="impossible"):
        parse_id_number(number, today=TODAY)


@pytest.mark.parametrize("length", [17, 19])
def test_wrong_length_is_refused(length):
    number = (valid_id_number() + "1")[:length]
    with pytest.raises(InvalidIdNumber, match=f"this one has {length}"):
        parse_id_number(number, today=TODAY)


@pytest.mark.parametrize("raw", [None, ""])
def test_empty_number_is_refused(raw):
    with pytest.raises(InvalidIdNumber, match="this one has 0"):
        parse_id_number(raw, today=TODAY)


@pytest.mark.parametrize("number", ["3201A2199005170230", "32010219900517023Y",
                                    "X20102199005170230"])
def test_non_digit_body_is_refused(number):
    with pytest.raises(InvalidIdNumber, match="17 digits"):
        parse_id_number(number, today=TODAY)


def test_unknown_region_code_is_refused():
    number = valid_id_number(region="990000")
    with pytest.raises(InvalidIdNumber, match="990000"):
        parse_id_number(number, today=TODAY)


def test_region_code_created_after_birth_is_accepted():
    """The code is the issuing office's: 320102 (玄武区, from 1983) is real for the born-1960."""
    number = valid_id_number(birth=date(1960, 3, 1), region="320102")
    assert parse_id_number(number, today=TODAY).birth_date == date(1960, 3, 1)


def test_region_code_abolished_before_birth_is_refused():
    number = valid_id_number(birth=date(1990, 3, 1), region="110110")  # 燕山区, until 1986
    with pytest.raises(InvalidIdNumber, match="abolished"):
        parse_id_number(number, today=TODAY)


def test_region_code_abolished_after_birth_is_accepted():
    number = valid_id_number(birth=date(1980, 3, 1), region="110110")
    assert parse_id_number(number, today=TODAY).birth_date == date(1980, 3, 1)


births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@given(birth=births, order=st.integers(0, 999), region=st.sampled_from(CURRENT_REGIONS))
def test_generated_numbers_round_trip(birth, order, region):
    number = with_check_digit(f"{region}{birth:%Y%m%d}{order:03d}")
    identity = parse_id_number(number, today=TODAY)
    assert identity.number == number
    assert identity.birth_date == birth
    assert identity.sex is (Sex.MALE if order % 2 else Sex.FEMALE)


@given(birth=births, order=st.integers(0, 999), region=st.sampled_from(CURRENT_REGIONS),
       position=st.integers(0, 16), shift=st.integers(1, 9))
def test_any_single_digit_change_is_detected(birth, order, region, position, shift):
    number = with_check_digit(f"{region}{birth:%Y%m%d}{order:03d}")
    altered_digit = str((int(number[position]) + shift) % 10)
    altered = number[:position] + altered_digit + number[position + 1:]
    with pytest.raises(InvalidIdNumber):
        parse_id_number(altered, today=TODAY)
