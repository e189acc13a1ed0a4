"""Sending a .xlsx file: a safe file name, and never kept in a browser or shared cache."""

import re
from io import BytesIO

from flask import send_file

from competitions.caching import no_store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_name(text: str) -> str:
    """`text` without the characters Windows forbids in file names, and no spaces."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text)


def send_xlsx(content: bytes, name: str):
    """An attachment named `name`.xlsx. Exports hold full names, ID numbers or phones, and
    templates an event's criteria, so no download is stored (DESIGN.md §6)."""
    return no_store(send_file(BytesIO(content), mimetype=XLSX, as_attachment=True,
                              download_name=f"{file_name(name)}.xlsx"))
