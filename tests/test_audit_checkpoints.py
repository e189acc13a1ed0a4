"""Signed checkpoints outside the database, key rotation, and the audit settings (issue 11)."""

import json
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from competitions import create_app
from competitions.accounts.models import SYSTEM
from competitions.audit import keys
from competitions.audit.checkpoints import make_checkpoint, signing_public_key
from competitions.audit.models import AuditCheckpoint
from competitions.audit.services import record, verify_chain
from competitions.database import utcnow
from competitions.extensions import db
from competitions.results import lifecycle
from competitions.results.exports import notice_period, result_rows
from competitions.results.notice_pdf import render_notice
from tests.factories import MarkingSetup
from tests.test_draw import pdf_text

A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]


def sink_lines(app):
    try:
        with open(app.config["AUDIT_CHECKPOINT_PATH"], encoding="utf-8") as sink:
            return [json.loads(line) for line in sink]
    except FileNotFoundError:
        return []


def test_checkpoint_command_signs_every_head_and_appends_to_the_sink(app):
    record(SYSTEM, "test.a", ("Thing", 1))
    record(SYSTEM, "test.b", ("Thing", 2), chain="event:7")
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    assert runner.invoke(args=["audit", "checkpoint", "--reason", "nightly"]).exit_code == 0
    first, second = sink_lines(app)
    assert first["heads"].keys() == {"platform", "event:7"}
    assert first["heads"]["event:7"][0] == 1 and second["reason"] == "nightly"
    assert {"at", "key_id", "signature"} <= first.keys()
    result = runner.invoke(args=["audit", "verify", "--checkpoints",
                                 app.config["AUDIT_CHECKPOINT_PATH"]])
    assert result.exit_code == 0 and "agrees with 2 signed checkpoints" in result.output
    assert db.session.scalar(sa.select(sa.func.count(AuditCheckpoint.id))) == 2


def test_checkpoint_to_stdout(app):
    app.config["AUDIT_CHECKPOINT_PATH"] = "-"
    record(SYSTEM, "test.a", ("Thing", 1))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    body = json.loads(result.stdout.splitlines()[0])
    assert body["heads"]["platform"][0] == 1


def test_a_checkpoint_can_go_to_a_device_that_cannot_be_synced(app):
    """/dev/null (the tests' and browser tests' sink) or a pipe to a log collector: no fsync."""
    app.config["AUDIT_CHECKPOINT_PATH"] = os.devnull
    record(SYSTEM, "test.a", ("Thing", 1))
    make_checkpoint("test")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(AuditCheckpoint.id))) == 1


def test_a_sink_that_fails_after_commit_keeps_the_change_and_logs_the_line(app, tmp_path,
                                                                           caplog):
    app.config["AUDIT_CHECKPOINT_PATH"] = str(tmp_path)  # a directory: open() fails
    record(SYSTEM, "test.a", ("Thing", 1))
    checkpoint = make_checkpoint("test")
    db.session.commit()  # does not raise: the change is saved
    assert db.session.get(AuditCheckpoint, checkpoint.id) is not None
    assert checkpoint.fingerprint[:12] in caplog.text or checkpoint.body[:40] in caplog.text


def test_a_rolled_back_transaction_writes_no_checkpoint(app):
    record(SYSTEM, "test.a", ("Thing", 1))
    make_checkpoint("test")
    db.session.rollback()
    assert sink_lines(app) == []
    make_checkpoint("test")
    db.session.commit()
    assert len(sink_lines(app)) == 1


