"""Resident identity card numbers (居民身份证号码, GB 11643-1999)."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from stdnum import exceptions
from stdnum.cn import ric

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
    number = ric.compact(raw or "")
    if len(number) != 18:
        raise InvalidIdNumber(_l("An ID number has 18 characters; this one has %(n)d.",
                                 n=len(number)))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber(_l("An ID number is 17 digits followed by a digit or X."))
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
    try:
        ric.get_birth_place(number)
    except exceptions.ValidationError:
        raise InvalidIdNumber(_l("The region code in this ID number (%(c)s) is unknown.",
                                 c=number[:6])) from None
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return IdentityNumber(number, birth_date, sex)
