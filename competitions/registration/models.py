"""Worker profiles: the people who register for competitions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.contests.models import Event, EventGroup
from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.files.models import StoredFile
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation
from competitions.registration.sex import Sex
from competitions.results.honours import HonourTitle
from competitions.spreadsheets.models import StagedUpload


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    birth_date: Mapped[date]
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))  # on file: claim codes go here
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    occupation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("occupations.id"))
    skill_level: Mapped[SkillLevel | None] = mapped_column(enum_column_type(SkillLevel))
    skill_certificate_no: Mapped[str | None] = mapped_column(sa.String(32))
    # Which competition group the person belongs to (employee, student or teacher).
    group: Mapped[EventGroup] = mapped_column(enum_column_type(EventGroup),
                                              default=EventGroup.EMPLOYEE,
                                              server_default=EventGroup.EMPLOYEE.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship(back_populates="worker")
    employer: Mapped[Organisation] = relationship(lazy="joined")
    occupation: Mapped[Occupation | None] = relationship(lazy="joined")

    __table_args__ = (
        # The name search's index on PostgreSQL (registration/services.py: name_contains).
        # New names wait in a pending list that every search reads until it is merged: at the
        # default 4 MB, 16 ms a search; at 64 kB next to nothing, for inserts 25 % slower.
        sa.Index("ix_workers_name_bigrams", sa.text("text_bigrams(name)"),
                 postgresql_using="gin", postgresql_with={"gin_pending_list_limit": 64})
        .ddl_if(dialect="postgresql"),
    )

    def __repr__(self) -> str:
        return f"<Worker {self.id} {self.name}>"

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday

    def can_edit(self, user) -> bool:
        """Organisers of the employer's subtree (and admins) edit a worker's profile."""
        return user.is_authenticated and user.manages(self.employer)

    def can_view(self, user) -> bool:
        return self.can_edit(user) or (user.is_authenticated and user.id == self.user_id)

    def can_see_personal_data(self, user) -> bool:
        """Unmasked ID and phone numbers only for those who manage the worker's unit."""
        return self.can_edit(user)


# A name's character pairs ("欧阳修" → {欧阳, 阳修}), for the GIN index that narrows a name
# search over a million workers: pg_trgm cannot, as a two-character name (张伟) holds no
# trigram. Exact, not lowered: the search's LIKE is case-sensitive on PostgreSQL.
NAME_BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION text_bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    pairs text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(value) - 1 LOOP
        pairs := pairs || substr(value, i, 2);
    END LOOP;
    RETURN pairs;
END $$
"""

# Before the tables, for the index; the migration 0019 creates the same function.
sa.event.listen(Base.metadata, "before_create",
                sa.DDL(NAME_BIGRAMS_FUNCTION).execute_if(dialect="postgresql"))
sa.event.listen(Base.metadata, "after_drop",
                sa.DDL("DROP FUNCTION IF EXISTS text_bigrams(text)")
                .execute_if(dialect="postgresql"))


class EntryStatus(LabelledEnum):
    PENDING_ENDORSEMENT = "pending_endorsement", _l("Pending endorsement by the unit")
    PENDING_APPROVAL = "pending_approval", _l("Pending approval by the organiser")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")
    WITHDRAWN = "withdrawn", _l("Withdrawn")

    @property
    def is_active(self) -> bool:
        """Active entries hold a place: they count against capacity and quotas."""
        return self not in (EntryStatus.REJECTED, EntryStatus.WITHDRAWN)


class WorkerTitle(Base):
    """An honorary title a worker holds (recorded by organisers, or granted by a competition)."""

    __tablename__ = "worker_titles"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    title: Mapped[HonourTitle] = mapped_column(enum_column_type(HonourTitle))
    year: Mapped[int | None]

    __table_args__ = (sa.UniqueConstraint("worker_id", "title", name="uq_worker_titles_once"),)


class Entry(Base):
    """One worker, or one team, in one event."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    team_name: Mapped[str | None] = mapped_column(sa.String(100))
    # The organisation whose quota the entry uses (the unit one tier below the organiser).
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    status: Mapped[EntryStatus] = mapped_column(enum_column_type(EntryStatus), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    endorsed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    entry_number: Mapped[str | None] = mapped_column(sa.String(10))
    checkin_code: Mapped[str | None] = mapped_column(sa.String(10))
    blind_code: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    unit: Mapped[Organisation] = relationship()
    members: Mapped[list[EntryMember]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", lazy="selectin",
        order_by="(EntryMember.is_leader.desc(), EntryMember.id)")

    __table_args__ = (
        sa.UniqueConstraint("event_id", "entry_number", name="uq_entries_event_number"),
        sa.UniqueConstraint("event_id", "checkin_code", name="uq_entries_event_checkin"),
        sa.UniqueConstraint("event_id", "blind_code", name="uq_entries_event_blind"),
    )

    @property
    def leader(self) -> Worker:
        return self.members[0].worker

    @property
    def display_name(self) -> str:
        return self.team_name or self.leader.name


class EntryMember(Base):
    """A worker in an entry. `active` mirrors the entry's status so that the partial unique
    index lets a worker hold at most one live place per event, even under concurrent posts."""

    __tablename__ = "entry_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    is_leader: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    entry: Mapped[Entry] = relationship(back_populates="members")
    worker: Mapped[Worker] = relationship(lazy="joined")

    __table_args__ = (
        sa.Index("uq_entry_members_live", "event_id", "worker_id", unique=True,
                 sqlite_where=sa.text("active"), postgresql_where=sa.text("active")),
    )


class Nomination(Base):
    """A worker sent up to an event: by their unit, or by advancement from a lower tier."""

    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    nominated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    source_competition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("competitions.id"))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    worker: Mapped[Worker] = relationship()
    nominated_by: Mapped[Organisation | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("event_id", "worker_id",
                                          name="uq_nominations_event_worker"),)


class ImportBatch(StagedUpload, Base):
    """An uploaded registration spreadsheet, kept between preview and confirmation."""

    __tablename__ = "import_batches"

    event: Mapped[Event] = relationship()


class EntryDocument(Base):
    """A document an event requires of an entrant (e.g. a copy of the skill-level certificate),
    uploaded for one entry; the latest upload per requirement counts."""

    __tablename__ = "entry_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"))
    requirement: Mapped[str] = mapped_column(sa.String(100))
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[StoredFile] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("entry_id", "worker_id", "requirement",
                                          name="uq_entry_documents_requirement"),)
