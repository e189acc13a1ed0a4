"""Readable names for the rows audit entries refer to, loaded in one query per kind of row.

Workers' names are masked (张*明): the log is read by administrators, but nothing on its page
needs a full name, and the log itself keeps ID numbers only masked or as digests.
"""

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from competitions.accounts.models import RoleGrant, User
from competitions.certificates.models import Certificate
from competitions.contests.models import Competition, Event
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.judging.models import Criterion, MarkingScheme, ScoreImport
from competitions.masking import mask_name
from competitions.organisations.models import Organisation
from competitions.promotion.models import Occupation, PromotionEligibility
from competitions.registration.models import Entry, Nomination, Worker
from competitions.results.models import Appeal, TitleAward

# Subjects that name no row ("Occupation", "catalogue"): what they stand for.
COLLECTIONS = {
    ("Occupation", "catalogue"): _l("Occupation catalogue"),
    ("PromotionEligibility", "list"): _l("Promotion list"),
}


def _event_name(event: Event) -> str:
    return f"{event.competition.name} · {event.name}"


def _entry_name(entry: Entry) -> str:
    return f"{entry.entry_number or f'#{entry.id}'} · {_event_name(entry.event)}"


def _rows(model, ids, *options):
    return db.session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options))


def _names_of(model, name: Callable, *options) -> Callable[[set[int]], dict[int, str]]:
    def load(ids: set[int]) -> dict[int, str]:
        return {row.id: name(row) for row in _rows(model, ids, *options)}
    return load


_EVENT = (joinedload(Event.competition),)
_ENTRY = (joinedload(Entry.event).joinedload(Event.competition),)


def _score_imports(ids: set[int]) -> dict[int, str]:
    # Only the file's name: the row also holds the whole uploaded file.
    return dict(db.session.execute(
        sa.select(ScoreImport.id, ScoreImport.filename).where(ScoreImport.id.in_(ids))).all())


def _eligibilities(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(PromotionEligibility.id, Worker.name, Occupation.name)
        .join(Worker, Worker.id == PromotionEligibility.worker_id)
        .join(Occupation, Occupation.id == PromotionEligibility.occupation_id)
        .where(PromotionEligibility.id.in_(ids)))
    return {ident: f"{mask_name(worker)} · {occupation}" for ident, worker, occupation in rows}


LOADERS: dict[str, Callable[[set[int]], dict[int, str]]] = {
    "Competition": _names_of(Competition, lambda c: c.name),
    "Event": _names_of(Event, _event_name, *_EVENT),
    "Entry": _names_of(Entry, _entry_name, *_ENTRY),
    "Appeal": _names_of(Appeal, lambda a: _entry_name(a.entry),
                        joinedload(Appeal.entry).joinedload(Entry.event)
                        .joinedload(Event.competition)),
    "Worker": _names_of(Worker, lambda w: mask_name(w.name)),
    "Certificate": _names_of(Certificate, lambda c: c.serial or f"#{c.id}"),
    "Organisation": _names_of(Organisation, lambda o: o.name),
    "Occupation": _names_of(Occupation, lambda o: o.name),
    "User": _names_of(User, lambda u: u.username),
    "RoleGrant": _names_of(RoleGrant, lambda g: f"{g.user.username} · {g.role.label}",
                           joinedload(RoleGrant.user)),
    "Nomination": _names_of(Nomination,
                            lambda n: f"{mask_name(n.worker.name)} · {_event_name(n.event)}",
                            joinedload(Nomination.worker),
                            joinedload(Nomination.event).joinedload(Event.competition)),
    "TitleAward": _names_of(TitleAward, lambda t: f"{mask_name(t.worker.name)} · {t.title.label}",
                            joinedload(TitleAward.worker)),
    "PromotionEligibility": _eligibilities,
    "MarkingScheme": _names_of(MarkingScheme, lambda s: _event_name(s.event),
                               joinedload(MarkingScheme.event).joinedload(Event.competition)),
    "Criterion": _names_of(Criterion, lambda c: f"{c.code} {c.description}"[:40]),
    "ScoreImport": _score_imports,
}


def load_names(references: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(type, id): readable name} for every reference that names a row still there."""
    wanted: dict[str, set[int]] = {}
    names: dict[tuple[str, str], str] = {}
    for kind, ident in references:
        ident = str(ident)
        if (kind, ident) in COLLECTIONS:
            names[kind, ident] = str(COLLECTIONS[kind, ident])
        elif kind in LOADERS and ident.isdigit():
            wanted.setdefault(kind, set()).add(int(ident))
    for kind, ids in wanted.items():
        for ident, name in LOADERS[kind](ids).items():
            names[kind, str(ident)] = name
    return names