def test_publication_and_finalisation_write_checkpoints_shown_on_the_notice(app, tree, client):
    setup = MarkingSetup(tree).with_results_officials()
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    db.session.commit()
    published = db.session.scalars(sa.select(AuditCheckpoint)).one()
    assert (published.reason, published.subject_id) == ("results.publish", str(setup.event.id))
    assert [line["reason"] for line in sink_lines(app)] == ["results.publish"]
    html = client.get(f"/events/{setup.event.id}/results").get_data(as_text=True)
    assert published.fingerprint in html
    starts_at, ends_at = notice_period(setup.event)
    pdf = render_notice(setup.event, result_rows(setup.event), starts_at=starts_at,
                        ends_at=ends_at, printed_at=now)
    assert f"审计检查点 {published.fingerprint}" in pdf_text(pdf)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    db.session.commit()
    assert [line["reason"] for line in sink_lines(app)] == ["results.publish",
                                                            "results.finalise"]
    final = db.session.scalars(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())).first()
    assert final.reason == "results.finalise"
    assert final.fingerprint in client.get(f"/events/{setup.event.id}/results").get_data(
        as_text=True)


# --- key rotation ---------------------------------------------------------------------------

def test_a_rotated_audit_key_still_verifies_the_entries_written_under_the_old_one(app):
    old_id = keys.current_key_id()
    record(SYSTEM, "test.old", ("Thing", 1))
    db.session.commit()
    old_key = app.config["AUDIT_KEY"]
    app.config.update(AUDIT_KEY="a-new-audit-key-" + "x" * 32, AUDIT_RETIRED_KEYS=old_key)
    new = record(SYSTEM, "test.new", ("Thing", 2))
    db.session.commit()
    assert new.key_id != old_id
    assert verify_chain() == (2, None)
    app.config["AUDIT_RETIRED_KEYS"] = ""  # the old key forgotten: its entries cannot verify
    checked, problem = verify_chain()
    assert problem is not None and "unknown audit key" in problem.message


def test_a_rotated_signing_key_still_verifies_old_checkpoints(app):
    record(SYSTEM, "test.a", ("Thing", 1))
    make_checkpoint("before rotation")
    db.session.commit()
    old_public = signing_public_key()
    app.config["AUDIT_SIGNING_KEY"] = "11" * 32
    path = app.config["AUDIT_CHECKPOINT_PATH"]
    runner = app.test_cli_runner()
    assert "not a checkpoint signed by a trusted key" in runner.invoke(
        args=["audit", "verify", "--checkpoints", path]).output
    app.config["AUDIT_VERIFY_KEYS"] = old_public
    assert runner.invoke(args=["audit", "verify", "--checkpoints", path]).exit_code == 0


def test_keyed_digests_hide_the_value_and_verify_under_their_key(app):
    digest = keys.keyed_digest("110105194912310029")
    assert "110105194912310029" not in digest and digest.startswith(keys.current_key_id())
    assert keys.digest_matches(digest, "110105194912310029")
    assert not keys.digest_matches(digest, "110105194912310037")


# --- settings -------------------------------------------------------------------------------

@pytest.fixture
def production_env(monkeypatch):
    for name in ("FLASK_DEBUG", "DATABASE_URL", "AUDIT_KEY", "AUDIT_SIGNING_KEY",
                 "AUDIT_CHECKPOINT_PATH", "AUDIT_RETIRED_KEYS", "AUDIT_VERIFY_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    return monkeypatch


@pytest.mark.parametrize("missing", ["AUDIT_KEY", "AUDIT_SIGNING_KEY", "AUDIT_CHECKPOINT_PATH"])
def test_production_refuses_to_start_without_the_audit_settings(production_env, missing):
    values = {"AUDIT_KEY": "k" * 64, "AUDIT_SIGNING_KEY": "22" * 32,
              "AUDIT_CHECKPOINT_PATH": "/var/lib/audit/checkpoints.jsonl"}
    for name, value in values.items():
        if name != missing:
            production_env.setenv(name, value)
    with pytest.raises(RuntimeError, match=missing):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_an_audit_key_equal_to_the_secret_key(production_env):
    production_env.setenv("AUDIT_KEY", "s" * 64)
    production_env.setenv("AUDIT_SIGNING_KEY", "22" * 32)
    production_env.setenv("AUDIT_CHECKPOINT_PATH", "-")
    with pytest.raises(RuntimeError, match="differ from SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
