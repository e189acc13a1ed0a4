"""Marking schemes (评分细则): per event, components with weights, made of criteria."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.contests.models import Event
from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.i18n import lazy_gettext as _l
from competitions.spreadsheets.models import StagedUpload


class ComponentKind(LabelledEnum):
    THEORY = "theory", _l("Theory")
    PRACTICAL = "practical", _l("Practical")
    OTHER = "other", _l("Other (e.g. defence)")


class CriterionKind(LabelledEnum):
    MEASUREMENT = "measurement", _l("Measurement (one judge)")
    JUDGEMENT = "judgement", _l("Judgement (a panel)")
    IMPORTED = "imported", _l("Imported score (exam system)")


class Aggregation(LabelledEnum):
    """Names match judging.scoring.AGGREGATIONS."""

    MEAN = "mean", _l("Mean")
    TRIMMED_MEAN = "trimmed_mean", _l("Mean without the highest and lowest (5 or more marks)")
    MEDIAN = "median", _l("Median")


class MarkingScheme(Base):
    __tablename__ = "marking_schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), unique=True)
    locked_at: Mapped[datetime | None]  # set when marking starts; no edits after
    # A panel whose marks for one criterion differ by more than this percentage of the
    # criterion's maximum is flagged for discussion before sign-off.
    spread_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    components: Mapped[list[Component]] = relationship(
        back_populates="scheme", order_by="Component.position", cascade="all, delete-orphan",
        lazy="selectin")

    @property
    def total_weight(self) -> Decimal:
        return sum((c.weight for c in self.components), Decimal(0))


class Component(Base):
    __tablename__ = "scheme_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("marking_schemes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    kind: Mapped[ComponentKind] = mapped_column(enum_column_type(ComponentKind))
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))  # percent of the total
    position: Mapped[int] = mapped_column(default=0)

    scheme: Mapped[MarkingScheme] = relationship(back_populates="components")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="component", order_by="Criterion.position",
        cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (sa.CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),)

    @property
    def max_total(self) -> Decimal:
        return sum((c.max_mark for c in self.criteria), Decimal(0))


class Criterion(Base):
    __tablename__ = "scheme_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_components.id"),
                                              index=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text)
    max_mark: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    step: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2), default=Decimal("0.5"))
    kind: Mapped[CriterionKind] = mapped_column(enum_column_type(CriterionKind))
    panel_size: Mapped[int] = mapped_column(default=1)
    aggregation: Mapped[Aggregation] = mapped_column(enum_column_type(Aggregation),
                                                     default=Aggregation.MEAN)
    position: Mapped[int] = mapped_column(default=0)

    component: Mapped[Component] = relationship(back_populates="criteria")

    __table_args__ = (
        sa.CheckConstraint("max_mark > 0", name="max_mark_positive"),
        sa.CheckConstraint("step > 0", name="step_positive"),
        sa.CheckConstraint("panel_size >= 1", name="panel_size_positive"),
        sa.UniqueConstraint("component_id", "code", name="uq_scheme_criteria_code"),
    )

    @property
    def is_marked_by_judges(self) -> bool:
        return self.kind is not CriterionKind.IMPORTED


class PanelSeat(Base):
    """A judge on a criterion's panel. The first `panel_size` judges free of conflict with an
    entrant mark it; later seats are reserves who step in for a conflicted judge."""

    __tablename__ = "panel_seats"

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_criteria.id"), index=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    criterion: Mapped[Criterion] = relationship()
    judge: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("criterion_id", "judge_id",
                                          name="uq_panel_seats_judge"),)


class DeclaredConflict(Base):
    """A judge's own declaration that they must not mark an entry (knows the entrant, …)."""

    __tablename__ = "declared_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"))
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    judge: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("entry_id", "judge_id",
                                          name="uq_declared_conflicts_judge"),)


class SheetStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")


class ScoreSheet(Base):
    """One judge's marks for one entry. `version` rises with every change, so a form opened
    before someone else's change is recognised as stale instead of overwriting it."""

    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"), index=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[SheetStatus] = mapped_column(enum_column_type(SheetStatus),
                                                default=SheetStatus.DRAFT)
    version: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    judge: Mapped[User] = relationship(lazy="joined")
    marks: Mapped[list[Mark]] = relationship(back_populates="sheet", lazy="selectin",
                                             cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("entry_id", "judge_id", name="uq_score_sheets_judge"),)

    @property
    def is_submitted(self) -> bool:
        return self.status is SheetStatus.SUBMITTED


class Mark(Base):
    """One judge's mark for one criterion of one entry (评分)."""

    __tablename__ = "marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_criteria.id"), index=True)
    value: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="marks")

    __table_args__ = (
        sa.UniqueConstraint("sheet_id", "criterion_id", name="uq_marks_criterion"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
    )


class ImportedMark(Base):
    """A score taken from the exam system's spreadsheet (theory), one per entry and criterion."""

    __tablename__ = "imported_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_criteria.id"))
    value: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("score_imports.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("entry_id", "criterion_id", name="uq_imported_marks_criterion"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
    )


class ScoreImport(StagedUpload, Base):
    """An uploaded exam-system spreadsheet, kept until it is confirmed (and as a record after)."""

    __tablename__ = "score_imports"

    event: Mapped[Event] = relationship()


class Timing(Base):
    """Time an entry used (for the tie-break), recorded by the chief judge."""

    __tablename__ = "timings"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"), unique=True)
    seconds: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint("seconds >= 0", name="seconds_not_negative"),)


class Penalty(Base):
    """Points deducted from one component's score (out of 100), with the reason."""

    __tablename__ = "penalties"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"), index=True)
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_components.id"))
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    reason: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    component: Mapped[Component] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint("points > 0", name="points_positive"),)


class SignOff(Base):
    """The chief judge's sign-off of an event; a correction afterwards voids it."""

    __tablename__ = "sign_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(sa.Text)

    signed_by: Mapped[User | None] = relationship(lazy="joined")


class FlagResolution(Base):
    """The chief judge's acceptance of a flagged panel (marks further apart than the scheme's
    spread threshold) after discussing it with the panel: the marks stand, and the note says
    what was discussed. It holds while the panel's marks are exactly those it accepted; any
    later change to them voids it (judging.flags), so the flag must be resolved again."""

    __tablename__ = "panel_flag_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_criteria.id"))
    spread: Mapped[Decimal] = mapped_column(sa.Numeric(7, 4))  # percent of the maximum
    marks: Mapped[dict] = mapped_column(sa.JSON)  # judge id → mark ("50.00"), as accepted
    note: Mapped[str] = mapped_column(sa.Text)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime] = mapped_column(default=utcnow)

    resolved_by: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("entry_id", "criterion_id",
                                          name="uq_panel_flag_resolutions_criterion"),)
