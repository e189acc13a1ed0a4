"""Occupations (职业) from the national occupational classification."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from competitions.database import Base


class Occupation(Base):
    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # Some promotion rules apply only where a national occupational standard exists (安徽 2023).
    has_national_standard: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Occupation {self.name}>"
