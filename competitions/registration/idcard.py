"""Resident identity card numbers (居民身份证号码, GB 11643-1999)."""

import functools
import re
from dataclasses import dataclass
from datetime import date

from stdnum import exceptions, numdb
from stdnum.cn import ric

from competitions.i18n import lazy_gettext as _l
from competitions.registration.sex import Sex


class InvalidIdNumber(ValueError):
    """The number is not a valid 18-character resident ID number; `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class IdentityNumber:
    number: str
    birth_date: date
    sex: Sex


def parse_id_number(raw: str, today: date | None = None) -> IdentityNumber:
    """Validate `raw` (spaces allowed, lower-case x accepted) and derive birth date and sex."""
    # Not ric.compact: its clean() maps full-width and mathematical digits (𝟏) to ASCII.
    number = re.sub(r"\s", "", raw or "")
    number = number[:17] + number[17:].replace("x", "X")
    if len(number) != 18:
        raise InvalidIdNumber(_l("An ID number has 18 characters; this one has %(n)d.",
                                 n=len(number)))
    # Only ASCII digits: str.isdigit() also accepts ① or ², which int() then refuses, and
    # normalising (NFKC) would quietly turn ① into 1 and store a number nobody typed.
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidIdNumber(_l("An ID number is 17 digits 0-9 followed by a digit or X; "
                                 "other characters, such as ① or full-width digits, are not "
                                 "accepted."))
    try:
        birth_date = ric.get_birth_date(number)
    except exceptions.ValidationError:
        raise InvalidIdNumber(_l("The birth date in this ID number (%(d)s) does not exist.",
                                 d=number[6:14])) from None
    if not date(1900, 1, 1) <= birth_date <= (today or date.today()):
        raise InvalidIdNumber(_l("The birth date in this ID number (%(d)s) is impossible.",
                                 d=birth_date.isoformat()))
    if number[17] != ric.calc_check_digit(number):
        raise InvalidIdNumber(_l("The check digit of this ID number is wrong."))
    region = _region_in_use_since(number[:6], birth_date.year)
    if region is None:
        raise InvalidIdNumber(_l("The region code in this ID number (%(c)s) is unknown.",
                                 c=number[:6]))
    if not region:
        raise InvalidIdNumber(_l("The region code in this ID number (%(c)s) was abolished "
                                 "before its birth date.", c=number[:6]))
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return IdentityNumber(number, birth_date, sex)


@functools.lru_cache(maxsize=4096)
def _region_in_use_since(code: str, year: int) -> bool | None:
    """Whether the region code was still in use in or after the birth year; None if unknown.

    Numbers carry the code of the place that issued them (from 1984 on), not of the birthplace
    at birth, so stdnum's get_birth_place, which wants the code to exist in the birth year,
    wrongly refuses e.g. 320102 (玄武区, from 1983) for everyone born before 1983.
    """
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    counties = [county for county in info.get("county", "").split(",") if county]
    if not counties:
        return None
    for county in counties:
        if not county.startswith("["):
            return True
        end = county[1:].split("]", 1)[0].partition("-")[2]
        if not end or int(end) >= year:
            return True
    return False
