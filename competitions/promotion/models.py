"""Occupations (职业) from the national occupational classification; the levels workers hold
in them, and the promotion eligibility competitions compute."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.i18n import lazy_gettext as _l
from competitions.promotion.levels import SkillLevel


class Occupation(Base):
    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # Some promotion rules apply only where a national occupational standard exists (安徽 2023).
    has_national_standard: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Occupation {self.name}>"


class WorkerLevel(Base):
    """A worker's skill level in one occupation (a worker may be 高级工 in 焊工 and 中级工 in
    电工), with its 职业技能等级证书. The profile's level (Worker.skill_level) is the one in the
    worker's own occupation, kept in step (levels.py)."""

    __tablename__ = "worker_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"))
    occupation_id: Mapped[int] = mapped_column(sa.ForeignKey("occupations.id"))
    level: Mapped[SkillLevel] = mapped_column(enum_column_type(SkillLevel))
    certificate_no: Mapped[str | None] = mapped_column(sa.String(32))
    certified_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    occupation: Mapped[Occupation] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("worker_id", "occupation_id",
                                          name="uq_worker_levels_occupation"),)


class LevelChange(Base):
    """The history of a worker's levels: every change, with where it came from."""

    __tablename__ = "level_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    occupation_id: Mapped[int] = mapped_column(sa.ForeignKey("occupations.id"))
    from_level: Mapped[SkillLevel | None] = mapped_column(
        enum_column_type(SkillLevel, name="from_level"))
    to_level: Mapped[SkillLevel] = mapped_column(enum_column_type(SkillLevel, name="to_level"))
    # "recorded" (profile, import, the migration) or "promotion" (a confirmed eligibility)
    source: Mapped[str] = mapped_column(sa.String(20))
    eligibility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("promotion_eligibilities.id"))
    document_no: Mapped[str | None] = mapped_column(sa.String(60))
    changed_on: Mapped[date]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    occupation: Mapped[Occupation] = relationship(lazy="joined")


class EligibilityStatus(LabelledEnum):
    PENDING = "pending", _l("Awaiting review")
    CONFIRMED = "confirmed", _l("Confirmed")
    DECLINED = "declined", _l("Declined")


class PromotionEligibility(Base):
    """One entrant's assessment under the competition's promotion rules, computed at
    finalisation; eligible ones await confirmation by the human-resources side."""

    __tablename__ = "promotion_eligibilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    occupation_id: Mapped[int] = mapped_column(sa.ForeignKey("occupations.id"))
    rule_name: Mapped[str] = mapped_column(sa.String(40))
    rule_version: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(30))  # rules.ReasonCode value
    eligible: Mapped[bool]
    from_level: Mapped[SkillLevel | None] = mapped_column(
        enum_column_type(SkillLevel, name="from_level"))
    to_level: Mapped[SkillLevel | None] = mapped_column(
        enum_column_type(SkillLevel, name="to_level"))
    band: Mapped[str | None] = mapped_column(sa.String(60))
    reason: Mapped[str] = mapped_column(sa.Text)  # Chinese, citing the rule
    rank: Mapped[int]
    awards: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[EligibilityStatus] = mapped_column(
        enum_column_type(EligibilityStatus), default=EligibilityStatus.PENDING, index=True)
    # A confirmed eligibility whose results were formally reopened: to be looked at again.
    needs_review: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]  # pending past this: expired (computed when read)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    document_no: Mapped[str | None] = mapped_column(sa.String(60))  # the approval's 文号
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The new 职业技能等级证书, once the assessment body issues it.
    certificate_no: Mapped[str | None] = mapped_column(sa.String(22))
    reminded_at: Mapped[datetime | None]

    occupation: Mapped[Occupation] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("event_id", "worker_id",
                                          name="uq_promotion_eligibilities_once"),)

    def is_expired(self, now: datetime) -> bool:
        return (self.status is EligibilityStatus.PENDING and self.eligible
                and self.expires_at is not None and now >= self.expires_at)
