"""Statutory retirement age under the 2024 gradual-delay decision (effective 2025-01-01).

Men (base 60) and women whose base was 55: one month later for every four months of birth from
January 1965 / January 1970, up to 63 and 58. Women whose base was 50: one month later for every
two months of birth from January 1975, up to 55.
"""

from dataclasses import dataclass
from datetime import date

from competitions.registration.sex import Sex


@dataclass(frozen=True)
class RetirementScheme:
    base_years: int
    first_delayed_birth_year: int
    months_per_step: int
    max_delay_months: int


MALE = RetirementScheme(60, 1965, 4, 36)
FEMALE_55 = RetirementScheme(55, 1970, 4, 36)
FEMALE_50 = RetirementScheme(50, 1975, 2, 60)


def scheme_for(sex: Sex, female_base: int = 55) -> RetirementScheme:
    if sex is Sex.MALE:
        return MALE
    return FEMALE_50 if female_base == 50 else FEMALE_55


def retirement_age_months(birth: date, scheme: RetirementScheme) -> int:
    """The statutory retirement age in months for someone born on `birth`."""
    months_since_start = (birth.year - scheme.first_delayed_birth_year) * 12 + birth.month - 1
    if months_since_start < 0:
        delay = 0
    else:
        delay = min(scheme.max_delay_months, months_since_start // scheme.months_per_step + 1)
    return scheme.base_years * 12 + delay


def retirement_date(birth: date, sex: Sex, female_base: int = 55) -> date:
    """The first day on which the person has reached statutory retirement age."""
    months = birth.month - 1 + retirement_age_months(birth, scheme_for(sex, female_base))
    year, month = birth.year + months // 12, months % 12 + 1
    day = min(birth.day, _days_in_month(year, month))
    return date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days
