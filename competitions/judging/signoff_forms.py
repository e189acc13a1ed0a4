"""Forms for the chief judge's pages: reasons, corrected marks, notes on flagged panels, time
used and penalties.

Each row of the entry page has its own form, told apart by a prefix built from the ids in its
URL (`return_prefix(sheet_id)` …), so a posted form is read back with the same prefix.
"""

import re

from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.judging.forms import finite

MAX_MINUTES = 6000  # 100 hours: far beyond any practical task, well inside an integer column
_MM_SS = re.compile(r"(\d{1,5})[:：](\d{1,2})", re.ASCII)
_WHOLE = re.compile(r"\d{1,5}", re.ASCII)
NOT_A_TIME = _l("Type whole minutes, or the time as mm:ss (e.g. 58:30).")


def _reason(label=_l("Reason")) -> TextAreaField:
    # Blank reasons are refused by the service, with the message every page shares.
    return TextAreaField(label, validators=[Length(max=1000)],
                         render_kw={"rows": 2, "maxlength": 1000})


def _mark(label) -> DecimalField:
    return DecimalField(label, places=None, validators=[InputRequired(), finite],
                        render_kw={"inputmode": "decimal", "size": 6})


class ReasonForm(Form):
    """Reopening the event, returning a sheet, withdrawing a penalty."""

    reason = _reason()


class CorrectMarkForm(Form):
    """One judge's mark, or one imported score, changed by the chief judge."""

    value = _mark(_l("New mark"))
    reason = _reason()


class AcceptFlagForm(Form):
    """A flagged panel's marks let stand, with what the panel discussed."""

    # A blank note is refused by the service (judging.flags.require_note).
    note = TextAreaField(_l("What the panel discussed"), validators=[Length(max=1000)],
                         render_kw={"rows": 2, "maxlength": 1000})


class TimeUsedError(ValueError):
    def __init__(self, field: str, message):
        super().__init__(message)
        self.field, self.message = field, message


def seconds_used(minutes: str | None, seconds: str | None) -> int:
    """The time typed as minutes and seconds, or as "mm:ss" in the minutes box, in seconds."""
    minutes, seconds = (minutes or "").strip(), (seconds or "").strip()
    if not minutes and not seconds:
        raise TimeUsedError("minutes", _l("Enter the time used."))
    if clock := _MM_SS.fullmatch(minutes):
        if seconds:
            raise TimeUsedError("seconds", _l("Leave the seconds empty when the time is typed "
                                              "as mm:ss."))
        minutes, seconds = clock.groups()
        if int(seconds) >= 60:
            raise TimeUsedError("minutes", NOT_A_TIME)
    elif minutes and not _WHOLE.fullmatch(minutes):
        raise TimeUsedError("minutes", NOT_A_TIME)
    if seconds and not (_WHOLE.fullmatch(seconds) and int(seconds) < 60):
        raise TimeUsedError("seconds", _l("Seconds are a whole number from 0 to 59."))
    whole_minutes = int(minutes or 0)
    if whole_minutes > MAX_MINUTES:
        raise TimeUsedError("minutes", _l("At most %(n)d minutes.", n=MAX_MINUTES))
    return whole_minutes * 60 + int(seconds or 0)


class TimeUsedForm(Form):
    minutes = StringField(_l("Minutes"), description=_l("Or the whole time as mm:ss, e.g. 58:30"),
                          render_kw={"inputmode": "numeric", "size": 8, "autocomplete": "off"})
    seconds = StringField(_l("Seconds"), render_kw={"inputmode": "numeric", "size": 3,
                                                    "autocomplete": "off"})
    total_seconds: int | None = None

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            self.total_seconds = seconds_used(self.minutes.data, self.seconds.data)
        except TimeUsedError as error:
            getattr(self, error.field).errors.append(error.message)
            return False
        return True


class PenaltyForm(Form):
    component_id = SelectField(_l("Component"), coerce=parse_id)
    points = DecimalField(_l("Points deducted"), places=None,
                          validators=[InputRequired(), finite],
                          description=_l("Out of the component's 100 points."),
                          render_kw={"inputmode": "decimal", "size": 6})
    reason = _reason()


def return_prefix(sheet_id: int) -> str:
    return f"return{sheet_id}"


def mark_prefix(sheet_id: int, criterion_id: int) -> str:
    return f"mark{sheet_id}-{criterion_id}"


def imported_prefix(criterion_id: int) -> str:
    return f"imported{criterion_id}"


def flag_prefix(entry_id: int, criterion_id: int) -> str:
    return f"flag{entry_id}-{criterion_id}"


def withdraw_prefix(penalty_id: int) -> str:
    return f"withdraw{penalty_id}"
