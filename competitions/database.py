"""The declarative base, its naming convention, and enums that carry translatable labels."""

import enum
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

# Predictable constraint names, so Alembic migrations are stable on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


_clock: ContextVar[datetime | None] = ContextVar("competitions_clock", default=None)


def utcnow() -> datetime:
    """Naive UTC now: stored the same way on SQLite and PostgreSQL. The one clock of services,
    views and model defaults alike, so that `clock_at` can move it (DESIGN.md §6)."""
    moment = _clock.get()
    return moment if moment is not None else datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def clock_at(moment: datetime | None):
    """Within the block, `utcnow()` answers `moment` (naive UTC; None: the real clock). The
    demo builds last year's contest this way, and tests move time without waiting."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


class LabelledEnum(enum.Enum):
    """An enum whose members carry a lazily translated label: ``Tier.CITY.label``."""

    def __new__(cls, value, label):
        member = object.__new__(cls)
        member._value_ = value
        member.label = label
        return member

    def __str__(self):
        return str(self.label)

    @classmethod
    def choices(cls):
        return [(member.value, member.label) for member in cls]

    @classmethod
    def coerce(cls, value):
        """Form coercion: accept a member or its value."""
        return value if isinstance(value, cls) else cls(value)


def enum_column_type(enum_cls: type[enum.Enum], name: str | None = None) -> sa.Enum:
    """Store an enum by value in a VARCHAR with a CHECK constraint, the same on every database.

    `name` names the CHECK constraint; give one when a table has two columns of the same enum.
    """
    return sa.Enum(
        enum_cls,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        name=name or enum_cls.__name__.lower(),
        validate_strings=True,
    )
