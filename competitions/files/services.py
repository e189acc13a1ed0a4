"""Storing and serving uploaded files (DESIGN.md §6: in the database, so hosts stay stateless).

A file is accepted by what it is, not by what it is called: its first bytes must be those of an
allowed kind (PDF, JPEG, PNG), and it is read with a size cap, so an oversized upload stops at
the cap instead of filling memory. The content type served is the one found, and downloads carry
`nosniff` and an attachment disposition, so a browser never runs an uploaded file as a page.
"""

from __future__ import annotations

import hashlib
from io import BytesIO

from flask import send_file

from competitions.errors import DomainError
from competitions.extensions import db
from competitions.files.models import StoredFile
from competitions.i18n import lazy_gettext as _l

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
SIGNATURES = {PDF: (b"%PDF-",), JPEG: (b"\xff\xd8\xff",), PNG: (b"\x89PNG\r\n\x1a\n",)}
NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
DOCUMENT_TYPES = (PDF, JPEG, PNG)  # an entrant's documents: a scan or a photo will do
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_RULES_BYTES = 10 * 1024 * 1024


class FileRefused(DomainError):
    pass


def sniff(head: bytes, allowed: tuple[str, ...]) -> str | None:
    """The allowed content type whose signature `head` starts with, if any."""
    for content_type in allowed:
        if any(head.startswith(signature) for signature in SIGNATURES[content_type]):
            return content_type
    return None


def read_capped(stream, max_bytes: int, *, field: str | None = None) -> bytes:
    """At most `max_bytes` from `stream`; refuses a larger file after reading one byte more."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileRefused(_l("The file is larger than %(size)s MB.",
                             size=f"{max_bytes / 1024 / 1024:g}"), field=field)
    return data


def store(upload, actor, *, allowed: tuple[str, ...], max_bytes: int,
          field: str | None = None) -> StoredFile:
    """Check and keep an uploaded file (a werkzeug FileStorage); flushes, never commits."""
    if upload is None or not getattr(upload, "filename", ""):
        raise FileRefused(_l("Choose a file to upload."), field=field)
    data = read_capped(upload.stream, max_bytes, field=field)
    if not data:
        raise FileRefused(_l("The file is empty."), field=field)
    content_type = sniff(data[:16], allowed)
    if content_type is None:
        raise FileRefused(_l("%(name)s is not a %(kinds)s file: its content says otherwise, "
                             "whatever its name.", name=upload.filename,
                             kinds=" / ".join(NAMES[t] for t in allowed)), field=field)
    stored = StoredFile(filename=_safe_name(upload.filename), content_type=content_type,
                        size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                        uploaded_by_id=getattr(actor, "id", None))
    db.session.add(stored)
    db.session.flush()
    return stored


def _safe_name(name: str) -> str:
    """The name as uploaded, without any directory and at most 200 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    return name[-200:]


def send(stored: StoredFile, *, inline: bool = False, private: bool = True):
    """The file as a download. `inline` lets a PDF open in the browser's viewer; `private`
    (entrants' documents) keeps it out of shared caches."""
    response = send_file(BytesIO(stored.data), mimetype=stored.content_type,
                         as_attachment=not inline, download_name=stored.filename,
                         etag=stored.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response
