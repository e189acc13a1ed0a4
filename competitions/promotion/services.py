"""The occupation catalogue: administrators extend it and mark national standards."""

import sqlalchemy as sa

from competitions.audit.services import record
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.promotion.models import Occupation


class InvalidOccupation(DomainError):
    pass


def add_occupation(actor, name: str, has_national_standard: bool = True) -> Occupation:
    if not actor.is_admin:
        raise PermissionDenied(_l("Only a platform administrator can extend the catalogue."))
    name = (name or "").strip()
    if not name:
        raise InvalidOccupation(_l("The name is required."), field="name")
    if db.session.scalar(sa.select(Occupation.id).where(Occupation.name == name)):
        raise InvalidOccupation(_l("%(name)s is already in the catalogue.", name=name),
                                field="name")
    occupation = Occupation(name=name, has_national_standard=has_national_standard)
    db.session.add(occupation)
    db.session.flush()
    record(actor, "occupation.create", occupation,
           after={"name": name, "has_national_standard": has_national_standard})
    return occupation


def set_national_standard(actor, occupation: Occupation, value: bool) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_l("Only a platform administrator can extend the catalogue."))
    if occupation.has_national_standard != value:
        record(actor, "occupation.update", occupation,
               before={"has_national_standard": occupation.has_national_standard},
               after={"has_national_standard": value})
        occupation.has_national_standard = value
