"""The draw (抽签/加密): entry numbers, check-in codes drawn by lot, and secret blind codes."""

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from competitions.accounts.models import Role
from competitions.audit.keys import draw_digest
from competitions.audit.services import record
from competitions.contests.models import CompetitionState, Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.notifications.services import event_params, notify_each
from competitions.registration.models import Entry, EntryMember, EntryStatus, Worker

# No look-alike characters (0/O, 1/I, 2/Z, 5/S, 8/B): blind codes are read aloud and handwritten.
BLIND_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
BLIND_LENGTH = 8  # 26**8 ≈ 2·10^11 codes: unguessable for a few hundred entries


class DrawRefused(DomainError):
    pass


def can_see_blind_codes(user, event: Event) -> bool:
    """Only the competition's encryption officers, and platform administrators."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return any(g.role is Role.ENCRYPTION_OFFICER and g.competition_id == event.competition_id
               for g in user.grants)


def _new_blind_code(rng, taken: set[str]) -> str:
    while True:
        code = "".join(rng.choice(BLIND_ALPHABET) for _ in range(BLIND_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def draw_event(actor, event: Event, rng=None) -> list[Entry]:
    """Number the approved entries, draw their check-in order, and give each a blind code."""
    competition = event.competition
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers run the draw."))
    if competition.state not in (CompetitionState.REVIEW, CompetitionState.DRAWN):
        raise DrawRefused(_l("Close registration before the draw."))
    if event.stage is not EventStage.OPEN and event.stage is not EventStage.DRAWN:
        raise DrawRefused(_l("Scoring has started: the draw cannot be redone."))
    pending = db.session.scalar(sa.select(sa.func.count(Entry.id)).where(
        Entry.event_id == event.id, Entry.status.in_(
            [EntryStatus.PENDING_ENDORSEMENT, EntryStatus.PENDING_APPROVAL])))
    if pending:
        raise DrawRefused(_l("%(n)d entries still await endorsement or approval.", n=pending))
    entries = list(db.session.scalars(sa.select(Entry).where(
        Entry.event_id == event.id, Entry.status == EntryStatus.APPROVED).order_by(Entry.id)
        .options(selectinload(Entry.members).selectinload(EntryMember.worker))))
    if not entries:
        raise DrawRefused(_l("There are no approved entries to draw."))
    rng = rng or secrets.SystemRandom()
    redraw = event.stage is EventStage.DRAWN
    # Clear first so the per-event unique constraints never see two rows with one code.
    for entry in entries:
        entry.entry_number = entry.checkin_code = entry.blind_code = None
    db.session.flush()
    width = max(3, len(str(len(entries))))
    order = list(range(1, len(entries) + 1))
    rng.shuffle(order)
    taken: set[str] = set()
    for number, (entry, lot) in enumerate(zip(entries, order, strict=True), start=1):
        entry.entry_number = f"{number:0{width}d}"
        entry.checkin_code = f"J{lot:0{width}d}"
        entry.blind_code = _new_blind_code(rng, taken)
    event.stage = EventStage.DRAWN
    event.drawn_at = utcnow()
    competition_drawn = (not _undrawn_events_with_entries(competition)
                         and competition.state is not CompetitionState.DRAWN)
    if competition_drawn:
        competition.state = CompetitionState.DRAWN
    db.session.flush()
    # The mapping itself stays out of the audit log, which administrators read: only its
    # keyed digests go in, against which `flask audit verify` checks the stored codes.
    record(actor, "event.redraw" if redraw else "event.draw", event,
           after={"entries": len(entries), "stage": event.stage, "codes": {
               str(e.id): draw_digest(e.entry_number, e.checkin_code, e.blind_code)
               for e in entries}})
    if competition_drawn:
        record(actor, "competition.drawn", competition, after={"state": competition.state})
    _notify_entrants(event, entries)
    return entries


def _notify_entrants(event: Event, entries: list[Entry]) -> None:
    """Each entrant hears their entry number and where and when to check in (检录). The
    check-in code stays on their entries page; the blind code is never told."""
    checkin = event.checkin_at.isoformat() if event.checkin_at else None
    numbers = {entry.id: entry.entry_number for entry in entries}
    members = db.session.execute(
        sa.select(EntryMember.entry_id, Worker.user_id)
        .join(Worker, Worker.id == EntryMember.worker_id)
        .where(EntryMember.entry_id.in_(numbers), EntryMember.active,
               Worker.user_id.is_not(None))
        .order_by(EntryMember.entry_id, EntryMember.id)).all()
    notify_each([(user_id, {"entry_number": numbers[entry_id]})
                 for entry_id, user_id in members], "entry_drawn", **event_params(event),
                checkin_at=checkin, venue=event.venue)


def _undrawn_events_with_entries(competition) -> int:
    """Events still to draw; an event nobody was approved for does not hold the stage back."""
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(Event.id))).join(
        Entry, Entry.event_id == Event.id).where(
        Event.competition_id == competition.id, Event.stage == EventStage.OPEN,
        Entry.status == EntryStatus.APPROVED))


def checkin_list(event: Event) -> list[Entry]:
    """Drawn entries in check-in order, members loaded, for the check-in desk."""
    return list(db.session.scalars(
        sa.select(Entry).where(Entry.event_id == event.id, Entry.checkin_code.is_not(None))
        .order_by(Entry.checkin_code)))
