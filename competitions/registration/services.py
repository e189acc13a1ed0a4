"""Worker profiles: self sign-up, creation and editing by organisers."""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from competitions.accounts.services import create_user
from competitions.audit.keys import keyed_digest
from competitions.audit.services import record
from competitions.contests.models import EventGroup
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.masking import mask_id_number, mask_phone
from competitions.organisations.models import Organisation
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation
from competitions.registration.idcard import InvalidIdNumber, parse_id_number
from competitions.registration.models import Worker

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
CERTIFICATE_RE = re.compile(r"^[0-9A-Z]{1,32}$")


class InvalidWorker(DomainError):
    pass


class DuplicateWorker(InvalidWorker):
    pass


@dataclass
class WorkerDetails:
    """What a worker profile form or import row carries, before validation."""

    name: str
    id_number: str
    phone: str | None
    employer: Organisation | None
    occupation: Occupation | None = None
    skill_level: SkillLevel | None = None
    skill_certificate_no: str | None = None
    group: EventGroup = EventGroup.EMPLOYEE


def normalise_phone(phone: str | None) -> str | None:
    phone = re.sub(r"[\s-]", "", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not MOBILE_RE.match(phone):
        raise InvalidWorker(_l("%(phone)s is not a mainland mobile number (11 digits starting "
                               "with 1).", phone=phone), field="phone")
    return phone or None


def _validated(details: WorkerDetails, exclude: Worker | None = None) -> dict:
    name = (details.name or "").strip()
    if not name:
        raise InvalidWorker(_l("The name is required."), field="name")
    try:
        identity = parse_id_number(details.id_number)
    except InvalidIdNumber as error:
        raise InvalidWorker(error.message, field="id_number") from None
    stmt = sa.select(Worker.id).where(Worker.id_number == identity.number)
    if exclude is not None:
        stmt = stmt.where(Worker.id != exclude.id)
    if db.session.scalar(stmt) is not None:
        raise DuplicateWorker(_l("A worker with this ID number is already registered."),
                              field="id_number")
    employer = details.employer
    if employer is None or not employer.kind.employs_workers:
        raise InvalidWorker(_l("Choose the enterprise or school that employs the worker."),
                            field="employer")
    certificate = (details.skill_certificate_no or "").strip().upper() or None
    if certificate and not CERTIFICATE_RE.match(certificate):
        raise InvalidWorker(_l("A certificate number is letters and digits only (at most 32)."),
                            field="skill_certificate_no")
    if certificate and details.skill_level is None:
        raise InvalidWorker(_l("Give the skill level that the certificate is for."),
                            field="skill_level")
    return {
        "name": name, "id_number": identity.number, "birth_date": identity.birth_date,
        "sex": identity.sex, "phone": normalise_phone(details.phone), "employer": employer,
        "occupation": details.occupation, "skill_level": details.skill_level,
        "skill_certificate_no": certificate, "group": details.group,
    }


def worker_snapshot(worker: Worker) -> dict:
    # ID numbers never enter the audit log in clear: a masked form is enough to follow changes,
    # and a keyed digest lets `flask audit verify` check the full number.
    return {
        "name": worker.name, "id_number": mask_id_number(worker.id_number),
        "id_digest": keyed_digest(worker.id_number),
        "phone": mask_phone(worker.phone), "employer_id": worker.employer.id,
        "occupation_id": worker.occupation.id if worker.occupation else None,
        "skill_level": worker.skill_level, "skill_certificate_no": worker.skill_certificate_no,
        "group": worker.group,
    }


def create_worker(actor, details: WorkerDetails) -> Worker:
    """An organiser creates a worker of a unit in their subtree."""
    values = _validated(details)
    if not actor.manages(values["employer"]):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=values["employer"].name))
    worker = Worker(**values)
    db.session.add(worker)
    db.session.flush()
    record(actor, "worker.create", worker, after=worker_snapshot(worker))
    return worker


class SignUpTaken(DomainError):
    pass


def sign_up_worker(details: WorkerDetails, *, username: str, password: str,
                   email: str | None = None) -> Worker:
    """A worker creates their own account and profile."""
    values = _validated(details)
    try:
        # Two sign-ups with the same name or ID number at once both pass the checks above;
        # the unique constraints stop the second, which gets a message instead of an error.
        with db.session.begin_nested():
            user = create_user(None, username=username, password=password,
                               display_name=values["name"], email=email,
                               phone=values["phone"])
            worker = Worker(user=user, **values)
            db.session.add(worker)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise SignUpTaken(_l("Someone has just signed up with this username, ID number, phone "
                             "or e-mail. Check them and try again.")) from None
    record(user, "worker.sign_up", worker, after=worker_snapshot(worker))
    return worker


def update_worker(actor, worker: Worker, details: WorkerDetails) -> Worker:
    if not worker.can_edit(actor):
        raise PermissionDenied(_l("You cannot edit this worker."))
    values = _validated(details, exclude=worker)
    if not actor.manages(values["employer"]):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=values["employer"].name))
    before = worker_snapshot(worker)
    for key, value in values.items():
        setattr(worker, key, value)
    db.session.flush()
    after = worker_snapshot(worker)
    if before != after:
        record(actor, "worker.update", worker, before=before, after=after)
    return worker


def workers_query(user, query: str = ""):
    """Workers of the units a user manages, optionally filtered by name or ID number."""
    stmt = sa.select(Worker).join(Worker.employer)
    if not user.is_admin:
        stmt = stmt.where(Organisation.in_any_subtree(user.organiser_paths))
    query = (query or "").strip()
    if query:
        stmt = stmt.where(sa.or_(name_contains(query),
                                 Worker.id_number == query.replace(" ", "").upper()))
    return stmt.order_by(Worker.name, Worker.id)


def name_contains(fragment: str) -> sa.ColumnElement[bool]:
    """SQL condition: the worker's name contains `fragment` as typed (% and _ included).

    On PostgreSQL a fragment of two characters or more must also have all its character pairs
    in the name, which the name's GIN index (ix_workers_name_bigrams) answers without reading
    every worker; the LIKE keeps the answer exact, as pairs alone may come in another order."""
    condition = Worker.name.contains(fragment, autoescape=True)
    if len(fragment) < 2 or db.session.get_bind().dialect.name != "postgresql":
        return condition
    pairs = sa.func.text_bigrams(fragment, type_=postgresql.ARRAY(sa.Text))
    return sa.and_(sa.func.text_bigrams(Worker.name, type_=postgresql.ARRAY(sa.Text))
                   .contains(pairs), condition)
