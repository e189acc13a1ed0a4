"""The upload field every spreadsheet import uses, and the confirm button of its preview."""

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms.validators import ValidationError

from competitions.forms import Form
from competitions.i18n import lazy_gettext as _l
from competitions.spreadsheets.pipeline import MAX_FILE_BYTES


def read_upload(storage, limit: int = MAX_FILE_BYTES) -> bytes:
    """The uploaded bytes, reading at most one byte past `limit` (so a huge file costs little)."""
    storage.stream.seek(0)
    content = storage.stream.read(limit + 1)
    storage.stream.seek(0)
    return content


def at_most(limit: int):
    def check(form, field):
        if field.data and len(read_upload(field.data, limit)) > limit:
            raise ValidationError(_l("The file is larger than %(n)d MB.",
                                     n=limit // 1024 // 1024))
    return check


def spreadsheet_field(label, description) -> FileField:
    return FileField(label, validators=[
        FileRequired(_l("Choose the filled-in spreadsheet to upload.")),
        FileAllowed(["xlsx"], _l("Upload an .xlsx file (Excel 2007 or later, or WPS).")),
        at_most(MAX_FILE_BYTES)], description=description)


class ConfirmForm(Form):
    """Nothing but the CSRF token: the confirm button of a preview (or of the draw)."""
