"""Competitions (one contest edition) and their events (赛项)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation, Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation


class CompetitionClass(LabelledEnum):
    CLASS_1 = "class1", _l("Class I")
    CLASS_2 = "class2", _l("Class II")
    UNCLASSIFIED = "unclassified", _l("Unclassified")


class CompetitionState(LabelledEnum):
    """The competition's stage; events carry their own stage from the draw on (EventStage)."""

    DRAFT = "draft", _l("Draft")
    REGISTRATION = "registration", _l("Registration open")
    REVIEW = "review", _l("Registration closed, under review")
    DRAWN = "drawn", _l("Drawn")
    FINAL = "final", _l("Final")
    ARCHIVED = "archived", _l("Archived")


class EventStage(LabelledEnum):
    OPEN = "open", _l("Not drawn")
    DRAWN = "drawn", _l("Drawn")
    SCORING = "scoring", _l("Scoring")
    SIGNED_OFF = "signed_off", _l("Signed off")
    DECRYPTED = "decrypted", _l("Decrypted")
    PUBLISHED = "published", _l("Results under public notice")
    FINAL = "final", _l("Results final")


class EventGroup(LabelledEnum):
    EMPLOYEE = "employee", _l("Employee group")
    STUDENT = "student", _l("Student group")
    TEACHER = "teacher", _l("Teacher group")


# The medals_half preset (RULES.md A): gold, silver, bronze, then 优胜奖 down to half the field.
DEFAULT_AWARD_CONFIG = {"prize": None, "medal": {"excellence": {"share": "1/2"}},
                        "min_totals": {}}


