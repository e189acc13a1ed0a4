"""The append-only audit log: one keyed hash chain per event (docs/audit.md)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from competitions.database import Base, utcnow

# Entries written before the log was keyed (migration 0008) form this chain, verified by
# their plain SHA-256 hashes and sealed: nothing is appended to it any more.
LEGACY_CHAIN = "legacy"
PLATFORM_CHAIN = "platform"


class AuditEntry(Base):
    """One recorded change. `hash` is a MAC (key `key_id`) over every field and the previous
    entry's hash in its chain; a legacy entry has no key id and a plain SHA-256 `hash`."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)  # the order across chains, for reading
    chain: Mapped[str] = mapped_column(sa.String(40))  # "event:7", "competition:2", "platform"
    chain_seq: Mapped[int]  # 1, 2, 3 … within the chain, with no gap
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(64))
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[str | None] = mapped_column(sa.Text)  # canonical JSON
    after: Mapped[str | None] = mapped_column(sa.Text)  # canonical JSON
    reason: Mapped[str | None] = mapped_column(sa.Text)
    key_id: Mapped[str | None] = mapped_column(sa.String(16))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    __table_args__ = (
        sa.UniqueConstraint("chain", "chain_seq"),
        sa.Index("ix_audit_entries_subject", "subject_type", "subject_id"),
    )


class AuditHead(Base):
    """The tip of one chain, in a row of its own: writers to one event lock only its head, and
    its MAC lets verification tell a rolled-back head from the real one."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    key_id: Mapped[str | None] = mapped_column(sa.String(16))
    mac: Mapped[str | None] = mapped_column(sa.String(64))


class AuditCheckpoint(Base):
    """A copy of a signed checkpoint (the original goes to AUDIT_CHECKPOINT_PATH, outside the
    database), kept so that a published notice can name its fingerprint."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str | None] = mapped_column(sa.String(64))
    subject_id: Mapped[str | None] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_audit_checkpoints_subject", "subject_type", "subject_id"),)


GENESIS_HASH = "0" * 64

# The database refuses changes to the log as well; the keyed chain and the checkpoints then
# catch anyone who goes around the triggers (the owner role can drop them, the app's cannot).
APPEND_ONLY_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_entries is append-only'; END $$",
        "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
        # A row-level trigger does not fire on TRUNCATE.
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
    ],
}

# A head only moves forward and is never removed.
HEAD_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads "
        "WHEN NEW.seq < OLD.seq OR NEW.chain != OLD.chain "
        "BEGIN SELECT RAISE(ABORT, 'audit_heads only move forward'); END",
        "CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads "
        "BEGIN SELECT RAISE(ABORT, 'audit_heads only move forward'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_heads_forward_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' AND NEW.seq >= OLD.seq AND NEW.chain = OLD.chain THEN "
        "RETURN NEW; END IF; "
        "RAISE EXCEPTION 'audit_heads only move forward'; END $$",
        "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE OR DELETE ON audit_heads "
        "FOR EACH ROW EXECUTE FUNCTION audit_heads_forward_only()",
        "CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_heads_forward_only()",
    ],
}

CHECKPOINT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints "
        "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
        "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
        "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_checkpoints_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_checkpoints is append-only'; END $$",
        "CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE "
        "ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()",
        "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only()",
    ],
}


# The order of entries across chains (AuditEntry.seq) comes from a sequence on PostgreSQL;
# owned by the column, it goes with the table and restarts with TRUNCATE … RESTART IDENTITY.
ORDER_SEQUENCE = {
    "postgresql": ["CREATE SEQUENCE audit_entries_order OWNED BY audit_entries.seq"],
}


def _installer(triggers):
    def install(target, connection, **kw):
        for statement in triggers.get(connection.dialect.name, []):
            connection.execute(sa.text(statement))
    return install


sa.event.listen(AuditEntry.__table__, "after_create", _installer(ORDER_SEQUENCE))
sa.event.listen(AuditEntry.__table__, "after_create", _installer(APPEND_ONLY_TRIGGERS))
sa.event.listen(AuditHead.__table__, "after_create", _installer(HEAD_TRIGGERS))
sa.event.listen(AuditCheckpoint.__table__, "after_create", _installer(CHECKPOINT_TRIGGERS))
