"""Writing to and verifying the audit chains (docs/audit.md)."""

import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from competitions.audit import keys
from competitions.audit.models import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    PLATFORM_CHAIN,
    AuditEntry,
    AuditHead,
)
from competitions.database import Base, utcnow
from competitions.extensions import db

# The order across chains: a sequence on PostgreSQL (taking a number never waits on another
# transaction; see models.ORDER_SEQUENCE); on SQLite, whose writers are serialised anyway, the
# next number after the last.
ORDER = sa.Sequence("audit_entries_order")


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


def legacy_hash(entry: AuditEntry) -> str:
    """The plain SHA-256 of an entry written before migration 0008 (its chain's only link)."""
    payload = canonical_json([
        entry.seq, entry.prev_hash, entry.created_at.isoformat(timespec="microseconds"),
        entry.actor_id, entry.actor_name, entry.action, entry.subject_type, entry.subject_id,
        entry.before, entry.after, entry.reason,
    ])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _entry_payload(entry: AuditEntry) -> str:
    return canonical_json([
        "entry", entry.chain, entry.chain_seq, entry.seq, entry.prev_hash,
        entry.created_at.isoformat(timespec="microseconds"), entry.actor_id, entry.actor_name,
        entry.action, entry.subject_type, entry.subject_id, entry.before, entry.after,
        entry.reason,
    ])


def entry_hash(entry: AuditEntry) -> str:
    """The entry's MAC under its key (the legacy SHA-256 for a legacy entry)."""
    if entry.key_id is None:
        return legacy_hash(entry)
    return keys.mac(_entry_payload(entry), entry.key_id)[1]


def head_mac(head: AuditHead, key_id: str | None = None) -> tuple[str, str]:
    return keys.mac(canonical_json(["head", head.chain, head.seq, head.last_hash]),
                    key_id or head.key_id)


def seal_head(head: AuditHead) -> None:
    head.key_id, head.mac = head_mac(head, keys.current_key_id())


# --- which chain ----------------------------------------------------------------------------

@functools.cache
def _mapped_classes() -> dict[str, type]:
    return {mapper.class_.__name__: mapper.class_ for mapper in Base.registry.mappers}


def chain_of(subject) -> str:
    """An event's own chain for anything of one event, the competition's for anything of a
    competition, else the platform's."""
    if type(subject).__name__ == "Event":
        return f"event:{subject.id}"
    if getattr(subject, "event_id", None) is not None:
        return f"event:{subject.event_id}"
    if type(subject).__name__ == "Competition":
        return f"competition:{subject.id}"
    if getattr(subject, "competition_id", None) is not None:
        return f"competition:{subject.competition_id}"
    return PLATFORM_CHAIN


def _chain_of_reference(subject_type: str, subject_id) -> str:
    model = _mapped_classes().get(subject_type)
    # Every model is keyed by an integer id; anything else names no row ("catalogue").
    if model is None or not str(subject_id).isdigit():
        return PLATFORM_CHAIN
    instance = db.session.get(model, int(subject_id))
    return chain_of(instance) if instance is not None else PLATFORM_CHAIN


# --- writing --------------------------------------------------------------------------------

def record(actor, action: str, subject, *, before=None, after=None, reason=None,
           chain: str | None = None) -> AuditEntry:
    """Record one entry for its chain. `subject` is a model instance with an id, or a
    (type, id); the chain is the subject's event's (or competition's, or the platform's)
    unless named. The entry joins its chain when the transaction commits (write_pending), and
    vanishes with it if it is rolled back."""
    if isinstance(subject, tuple):
        subject_type, subject_id = subject
        chain = chain or _chain_of_reference(subject_type, subject_id)
    else:
        db.session.flush()
        subject_type, subject_id = type(subject).__name__, subject.id
        chain = chain or chain_of(subject)
    if chain == LEGACY_CHAIN:
        raise ValueError("the legacy chain is sealed")
    entry = AuditEntry(
        chain=chain,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=canonical_json(before),
        after=canonical_json(after),
        reason=reason,
    )
    session = db.session()
    # Begin the transaction now if nothing has yet, so that its rollback forgets the entry.
    transaction = (session.get_nested_transaction() or session.get_transaction()
                   or session.begin())
    session.info.setdefault(PENDING, []).append((entry, transaction))
    return entry


PENDING = "audit_entries_pending"


def write_pending(session=None) -> None:
    """Append the transaction's recorded entries to their chains.

    Chains are taken in name order, so two transactions that write to the same two chains
    never hold one head each while waiting for the other's; and each head is held only from
    here to the commit, a few milliseconds, however long the transaction ran before."""
    session = session or db.session()
    pending = session.info.pop(PENDING, [])
    by_chain: dict[str, list[AuditEntry]] = {}
    for entry, _transaction in pending:
        by_chain.setdefault(entry.chain, []).append(entry)
    heads = {chain: _lock_head(session, chain, len(by_chain[chain]))
             for chain in sorted(by_chain)}
    for (entry, _transaction), order in zip(pending, _next_orders(session, len(pending)),
                                           strict=True):
        entry.seq = order  # the order in which they were recorded, across chains
    for chain, head in heads.items():
        entries = by_chain[chain]
        for number, entry in enumerate(entries, start=head.seq - len(entries) + 1):
            entry.chain_seq, entry.prev_hash = number, head.last_hash
            entry.key_id, entry.hash = keys.mac(_entry_payload(entry))
            head.last_hash = entry.hash
        seal_head(head)
        session.add_all(entries)
    session.flush()


