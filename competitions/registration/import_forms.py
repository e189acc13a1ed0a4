"""The registration import's upload form (the shared parts are in spreadsheets.forms)."""

from competitions.forms import Form
from competitions.i18n import lazy_gettext as _l
from competitions.spreadsheets.forms import (  # noqa: F401  (re-exported)
    ConfirmForm,
    at_most,
    read_upload,
    spreadsheet_field,
)


class ImportUploadForm(Form):
    file = spreadsheet_field(_l("Spreadsheet (.xlsx)"),
                             _l("Use the template: one worker per row, at most 20,000 rows."))
