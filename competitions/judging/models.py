"""Marking schemes (评分细则): per event, components with weights, made of criteria."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.contests.models import Event
from competitions.database import Base, LabelledEnum, enum_column_type, utcnow


class ComponentKind(LabelledEnum):
    THEORY = "theory", _l("Theory")
    PRACTICAL = "practical", _l("Practical")
    OTHER = "other", _l("Other (e.g. defence)")


class CriterionKind(LabelledEnum):
    MEASUREMENT = "measurement", _l("Measurement (one judge)")
    JUDGEMENT = "judgement", _l("Judgement (a panel)")


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
