"""Migration 0008 seals the entries written before it as the legacy chain, unrewritten."""

from datetime import datetime

import flask_migrate
import pytest
import sqlalchemy as sa

from competitions.accounts.models import SYSTEM
from competitions.audit.checkpoints import make_checkpoint
from competitions.audit.models import AuditEntry, AuditHead
from competitions.audit.services import canonical_json, legacy_hash, record, verify_chain
from competitions.extensions import db
from tests.conftest import make_test_app
from tests.test_migrations import MIGRATIONS, empty_database_url  # noqa: F401 (a fixture)


@pytest.fixture
def app_at_0007(empty_database_url, tmp_path):  # noqa: F811
    app = make_test_app(empty_database_url, MIGRATIONS_DIR=MIGRATIONS,
                        AUDIT_CHECKPOINT_PATH=str(tmp_path / "checkpoints.jsonl"))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0007")
        yield app
        db.session.remove()
        db.engine.dispose()


def write_legacy_entries(count):
    """Entries as the single-chain log of 0001–0007 wrote them: plain SHA-256, one head."""
    previous = "0" * 64
    for seq in range(1, count + 1):
        entry = AuditEntry(seq=seq, created_at=datetime(2026, 3, 1, 9, seq), actor_id=None,
                           actor_name="system", action="test.legacy", subject_type="Thing",
                           subject_id=str(seq), before=None,
                           after=canonical_json({"n": seq}), reason=None, prev_hash=previous)
        entry.hash = legacy_hash(entry)
        db.session.execute(sa.text(
            "INSERT INTO audit_entries (seq, created_at, actor_id, actor_name, action, "
            "subject_type, subject_id, before, after, reason, prev_hash, hash) VALUES (:seq, "
            ":created_at, NULL, :actor_name, :action, :subject_type, :subject_id, NULL, "
            ":after, NULL, :prev_hash, :hash)"),
            {"seq": seq, "created_at": entry.created_at, "actor_name": entry.actor_name,
             "action": entry.action, "subject_type": entry.subject_type,
             "subject_id": entry.subject_id, "after": entry.after, "prev_hash": previous,
             "hash": entry.hash})
        previous = entry.hash
    db.session.execute(sa.text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, :s, :h)"),
                       {"s": count, "h": previous})
    db.session.commit()


def test_existing_entries_become_the_sealed_legacy_chain(app_at_0007):
    write_legacy_entries(5)
    flask_migrate.upgrade(directory=MIGRATIONS)
    legacy = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [(e.chain, e.chain_seq, e.key_id) for e in legacy] == [
        ("legacy", n, None) for n in range(1, 6)]
    assert db.session.get(AuditHead, "legacy").mac is not None
    assert verify_chain() == (5, None)
    new = record(SYSTEM, "test.after", ("Thing", 6))
    db.session.commit()
    assert (new.chain, new.chain_seq, new.seq) == ("platform", 1, 6)
    checkpoint = make_checkpoint("after 0008")
    db.session.commit()
    assert '"legacy":[5,' in checkpoint.body
    runner = app_at_0007.test_cli_runner()
    result = runner.invoke(args=["audit", "verify", "--checkpoints",
                                 app_at_0007.config["AUDIT_CHECKPOINT_PATH"]])
    assert result.exit_code == 0, result.output


def test_a_rewritten_legacy_entry_is_still_found(app_at_0007, backend):
    write_legacy_entries(3)
    flask_migrate.upgrade(directory=MIGRATIONS)
    drop = {"sqlite": "DROP TRIGGER audit_entries_no_update",
            "postgresql": "DROP TRIGGER audit_entries_no_change ON audit_entries"}[backend]
    db.session.execute(sa.text(drop))
    db.session.execute(sa.text("UPDATE audit_entries SET reason = 'x' WHERE seq = 2"))
    db.session.commit()
    checked, problem = verify_chain()
    assert (checked, problem.chain, problem.seq) == (1, "legacy", 2)
