"""Keyed audit chains, one per event, with signed checkpoints (issue 11)

The entries written so far are not rewritten: they become the sealed chain "legacy", still
verified by their plain SHA-256 hashes; its head gets a MAC under AUDIT_KEY here, and the
first `flask audit checkpoint` after the upgrade covers it (docs/audit.md). The trigger
statements are copied from competitions.audit.models, as in 0001, so that this revision stays
as it was when the models change. On SQLite the batch rebuild of audit_entries drops its
triggers; they are created again below.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:45:00

"""
import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ENTRY_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    ],
}
DROP_ENTRY_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_entries_no_update",
        "DROP TRIGGER IF EXISTS audit_entries_no_delete",
    ],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries"],
}
NEW_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads "
        "WHEN NEW.seq < OLD.seq OR NEW.chain != OLD.chain "
        "BEGIN SELECT RAISE(ABORT, 'audit_heads only move forward'); END",
        "CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads "
        "BEGIN SELECT RAISE(ABORT, 'audit_heads only move forward'); END",
        "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints "
        "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
        "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
        "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
        "CREATE OR REPLACE FUNCTION audit_heads_forward_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' AND NEW.seq >= OLD.seq AND NEW.chain = OLD.chain THEN "
        "RETURN NEW; END IF; "
        "RAISE EXCEPTION 'audit_heads only move forward'; END $$",
        "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE OR DELETE ON audit_heads "
        "FOR EACH ROW EXECUTE FUNCTION audit_heads_forward_only()",
        "CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_heads_forward_only()",
        "CREATE OR REPLACE FUNCTION audit_checkpoints_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_checkpoints is append-only'; END $$",
        "CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE "
        "ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()",
        "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only()",
    ],
}
DROP_NEW_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_heads_forward_only",
        "DROP TRIGGER IF EXISTS audit_heads_no_delete",
        "DROP TRIGGER IF EXISTS audit_checkpoints_no_update",
        "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
        "DROP TRIGGER IF EXISTS audit_heads_forward_only ON audit_heads",
        "DROP TRIGGER IF EXISTS audit_heads_no_truncate ON audit_heads",
        "DROP FUNCTION IF EXISTS audit_heads_forward_only()",
        "DROP TRIGGER IF EXISTS audit_checkpoints_no_change ON audit_checkpoints",
        "DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints",
        "DROP FUNCTION IF EXISTS audit_checkpoints_append_only()",
    ],
}


def _run(statements):
    for statement in statements.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def _legacy_head_mac(seq, last_hash):
    """The head's MAC as competitions.audit.services.head_mac computes it, under AUDIT_KEY."""
    secret = current_app.config["AUDIT_KEY"]
    key_id = hashlib.sha256(b"audit-key-id:" + secret.encode("utf-8")).hexdigest()[:12]
    payload = json.dumps(["head", "legacy", seq, last_hash], ensure_ascii=False,
                         sort_keys=True, separators=(",", ":"))
    return key_id, hmac.new(secret.encode("utf-8"), payload.encode("utf-8"),
                            hashlib.sha256).hexdigest()


def upgrade():
    bind = op.get_bind()
    op.create_table('audit_heads',
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=True),
    sa.Column('mac', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_heads'))
    )
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=64), nullable=True),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_audit_checkpoints_fingerprint'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_audit_checkpoints_subject', ['subject_type', 'subject_id'],
                              unique=False)

    # The existing entries become the sealed legacy chain, every field kept as it was.
    _run(DROP_ENTRY_TRIGGERS)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
    op.execute("UPDATE audit_entries SET chain = 'legacy', chain_seq = seq")
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('chain_seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entries_chain'),
                                          ['chain', 'chain_seq'])
    _run(ENTRY_TRIGGERS)

    head = bind.execute(sa.text("SELECT seq, last_hash FROM audit_head WHERE id = 1")).first()
    if head is not None and head.seq > 0:
        key_id, mac = _legacy_head_mac(head.seq, head.last_hash)
        bind.execute(sa.text(
            "INSERT INTO audit_heads (chain, seq, last_hash, key_id, mac) "
            "VALUES ('legacy', :seq, :last_hash, :key_id, :mac)"),
            {"seq": head.seq, "last_hash": head.last_hash, "key_id": key_id, "mac": mac})
    op.drop_table('audit_head')
    if bind.dialect.name == "postgresql":
        start = bind.scalar(sa.text("SELECT coalesce(max(seq), 0) + 1 FROM audit_entries"))
        op.execute(f"CREATE SEQUENCE audit_entries_order START WITH {int(start)} "
                   "OWNED BY audit_entries.seq")
    _run(NEW_TRIGGERS)


def downgrade():
    bind = op.get_bind()
    _run(DROP_NEW_TRIGGERS)
    if bind.dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS audit_entries_order")
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    # Only the legacy chain fits the single old head; later entries stay, unverifiable by 0006.
    head = bind.execute(sa.text(
        "SELECT seq, last_hash FROM audit_heads WHERE chain = 'legacy'")).first()
    if head is not None:
        bind.execute(sa.text("INSERT INTO audit_head (id, seq, last_hash) "
                             "VALUES (1, :seq, :last_hash)"),
                     {"seq": head.seq, "last_hash": head.last_hash})
    _run(DROP_ENTRY_TRIGGERS)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_entries_chain'), type_='unique')
        batch_op.drop_column('key_id')
        batch_op.drop_column('chain_seq')
        batch_op.drop_column('chain')
    _run(ENTRY_TRIGGERS)
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_checkpoints_subject')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_heads')
