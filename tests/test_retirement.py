"""Statutory retirement age under the 2024 gradual-delay decision."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.registration.retirement import (
    FEMALE_50,
    FEMALE_55,
    MALE,
    retirement_age_months,
    retirement_date,
)
from competitions.registration.sex import Sex


@pytest.mark.parametrize("birth, scheme, years, months", [
    (date(1964, 12, 31), MALE, 60, 0),      # born before 1965: unchanged
    (date(1965, 1, 1), MALE, 60, 1),        # first four months of 1965: one month later
    (date(1965, 4, 30), MALE, 60, 1),
    (date(1965, 5, 1), MALE, 60, 2),
    (date(1976, 12, 31), MALE, 63, 0),      # 144 months later: capped at 63
    (date(1990, 6, 1), MALE, 63, 0),
    (date(1969, 12, 1), FEMALE_55, 55, 0),
    (date(1970, 1, 1), FEMALE_55, 55, 1),
    (date(1975, 1, 1), FEMALE_50, 50, 1),   # every two months for the 50 base
    (date(1975, 3, 1), FEMALE_50, 50, 2),
    (date(1984, 12, 1), FEMALE_50, 55, 0),  # 120 months later: capped at 55
])
def test_retirement_age_follows_the_published_schedule(birth, scheme, years, months):
    assert retirement_age_months(birth, scheme) == years * 12 + months


def test_retirement_date_adds_the_age_to_the_birth_date():
    assert retirement_date(date(1965, 1, 15), Sex.MALE) == date(2025, 2, 15)
    assert retirement_date(date(1970, 2, 10), Sex.FEMALE, female_base=55) == date(2025, 3, 10)
    assert retirement_date(date(1975, 1, 5), Sex.FEMALE, female_base=50) == date(2025, 2, 5)


def test_month_end_birthdays_land_on_the_last_day_of_a_shorter_month():
    # Born November 1965: 60 years 3 months, so 2026-02-30, which does not exist.
    assert retirement_date(date(1965, 11, 30), Sex.MALE) == date(2026, 2, 28)


@given(st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31)),
       st.sampled_from([MALE, FEMALE_55, FEMALE_50]))
def test_retirement_age_is_within_base_and_cap_and_never_decreases(birth, scheme):
    months = retirement_age_months(birth, scheme)
    assert scheme.base_years * 12 <= months <= scheme.base_years * 12 + scheme.max_delay_months
    later = date(birth.year + 1, birth.month, 1)
    assert retirement_age_months(later, scheme) >= months
