"""Published results, appeals (申诉) and the titles they recommend."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from competitions.accounts.models import User
from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.i18n import lazy_gettext as _l
from competitions.registration.models import Entry, Worker
from competitions.results.awards import Award
from competitions.results.honours import HonourTitle


class Result(Base):
    """One entry's result as published. Each publication of an event's results is a version
    (1, 2, …); republishing after an upheld appeal or a reopening adds a version and keeps the
    earlier ones, superseded, as the record of what the public notice said."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    rank: Mapped[int]
    total: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    theory: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 4))
    practical: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 4))
    components: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[name, score], …]
    penalties: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    time_used: Mapped[int | None]
    standardised: Mapped[int]
    # Every award earned, prize first, then medal ("first_prize", "gold"): Award values.
    awards: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[Entry] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("entry_id", "version", name="uq_results_entry_version"),
        sa.Index("ix_results_event_version_rank", "event_id", "version", "rank"),
    )

    @classmethod
    def is_current(cls) -> sa.ColumnElement[bool]:
        """Only the latest version of each event's results, the one that counts; superseded
        versions are kept for the record and read only when asked for by number."""
        latest = aliased(cls)
        return cls.version == (sa.select(sa.func.max(latest.version))
                               .where(latest.event_id == cls.event_id).scalar_subquery())

    @property
    def award_list(self) -> list[Award]:
        return [Award(value) for value in self.awards or ()]


class AppealStatus(LabelledEnum):
    OPEN = "open", _l("Awaiting the arbitrators")
    UPHELD = "upheld", _l("Upheld")
    DISMISSED = "dismissed", _l("Dismissed")


class Appeal(Base):
    """A written appeal against an event's published results, decided by the arbitrators."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[AppealStatus] = mapped_column(enum_column_type(AppealStatus),
                                                 default=AppealStatus.OPEN, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None]
    # The criterion an upheld appeal sends back to the chief judge, when the arbitrators name one.
    criterion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scheme_criteria.id"))

    entry: Mapped[Entry] = relationship(lazy="joined")
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class TitleState(LabelledEnum):
    PENDING = "pending", _l("Pending approval")
    APPROVED = "approved", _l("Approved")
    DECLINED = "declined", _l("Declined")


class TitleAward(Base):
    """A title a result recommends; it is granted only once the granting body approves."""

    __tablename__ = "title_awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"))
    title: Mapped[HonourTitle] = mapped_column(enum_column_type(HonourTitle))
    rule: Mapped[str] = mapped_column(sa.String(40))
    rank: Mapped[int]
    state: Mapped[TitleState] = mapped_column(enum_column_type(TitleState),
                                              default=TitleState.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    worker: Mapped[Worker] = relationship(lazy="joined")

    # A title is never granted twice to the same person (RULES.md B).
    __table_args__ = (sa.UniqueConstraint("worker_id", "title", name="uq_title_awards_once"),)