@sa.event.listens_for(Session, "before_commit")
def _write_before_commit(session):
    if session.info.get(PENDING):
        write_pending(session)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session, previous_transaction):
    """Entries recorded inside the transaction (or savepoint) rolled back never happened."""
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
        return

    def inside(transaction):
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False
    kept = [item for item in session.info.get(PENDING, []) if not inside(item[1])]
    if kept:
        session.info[PENDING] = kept
    else:
        session.info.pop(PENDING, None)


def _lock_head(session, chain: str, count: int) -> AuditHead:
    """Take the chain's next `count` numbers, and with them its head's lock: writers to this
    chain queue here until commit, writers to other chains do not."""
    # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before anything
    # is read, so two writers can never build on the same previous hash.
    # RETURNING reads the head back in the same statement, as it is once the lock is held.
    bump = (sa.update(AuditHead).where(AuditHead.chain == chain)
            .values(seq=AuditHead.seq + count).returning(AuditHead)
            .execution_options(populate_existing=True, synchronize_session=False))
    head = session.execute(bump).scalar()
    if head is None:
        # A chain's first entry: several writers may find no head at once. One insert wins;
        # the others fail inside their savepoint once it commits, then queue on its row.
        try:
            with session.begin_nested():
                session.add(AuditHead(chain=chain, seq=0, last_hash=GENESIS_HASH))
        except sa.exc.IntegrityError:
            pass
        head = session.execute(bump).scalar_one()
    return head


def _next_orders(session, count: int) -> list[int]:
    """`count` numbers in the order across chains, ascending."""
    if session.get_bind().dialect.name == "postgresql":
        return sorted(session.scalars(
            sa.select(ORDER.next_value()).select_from(sa.func.generate_series(1, count))))
    last = session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.seq), 0)))
    return list(range(last + 1, last + 1 + count))


# --- verifying ------------------------------------------------------------------------------

@dataclass
class ChainProblem:
    seq: int | None
    message: str
    chain: str | None = None


def chains() -> list[str]:
    """Every chain with an entry or a head, the legacy chain first."""
    names = set(db.session.scalars(sa.select(AuditHead.chain)))
    names |= set(db.session.scalars(sa.select(AuditEntry.chain).distinct()))
    return sorted(names, key=lambda name: (name != LEGACY_CHAIN, name))


def verify_chain(batch_size: int = 5000) -> tuple[int, ChainProblem | None]:
    """Walk every chain in order; return (entries checked, first problem or None)."""
    total = 0
    for name in chains():
        checked, problem = verify_one_chain(name, batch_size)
        total += checked
        if problem is not None:
            return total, problem
    return total, None


def verify_one_chain(name: str, batch_size: int = 5000) -> tuple[int, ChainProblem | None]:
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0

    def problem(seq, message):
        return checked, ChainProblem(seq, message, name)

    while True:
        batch = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.chain == name,
                                        AuditEntry.chain_seq >= expected_seq)
            .order_by(AuditEntry.chain_seq).limit(batch_size)
        ).scalars().all()
        for entry in batch:
            seq = entry.chain_seq
            if seq != expected_seq:
                return problem(expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != expected_prev:
                return problem(seq, f"entry {seq} does not follow entry {seq - 1}")
            if entry.key_id is None and name != LEGACY_CHAIN:
                return problem(seq, f"entry {seq} carries no MAC")
            try:
                intact = hmac.compare_digest(entry_hash(entry), entry.hash)
            except keys.UnknownAuditKey:
                return problem(seq, f"entry {seq} names an unknown audit key {entry.key_id}")
            if not intact:
                return problem(seq, f"entry {seq} was altered or forged after it was written")
            expected_prev, expected_seq, checked = entry.hash, seq + 1, checked + 1
        if len(batch) < batch_size:
            break
    head = db.session.get(AuditHead, name, populate_existing=True)
    if head is None:
        return problem(checked, "its head is missing")
    if head.seq != checked or head.last_hash != expected_prev:
        return problem(head.seq, f"the chain ends at entry {checked} but its head records "
                                 f"entry {head.seq}")
    try:
        sealed = head.mac is not None and hmac.compare_digest(head_mac(head)[1], head.mac)
    except keys.UnknownAuditKey:
        sealed = False
    if not sealed:
        return problem(head.seq, "its head was not written by the application "
                                 "(the MAC does not match)")
    return checked, None
