"""Writing to and verifying the audit chain."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa

from competitions.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from competitions.database import utcnow
from competitions.extensions import db


def _default(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot audit {type(value).__name__}")


def canonical_json(data) -> str | None:
    if data is None:
        return None
    return json.dumps(data, default=_default, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and every recorded field, in a fixed order."""
    payload = canonical_json([
        entry.seq, entry.prev_hash, entry.created_at.isoformat(timespec="microseconds"),
        entry.actor_id, entry.actor_name, entry.action, entry.subject_type, entry.subject_id,
        entry.before, entry.after, entry.reason,
    ])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(actor, action: str, subject, *, before=None, after=None, reason=None) -> AuditEntry:
    """Append one entry to the chain. `subject` is a model instance with an id, or a (type, id)."""
    if isinstance(subject, tuple):
        subject_type, subject_id = subject
    else:
        db.session.flush()
        subject_type, subject_id = type(subject).__name__, subject.id
    _bump_head()
    head = db.session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    ).scalar_one()
    entry = AuditEntry(
        seq=head.seq,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=canonical_json(before),
        after=canonical_json(after),
        reason=reason,
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    head.last_hash = entry.hash
    db.session.add(entry)
    db.session.flush()
    return entry


def _bump_head() -> None:
    """Take the next seq, and with it the head's lock, so concurrent writers queue here."""
    # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before anything
    # is read, so two writers can never build on the same previous hash.
    bump = sa.update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    if db.session.execute(bump).rowcount:
        return
    # The very first entry: several writers may find no head at once. One insert wins; the
    # others fail inside their savepoint once it commits, and then queue on the winner's row.
    try:
        with db.session.begin_nested():
            db.session.add(AuditHead(id=1, seq=0, last_hash=GENESIS_HASH))
    except sa.exc.IntegrityError:
        pass
    db.session.execute(bump)


@dataclass
class ChainProblem:
    seq: int | None
    message: str


def verify_chain(batch_size: int = 5000) -> tuple[int, ChainProblem | None]:
    """Walk the chain in order; return (entries checked, first problem or None)."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    while True:
        batch = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.seq >= expected_seq)
            .order_by(AuditEntry.seq).limit(batch_size)
        ).scalars().all()
        for entry in batch:
            if entry.seq != expected_seq:
                return checked, ChainProblem(expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != expected_prev:
                return checked, ChainProblem(
                    entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}")
            if entry_hash(entry) != entry.hash:
                return checked, ChainProblem(
                    entry.seq, f"entry {entry.seq} was altered after it was written")
            expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
        if len(batch) < batch_size:
            break
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != expected_prev):
        return checked, ChainProblem(
            head.seq, f"the chain ends at entry {checked} but its head records entry {head.seq}")
    return checked, None
