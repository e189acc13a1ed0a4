"""Documents an event requires of its entrants (e.g. a copy of the skill-level certificate).

Each member of an entry uploads each document the event names, until the draw: after it the
entry list is fixed and the organisers check the papers against it. An upload is kept in the
database (files/services.py checks its type by content and caps its size); a new upload for the
same requirement replaces the old one, whose file is deleted. Only the worker, organisers of
the worker's employer or of the entry's quota unit, and the competition's organisers (admins
through them) see or upload a document.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from competitions.audit.services import record
from competitions.contests.models import Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.files.services import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    FileRefused,
    store,
)
from competitions.i18n import lazy_gettext as _l
from competitions.registration.models import Entry, EntryDocument, EntryMember, Worker


class DocumentRefused(DomainError):
    pass


def requirements(event: Event) -> list[str]:
    """The event's required documents by name, blanks and repeats left out."""
    names = ((name or "").strip() for name in (event.required_documents or []))
    return list(dict.fromkeys(name for name in names if name))


def can_handle(user, entry: Entry, worker: Worker) -> bool:
    """Whether `user` may see and upload `worker`'s documents for `entry`."""
    if not user.is_authenticated or all(m.worker_id != worker.id for m in entry.members):
        return False
    return (worker.user_id == user.id or user.manages(worker.employer)
            or user.manages(entry.unit) or entry.event.competition.can_manage(user))


def members_for(user, entry: Entry) -> list[Worker]:
    """The members of `entry` whose documents `user` may handle (none: no access)."""
    return [m.worker for m in entry.members if can_handle(user, entry, m.worker)]


def uploads_open(entry: Entry) -> bool:
    """Documents are taken for an active entry until the event is drawn."""
    return entry.status.is_active and entry.event.stage is EventStage.OPEN


def documents_of(entry: Entry) -> dict[tuple[int, str], EntryDocument]:
    """The entry's documents by (worker id, requirement)."""
    return {(d.worker_id, d.requirement): d for d in db.session.scalars(
        sa.select(EntryDocument).where(EntryDocument.entry_id == entry.id))}


def counts(entries: list[Entry]) -> dict[int, tuple[int, int]]:
    """(documents in, documents required) per entry id, for entries whose event requires any;
    one query for the whole list."""
    wanted = {entry.id: requirements(entry.event) for entry in entries}
    wanted = {entry_id: names for entry_id, names in wanted.items() if names}
    if not wanted:
        return {}
    found: dict[int, int] = dict.fromkeys(wanted, 0)
    members = {entry.id: {m.worker_id for m in entry.members} for entry in entries}
    rows = db.session.execute(sa.select(EntryDocument.entry_id, EntryDocument.worker_id,
                                        EntryDocument.requirement)
                              .where(EntryDocument.entry_id.in_(list(wanted))))
    for entry_id, worker_id, requirement in rows:
        if requirement in wanted[entry_id] and worker_id in members[entry_id]:
            found[entry_id] += 1
    return {entry_id: (found[entry_id], len(names) * len(members[entry_id]))
            for entry_id, names in wanted.items()}


def entries_needing_documents(worker: Worker) -> list[Entry]:
    """The worker's active entries in events that require documents, newest first."""
    stmt = (sa.select(Entry).join(EntryMember)
            .where(EntryMember.worker_id == worker.id, EntryMember.active)
            .options(selectinload(Entry.event).selectinload(Event.competition))
            .order_by(Entry.id.desc()))
    return [entry for entry in db.session.scalars(stmt) if requirements(entry.event)]


def upload_document(actor, entry: Entry, worker: Worker, requirement: str,
                    upload) -> EntryDocument:
    """Keep `upload` as `worker`'s `requirement` for `entry`, replacing an earlier upload.
    The same file posted again changes nothing. Flushes, never commits."""
    if not can_handle(actor, entry, worker):
        raise PermissionDenied(_l("You cannot upload documents for this entrant."))
    if requirement not in requirements(entry.event):
        raise DocumentRefused(_l("The event does not ask for this document."), field="file")
    if not uploads_open(entry):
        raise DocumentRefused(_l("%(requirement)s: documents are accepted only for an active "
                                 "entry, until the draw.", requirement=requirement),
                              field="file")
    try:
        stored = store(upload, actor, allowed=DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES,
                       field="file")
    except FileRefused as error:
        raise DocumentRefused(_l("%(requirement)s was not uploaded: %(reason)s",
                                 requirement=requirement, reason=error.message),
                              field="file") from None
    document = db.session.scalar(sa.select(EntryDocument).where(
        EntryDocument.entry_id == entry.id, EntryDocument.worker_id == worker.id,
        EntryDocument.requirement == requirement).with_for_update(of=EntryDocument))
    if document is not None and document.file.sha256 == stored.sha256:
        db.session.delete(stored)  # the same file again: a repeated post
        db.session.flush()
        return document
    replaced = document is not None
    if document is None:
        try:
            with db.session.begin_nested():
                document = EntryDocument(entry_id=entry.id, worker_id=worker.id,
                                         requirement=requirement, file=stored,
                                         uploaded_by_id=getattr(actor, "id", None))
                db.session.add(document)
                db.session.flush()
        except sa.exc.IntegrityError:
            # Two first uploads at once: the other one won; this one replaces it.
            raise DocumentRefused(_l("%(requirement)s was being uploaded at the same moment. "
                                     "Look at the list and upload again if needed.",
                                     requirement=requirement), field="file") from None
    else:
        old = document.file
        document.file = stored
        document.uploaded_by_id = getattr(actor, "id", None)
        document.uploaded_at = utcnow()
        db.session.flush()
        db.session.delete(old)
        db.session.flush()
    record(actor, "document.upload", entry, after={
        "worker_id": worker.id, "requirement": requirement, "sha256": stored.sha256,
        "size": stored.size, "content_type": stored.content_type, "replaced": replaced})
    return document


def can_download(user, document: EntryDocument) -> bool:
    entry = db.session.get(Entry, document.entry_id)
    worker = db.session.get(Worker, document.worker_id)
    return entry is not None and worker is not None and can_handle(user, entry, worker)


def record_download(actor, document: EntryDocument) -> None:
    """A copy of someone's certificate is personal data: who else opened it is logged."""
    worker = db.session.get(Worker, document.worker_id)
    if worker is not None and worker.user_id is not None and worker.user_id == actor.id:
        return
    entry = db.session.get(Entry, document.entry_id)
    record(actor, "document.download", entry, after={
        "worker_id": document.worker_id, "requirement": document.requirement,
        "sha256": document.file.sha256})
