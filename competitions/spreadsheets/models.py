"""The columns every staged spreadsheet upload has, whichever import it is for."""

from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from competitions.database import utcnow


class StagedFile:
    """An uploaded spreadsheet kept between preview and confirmation (in the database, so any
    host can confirm it): the file as sent, for the record, and its rows as read once at upload
    (`parsed`: {"header": [...], "rows": [[row number, [cell values]], ...]}). Each import adds
    the column naming what the file is for (`owner_key`): an event, an organisation."""

    owner_key: ClassVar[str]

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    parsed: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))  # None: before 0007
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[datetime | None]


class StagedUpload(StagedFile):
    """A staged file for one event (registrations, exam-system scores)."""

    owner_key = "event_id"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
