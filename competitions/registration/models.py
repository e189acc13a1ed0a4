"""Worker profiles: the people who register for competitions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.database import Base, enum_column_type, utcnow
from competitions.organisations.models import Organisation
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation
from competitions.registration.sex import Sex


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    birth_date: Mapped[date]
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    occupation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("occupations.id"))
    skill_level: Mapped[SkillLevel | None] = mapped_column(enum_column_type(SkillLevel))
    skill_certificate_no: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship(back_populates="worker")
    employer: Mapped[Organisation] = relationship(lazy="joined")
    occupation: Mapped[Occupation | None] = relationship(lazy="joined")

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