class Competition(Base):
    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)  # shown on the public page
    # The competition's rules (竞赛规程), an uploaded PDF anyone may read.
    rules_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_files.id"))
    year: Mapped[int]
    tier: Mapped[Tier] = mapped_column(enum_column_type(Tier))
    competition_class: Mapped[CompetitionClass] = mapped_column(
        enum_column_type(CompetitionClass), default=CompetitionClass.UNCLASSIFIED)
    organiser_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    state: Mapped[CompetitionState] = mapped_column(
        enum_column_type(CompetitionState), default=CompetitionState.DRAFT, index=True)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    feeds_id: Mapped[int | None] = mapped_column(sa.ForeignKey("competitions.id"), index=True)
    advance_top_n: Mapped[int] = mapped_column(default=3)
    # Results settings (DESIGN.md §4, RULES.md A and B). The award rules are the JSON of
    # results.award_plans.AwardConfig; award_scheme names the preset they follow ("custom"
    # when the organiser set their own), so that pages can cite it. title_rules lists the
    # title presets that apply, each with its own numbers: [[name, {option: n}], …].
    award_scheme: Mapped[str] = mapped_column(sa.String(40), default="medals_half")
    award_config: Mapped[dict] = mapped_column(
        sa.JSON, default=lambda: dict(DEFAULT_AWARD_CONFIG))
    title_rules: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")
    # Both counted from publication, in whole hours; appeals close no later than the notice ends.
    notice_hours: Mapped[int] = mapped_column(default=5 * 24)  # the public notice (公示)
    appeal_hours: Mapped[int] = mapped_column(default=5 * 24)  # appeals (申诉) accepted
    tie_breaks: Mapped[list[str]] = mapped_column(
        sa.JSON, default=lambda: ["time_used", "practical", "theory"])
    # Certificates (certificates/settings.py): the kinds issued, the issuing organisations
    # printed, and the print layout (pre-printed stock and its offsets).
    certificate_settings: Mapped[dict] = mapped_column(sa.JSON, default=dict,
                                                       server_default="{}")
    # Promotion (RULES.md C; promotion/rules.py): the rule set's JSON, empty when the
    # competition promotes nobody; whether its organisers may confirm as well as the HR
    # officers; and how long an eligibility waits for a decision before it expires.
    promotion_rules: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    promotion_by_organisers: Mapped[bool] = mapped_column(default=False,
                                                          server_default=sa.false())
    promotion_expiry_days: Mapped[int] = mapped_column(default=90, server_default="90")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organiser: Mapped[Organisation] = relationship(lazy="joined")
    feeds: Mapped[Competition | None] = relationship(remote_side=[id], foreign_keys=[feeds_id])
    events: Mapped[list[Event]] = relationship(
        back_populates="competition", order_by="Event.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Competition {self.id} {self.name}>"

    def can_manage(self, user) -> bool:
        """Organisers of the organising organisation (and admins) manage a competition."""
        return user.is_authenticated and user.manages(self.organiser)

    def is_registration_open(self, now: datetime) -> bool:
        if self.state is not CompetitionState.REGISTRATION:
            return False
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        return not (self.registration_closes_at and now >= self.registration_closes_at)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id"), index=True)
    occupation_id: Mapped[int] = mapped_column(sa.ForeignKey("occupations.id"))
    group: Mapped[EventGroup] = mapped_column(enum_column_type(EventGroup))
    team_size: Mapped[int] = mapped_column(default=1)  # 1: an individual event
    capacity: Mapped[int | None]
    quota_per_org: Mapped[int | None]  # None: no quota (add_event applies the usual 3)
    min_age: Mapped[int | None]  # None: no minimum (add_event applies the usual 16)
    max_age: Mapped[int | None]
    until_retirement: Mapped[bool] = mapped_column(default=True)
    female_retirement_base: Mapped[int] = mapped_column(default=55)
    min_level: Mapped[SkillLevel | None] = mapped_column(
        enum_column_type(SkillLevel, name="min_level"))
    max_level: Mapped[SkillLevel | None] = mapped_column(
        enum_column_type(SkillLevel, name="max_level"))
    barred_titles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    nomination_required: Mapped[bool] = mapped_column(default=False)
    stage: Mapped[EventStage] = mapped_column(enum_column_type(EventStage),
                                              default=EventStage.OPEN)
    drawn_at: Mapped[datetime | None]
    decrypted_at: Mapped[datetime | None]  # names may be shown beside scores from then on
    notice_ends_at: Mapped[datetime | None]  # the public notice (公示) of the results
    appeals_close_at: Mapped[datetime | None]  # appeals (申诉) accepted until then
    finalised_at: Mapped[datetime | None]
    # Where and when entrants report on the day (检录), told to them at the draw.
    checkin_at: Mapped[datetime | None]
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)  # what the contest tests
    schedule: Mapped[str | None] = mapped_column(sa.Text)  # theory, practical: when and where
    # Documents each entrant uploads (e.g. "职业技能等级证书复印件"), by name.
    required_documents: Mapped[list[str]] = mapped_column(sa.JSON, default=list,
                                                          server_default="[]")
    # Bumped by every registration: the UPDATE takes the row lock (PostgreSQL) or the write
    # lock (SQLite) first, so capacity and quota checks run one at a time per event.
    entry_counter: Mapped[int] = mapped_column(default=0)

    competition: Mapped[Competition] = relationship(back_populates="events")
    occupation: Mapped[Occupation] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("competition_id", "occupation_id", "group",
                            name="uq_events_competition_occupation_group"),
        sa.CheckConstraint("team_size >= 1", name="team_size_positive"),
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.occupation.name}>"

    @property
    def name(self) -> str:
        return f"{self.occupation.name} · {self.group.label}"

    @property
    def is_team(self) -> bool:
        return self.team_size > 1


class Drill(Base):
    """An enterprise drill or contest (岗位练兵、技术比武) recorded summarily: too small to run
    through registration and judging, it still counts in the evaluation and, where its winners
    are named, in their records."""

    __tablename__ = "drills"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    occupation_id: Mapped[int] = mapped_column(sa.ForeignKey("occupations.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    participants: Mapped[int]  # everyone who took part, named or not
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    occupation: Mapped[Occupation] = relationship(lazy="joined")
    places: Mapped[list[DrillPlace]] = relationship(
        back_populates="drill", order_by="DrillPlace.place", cascade="all, delete-orphan")

    __table_args__ = (sa.CheckConstraint("participants >= 0", name="participants_not_negative"),)


class DrillPlace(Base):
    """A named winner of a drill and their placing."""

    __tablename__ = "drill_places"

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[int] = mapped_column(sa.ForeignKey("drills.id", ondelete="CASCADE"),
                                          index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    place: Mapped[int]

    drill: Mapped[Drill] = relationship(back_populates="places")

    __table_args__ = (sa.UniqueConstraint("drill_id", "worker_id", name="uq_drill_places_worker"),
                      sa.CheckConstraint("place >= 1", name="place_positive"))
