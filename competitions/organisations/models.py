"""The organisation tree: unions, enterprises, bureaus, schools, each at a tier."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.i18n import lazy_gettext as _l
from competitions.spreadsheets.models import StagedFile


class Tier(LabelledEnum):
    """Competition and organisation tiers, lowest first."""

    ENTERPRISE = "enterprise", _l("Enterprise level")
    DISTRICT = "district", _l("District level")
    CITY = "city", _l("City level")
    PROVINCIAL = "provincial", _l("Provincial level")
    NATIONAL = "national", _l("National level")
    INTERNATIONAL = "international", _l("International level")

    @property
    def rank(self) -> int:
        return list(Tier).index(self)

    def __lt__(self, other: Tier) -> bool:
        return self.rank < other.rank

    def __le__(self, other: Tier) -> bool:
        return self.rank <= other.rank


class OrgKind(LabelledEnum):
    UNION = "union", _l("Trade union")
    HR_BUREAU = "hr_bureau", _l("Human resources bureau")
    INDUSTRY_BODY = "industry_body", _l("Industry body")
    ENTERPRISE = "enterprise", _l("Enterprise")
    SCHOOL = "school", _l("School")

    @property
    def employs_workers(self) -> bool:
        return self in (OrgKind.ENTERPRISE, OrgKind.SCHOOL)


class Ownership(LabelledEnum):
    """登记注册类型, as the evaluation groups it (issue 17)."""

    STATE = "state", _l("State-owned")
    COLLECTIVE = "collective", _l("Collective")
    PRIVATE = "private", _l("Private")
    FOREIGN = "foreign", _l("Foreign, Hong Kong, Macao or Taiwan funded")
    OTHER = "other", _l("Other")

    @property
    def is_non_public(self) -> bool:
        """非公有制: the enterprises the policies ask competitions to reach in particular."""
        return self in (Ownership.PRIVATE, Ownership.FOREIGN)


class EnterpriseSize(LabelledEnum):
    """大中小微, by the national classification of enterprise size."""

    LARGE = "large", _l("Large")
    MEDIUM = "medium", _l("Medium")
    SMALL = "small", _l("Small")
    MICRO = "micro", _l("Micro")


# Materialised path, e.g. "/1/7/42/": the subtree of X is every row whose path starts with
# X's path, which is one range scan on the path index on both SQLite and PostgreSQL (a recursive
# CTE would walk the tree level by level on every permission check). Moves rewrite the moved
# subtree's paths in one UPDATE. PostgreSQL compares with the "C" collation so that "/" sorts
# bytewise before the digits, which the range bounds below rely on.
PathType = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrgKind] = mapped_column(enum_column_type(OrgKind))
    tier: Mapped[Tier] = mapped_column(enum_column_type(Tier))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    path: Mapped[str] = mapped_column(PathType, unique=True, default="")
    # Administrative division code (GB/T 2260, six digits); certificates carry the nearest
    # ancestor's (region_of).
    region_code: Mapped[str | None] = mapped_column(sa.String(6))
    # What the effectiveness evaluation needs of an employing unit (enterprise, school); unions
    # and bureaus record none: a subtree's workforce is the sum over its employing units.
    workforce: Mapped[int | None]  # 职工人数
    workforce_year: Mapped[int | None]  # the year it was counted
    industry: Mapped[str | None] = mapped_column(sa.String(1))  # GB/T 4754 section, e.g. "C"
    ownership: Mapped[Ownership | None] = mapped_column(enum_column_type(Ownership))
    size: Mapped[EnterpriseSize | None] = mapped_column(enum_column_type(EnterpriseSize))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organisation | None] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list[Organisation]] = relationship(
        back_populates="parent", order_by="Organisation.name"
    )

    __table_args__ = (sa.Index("ix_organisations_name", "name"),
                      sa.CheckConstraint("workforce >= 0", name="workforce_not_negative"))

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this organisation."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: Organisation) -> bool:
        """True if this organisation is `other` or lies in its subtree."""
        return self.path.startswith(other.path)

    @staticmethod
    def subtree_bounds(path: str) -> tuple[str, str]:
        """Half-open range [path, upper) containing exactly the paths that start with `path`."""
        return path, path[:-1] + chr(ord("/") + 1)

    @classmethod
    def in_subtree(cls, path: str) -> sa.ColumnElement[bool]:
        """SQL condition: the organisation lies in the subtree whose root has `path`."""
        low, high = cls.subtree_bounds(path)
        return sa.and_(cls.path >= low, cls.path < high)

    @classmethod
    def in_any_subtree(cls, paths: list[str]) -> sa.ColumnElement[bool]:
        if not paths:
            return sa.false()
        return sa.or_(*(cls.in_subtree(p) for p in paths))

    def can_manage(self, user) -> bool:
        return user.is_authenticated and user.manages(self)


class OrganisationImport(StagedFile, Base):
    """An uploaded spreadsheet of units' workforce, industry, ownership and size, for the units
    under one organisation (organisations/profile_import.py), kept until it is confirmed."""

    __tablename__ = "organisation_imports"
    owner_key = "organisation_id"

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)

    organisation: Mapped[Organisation] = relationship()
