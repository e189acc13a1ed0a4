"""Narrowing the audit log: by person, by object (its kind and/or a name), by action and by
date (days in the platform's time zone)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import to_utc

from competitions.accounts.models import User
from competitions.audit.models import AuditEntry
from competitions.certificates.models import Certificate
from competitions.contests.models import Competition, Event
from competitions.organisations.models import Organisation
from competitions.promotion.models import Occupation
from competitions.registration.models import Entry, Worker

MAX_TEXT = 100


@dataclass(frozen=True)
class AuditFilters:
    person: str = ""
    kind: str = ""  # a subject type, e.g. "Event"
    name: str = ""
    action: str = ""  # an action code or its start ("organisation.")
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> "AuditFilters":
        def text(key):
            return args.get(key, "").strip()[:MAX_TEXT]
        return cls(text("person"), text("kind"), text("name"), text("action"),
                   _day(args.get("since")), _day(args.get("until")))

    @property
    def args(self) -> dict[str, str]:
        """The filters as query arguments (for the pager), the empty ones left out."""
        values = {"person": self.person, "kind": self.kind, "name": self.name,
                  "action": self.action, "since": self.since and self.since.isoformat(),
                  "until": self.until and self.until.isoformat()}
        return {key: value for key, value in values.items() if value}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


def _contains(column, text: str):
    return sa.func.lower(column).contains(text.lower(), autoescape=True)


def _ids(model, condition, *joins):
    stmt = sa.select(sa.cast(model.id, sa.String))
    for target in joins:
        stmt = stmt.join(target)
    return stmt.where(condition)


def _named(text: str):
    """Entries about a row whose name contains `text`; for an event or a competition, every
    entry of its chain too (its entrants' marks, its results)."""
    subjects = {
        "Competition": _ids(Competition, _contains(Competition.name, text)),
        "Event": _ids(Event, sa.or_(_contains(Occupation.name, text),
                                    _contains(Competition.name, text)),
                      Event.occupation, Event.competition),
        "Organisation": _ids(Organisation, _contains(Organisation.name, text)),
        "Occupation": _ids(Occupation, _contains(Occupation.name, text)),
        "Worker": _ids(Worker, _contains(Worker.name, text)),
        "Certificate": _ids(Certificate, _contains(Certificate.serial, text)),
        "Entry": _ids(Entry, _contains(Entry.entry_number, text)),
        "User": _ids(User, sa.or_(_contains(User.username, text),
                                  _contains(User.display_name, text))),
    }
    conditions = [sa.and_(AuditEntry.subject_type == kind, AuditEntry.subject_id.in_(ids))
                  for kind, ids in subjects.items()]
    for kind in ("Event", "Competition"):
        ids = subjects[kind].subquery()
        conditions.append(AuditEntry.chain.in_(
            sa.select(sa.literal(f"{kind.lower()}:") + list(ids.c)[0])))
    return sa.or_(*conditions)


def filtered(filters: AuditFilters) -> sa.Select:
    """The entries the filters leave, newest first."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.seq.desc())
    if filters.person:
        stmt = stmt.where(sa.or_(
            _contains(AuditEntry.actor_name, filters.person),
            AuditEntry.actor_id.in_(sa.select(User.id).where(
                _contains(User.display_name, filters.person)))))
    if filters.kind:
        stmt = stmt.where(AuditEntry.subject_type == filters.kind)
    if filters.name:
        stmt = stmt.where(_named(filters.name))
    if filters.action:
        stmt = stmt.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.since:
        stmt = stmt.where(AuditEntry.created_at >= _start_of(filters.since))
    if filters.until:
        stmt = stmt.where(AuditEntry.created_at < _start_of(filters.until + timedelta(days=1)))
    return stmt


def _start_of(day: date) -> datetime:
    """Midnight of `day` in the platform's time zone, as the stored (naive UTC) moment."""
    return to_utc(datetime.combine(day, time.min))
