"""Unique resident ID numbers (GB 11643) for a million generated workers, without a set of
the numbers drawn so far: the k-th number of a region code is a bijection of k.

The 17-digit body is region (6) + birth date (8) + order (3), the check digit python-stdnum's.
For the k-th number of a region, with D the days in the birth range: the birth date is day
(k·P + offset) mod D (P prime to D, so a bijection of k mod D that scatters neighbours across
the range) and the order is 2·(k div D) + 1 for a man, + 2 for a woman (odd orders are men).
Two different k differ in k mod D, hence in the date, or in k div D, hence in the order; so a
region holds 499·D ≈ 7.6 million numbers before the order runs out of its three digits.
"""

from __future__ import annotations

from datetime import date, timedelta

from stdnum.cn import ric

STEP = 7919  # a prime; D below is not a multiple of it


class IdNumbers:
    """Draws distinct ID numbers per region code, with birth dates between `born_from` and
    `born_until`; numbers in `taken` (already stored) are skipped."""

    def __init__(self, born_from: date, born_until: date, *, offsets: dict[str, int] | None = None,
                 taken: set[str] | frozenset[str] = frozenset()):
        self.first = born_from
        self.days = (born_until - born_from).days + 1
        if self.days % STEP == 0:
            raise ValueError("choose a birth range whose length is not a multiple of STEP")
        self.offsets = offsets or {}
        self.taken = taken
        self.drawn: dict[str, int] = {}

    def draw(self, region: str, male: bool) -> str:
        while True:
            k = self.drawn.get(region, 0)
            self.drawn[region] = k + 1
            quotient, remainder = divmod(k, self.days)
            if quotient > 498:
                raise ValueError(f"region {region} has no ID numbers left")
            day = (remainder * STEP + self.offsets.get(region, 0)) % self.days
            birth = self.first + timedelta(days=day)
            order = 2 * quotient + (1 if male else 2)
            body = f"{region}{birth:%Y%m%d}{order:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.taken:
                return number


def birth_date_of(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
