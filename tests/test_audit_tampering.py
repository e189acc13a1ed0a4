"""The tampering suite of issue 11: each way someone with database access could rewrite the
record, on SQLite and PostgreSQL, and `flask audit verify --checkpoints` finding every one,
naming the first bad entry or the state that differs.

One realistic history (built once per worker and database, its rows restored for each case;
conftest.built_once): a drawn event marked by its judges, a theory
score imported, signed off, decrypted, published (checkpoint), appealed and the appeal
dismissed, finalised (checkpoint) with titles recommended and one approved, and a worker's
profile edited. The attacker then works as the database owner (the triggers dropped where the
case needs it) but without the audit key and without write access to the checkpoint file.
"""

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from competitions.audit.models import AuditEntry, AuditHead
from competitions.audit.services import canonical_json, legacy_hash, record
from competitions.database import utcnow
from competitions.extensions import db
from competitions.registration.models import Worker
from competitions.registration.services import WorkerDetails, update_worker
from competitions.results import honours_rules, lifecycle
from competitions.results.models import Appeal, TitleAward
from tests.factories import MarkingSetup, Tree, make_entry, make_event

A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]


@pytest.fixture
def story(app, built_once):
    """A published, appealed and finalised event with an approved title, built once per worker
    and database (conftest.built_once); each test gets its rows and checkpoints afresh."""
    setup = built_once("audit-story", build_story)
    setup.checkpoints = app.config["AUDIT_CHECKPOINT_PATH"]
    return setup


def build_story():
    setup = MarkingSetup(Tree()).with_results_officials()
    setup.competition.title_rules = [["city_ladder", {}]]
    worker = setup.workers[0]
    update_worker(setup.organiser, worker, WorkerDetails(
        name=worker.name, id_number=worker.id_number, phone="13900000000",
        employer=worker.employer, occupation=worker.occupation, group=worker.group))
    now = utcnow()
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=now)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误", now=now)
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=False, reason="评分符合细则")
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    award = db.session.scalars(sa.select(TitleAward).order_by(TitleAward.id)).first()
    honours_rules.decide_title(setup.organiser, award, approve=True, note="2026 第12号文")
    db.session.commit()
    setup.appeal, setup.award = appeal, award
    setup.chain = f"event:{setup.event.id}"
    setup.checkpoints = current_app.config["AUDIT_CHECKPOINT_PATH"]
    result = verify(current_app, setup)
    assert result.exit_code == 0, result.output
    assert "agrees with 2 signed checkpoints" in result.output
    return setup


def verify(app, setup, *, checkpoints=True):
    args = ["audit", "verify"] + (["--checkpoints", setup.checkpoints] if checkpoints else [])
    return app.test_cli_runner().invoke(args=args)



def entries_of(chain):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.chain == chain)
                              .order_by(AuditEntry.chain_seq)).all()


def last_mark(setup):
    return db.session.execute(sa.text(
        "SELECT m.id, m.value, m.sheet_id FROM marks m JOIN score_sheets s ON s.id = m.sheet_id "
        "WHERE s.event_id = :e ORDER BY m.id DESC LIMIT 1"), {"e": setup.event.id}).one()


def sha(entry_fields) -> str:
    return hashlib.sha256(canonical_json(entry_fields).encode()).hexdigest()


# --- the 14 caught before issue 11, still caught --------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET reason = 'rewritten'",
    "DELETE FROM audit_entries",
])
def test_the_database_refuses_to_change_the_log(app, story, statement, as_owner):
    """Refused to the app (on PostgreSQL it lacks the privilege), and even to the owner."""
    with pytest.raises(sa.exc.DBAPIError, match="append-only|permission denied"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        as_owner(statement)
    assert verify(app, story).exit_code == 0


@pytest.mark.parametrize("column, value", [
    ("after", '{"n":99}'),
    ("actor_name", "someone"),
    ("reason", "nothing happened"),
    ("action", "test.nothing"),
    ("subject_id", "999"),
])
def test_an_edited_field_is_found(app, story, unprotected_log, column, value, as_owner):
    as_owner(f"UPDATE audit_entries SET {column} = :v WHERE chain = :c AND chain_seq = 3",
           v=value, c=story.chain)
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"BROKEN at entry 3 of chain {story.chain}" in result.output


def test_an_edited_time_is_found(app, story, unprotected_log, as_owner):
    as_owner("UPDATE audit_entries SET created_at = :t WHERE chain = :c AND chain_seq = 2",
           t=utcnow() - timedelta(days=30), c=story.chain)
    assert f"BROKEN at entry 2 of chain {story.chain}" in verify(app, story).output


def test_a_deleted_entry_is_found(app, story, unprotected_log, as_owner):
    as_owner("DELETE FROM audit_entries WHERE chain = :c AND chain_seq = 4", c=story.chain)
    result = verify(app, story)
    assert result.exit_code == 1 and "entry 4 is missing" in result.output


def test_a_cut_tail_is_found_by_the_head(app, story, unprotected_log, as_owner):
    as_owner("DELETE FROM audit_entries WHERE chain = :c AND chain_seq > 5", c=story.chain)
    result = verify(app, story)
    assert result.exit_code == 1 and "the chain ends at entry 5 but its head" in result.output


@pytest.mark.parametrize("table", ["marks", "imported_marks"])
def test_a_mark_changed_in_the_database_is_found(app, story, table, as_owner):
    mark_id = db.session.scalar(sa.text(f"SELECT max(id) FROM {table}"))
    as_owner(f"UPDATE {table} SET value = value + 1 WHERE id = :m", m=mark_id)
    result = verify(app, story)
    assert result.exit_code == 1 and "Mark differs from the audit log" in result.output


def test_a_deleted_mark_is_found(app, story, as_owner):
    mark = last_mark(story)
    as_owner("DELETE FROM marks WHERE id = :m", m=mark.id)
    result = verify(app, story)
    assert result.exit_code == 1 and f"sheet {mark.sheet_id}" in result.output


# --- the 11 missed before issue 11 ----------------------------------------------------------

def test_a_cut_tail_with_its_head_moved_back_is_found(app, story, unprotected_log, as_owner):
    entries = entries_of(story.chain)
    keep = entries[len(entries) // 2]
    as_owner("DELETE FROM audit_entries WHERE chain = :c AND chain_seq > :s",
           c=story.chain, s=keep.chain_seq)
    as_owner("UPDATE audit_heads SET seq = :s, last_hash = :h WHERE chain = :c",
           s=keep.chain_seq, h=keep.hash, c=story.chain)
    result = verify(app, story, checkpoints=False)
    assert result.exit_code == 1 and "head was not written by the application" in result.output


def test_a_head_rolled_back_to_an_earlier_copy_is_found_by_the_checkpoints(
        app, story, unprotected_log, as_owner):
    """An attacker who kept a copy of the head row (a backup) can roll the chain back to it
    without the key: only a checkpoint written since can tell."""
    old = db.session.get(AuditHead, story.chain)
    saved = (old.seq, old.last_hash, old.key_id, old.mac)
    record(story.chief, "test.later", story.event, after={"n": 1})
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    as_owner("DELETE FROM audit_entries WHERE chain = :c AND chain_seq > :s",
           c=story.chain, s=saved[0])
    as_owner("UPDATE audit_heads SET seq = :s, last_hash = :h, key_id = :k, mac = :m "
           "WHERE chain = :c", s=saved[0], h=saved[1], k=saved[2], m=saved[3], c=story.chain)
    assert verify(app, story, checkpoints=False).exit_code == 0  # the limit, stated
    result = verify(app, story)
    assert result.exit_code == 1
    assert (f"records chain {story.chain} at entry {saved[0] + 1}, but the log ends at entry "
            f"{saved[0]}") in result.output


@pytest.mark.parametrize("keep_key_id", [True, False])
def test_a_chain_rehashed_with_plain_sha256_is_found(app, story, unprotected_log,
                                                     keep_key_id, as_owner):
    """Recompute every hash from entry 3 on over an edited history, and the head."""
    entries = entries_of(story.chain)
    previous = entries[1].hash
    for entry in entries[2:]:
        if entry.chain_seq == 3:
            entry.reason = "rewritten"
        fields = [entry.seq, previous, entry.created_at.isoformat(timespec="microseconds"),
                  entry.actor_id, entry.actor_name, entry.action, entry.subject_type,
                  entry.subject_id, entry.before, entry.after, entry.reason]
        new_hash = sha(fields)
        updates = {"h": new_hash, "p": previous, "r": entry.reason, "i": entry.id}
        db.session.rollback()
        as_owner("UPDATE audit_entries SET hash = :h, prev_hash = :p, reason = :r"
               + ("" if keep_key_id else ", key_id = NULL") + " WHERE id = :i", **updates)
        previous = new_hash
    as_owner("UPDATE audit_heads SET last_hash = :h WHERE chain = :c", h=previous, c=story.chain)
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"BROKEN at entry 3 of chain {story.chain}" in result.output
    assert ("altered or forged" if keep_key_id else "carries no MAC") in result.output


def test_a_forged_correction_matching_a_changed_mark_is_found(app, story,
                                                              unprotected_log, as_owner):
    mark = last_mark(story)
    head = db.session.get(AuditHead, story.chain)
    forged = AuditEntry(
        seq=db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) + 1, chain=story.chain,
        chain_seq=head.seq + 1, created_at=utcnow(), actor_id=story.chief.id,
        actor_name=story.chief.username, action="mark.correct", subject_type="Entry",
        subject_id="1", before=None,
        after=canonical_json({"sheet": mark.sheet_id, "marks": {"B1": "59.00"}}),
        reason="复核", key_id=head.key_id, prev_hash=head.last_hash)
    forged.hash = legacy_hash(forged)  # the best an attacker without the key can do
    db.session.rollback()
    as_owner("UPDATE marks SET value = 59 WHERE id = :m", m=mark.id)
    db.session.add(forged)
    db.session.commit()
    as_owner("UPDATE audit_heads SET seq = seq + 1, last_hash = :h WHERE chain = :c",
           h=forged.hash, c=story.chain)
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"entry {forged.chain_seq} of chain {story.chain}" in result.output
    assert "altered or forged" in result.output


def test_changed_results_are_found(app, story, as_owner):
    as_owner("UPDATE results SET total = total + 5 WHERE event_id = :e AND rank = 4",
           e=story.event.id)
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"event {story.event.id}: the stored results" in result.output


def test_a_changed_award_is_found(app, story, as_owner):
    as_owner("""UPDATE results SET awards = '["gold"]' WHERE event_id = :e AND rank = 4""",
             e=story.event.id)
    assert "Result differs from the audit log" in verify(app, story).output


@pytest.mark.parametrize("column, value", [("state", "declined"),
                                           ("title", "technical_pacesetter")])
def test_a_changed_title_is_found(app, story, column, value, as_owner):
    as_owner(f"UPDATE title_awards SET {column} = :v WHERE id = :a", v=value, a=story.award.id)
    result = verify(app, story)
    assert result.exit_code == 1 and f"title award {story.award.id}" in result.output


def test_swapped_blind_codes_are_found(app, story, as_owner):
    first, second = story.entries[0], story.entries[1]
    codes = (first.blind_code, second.blind_code)
    as_owner("UPDATE entries SET blind_code = NULL WHERE id = :a", a=first.id)
    as_owner("UPDATE entries SET blind_code = :c WHERE id = :b", c=codes[0], b=second.id)
    as_owner("UPDATE entries SET blind_code = :c WHERE id = :a", c=codes[1], a=first.id)
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"entry {first.id}: its entry number, check-in code or blind code" in result.output
    assert codes[0] not in result.output and codes[1] not in result.output


def test_a_changed_appeal_decision_is_found(app, story, as_owner):
    as_owner("UPDATE appeals SET status = 'upheld', decision = '成绩有误' WHERE id = :a",
           a=story.appeal.id)
    result = verify(app, story)
    assert result.exit_code == 1 and f"appeal {story.appeal.id}" in result.output


def test_a_changed_stage_is_found(app, story, as_owner):
    as_owner("UPDATE events SET stage = 'published' WHERE id = :e", e=story.event.id)
    result = verify(app, story)
    assert result.exit_code == 1 and f"event {story.event.id} stage" in result.output


@pytest.mark.parametrize("column, value, expected", [
    ("name", "王小明", "name: stored 王小明"),
    ("id_number", "11010519491231002X", "the stored ID number is not the one recorded"),
])
def test_a_changed_worker_identity_is_found(app, story, column, value, expected, as_owner):
    worker = story.workers[0]
    as_owner(f"UPDATE workers SET {column} = :v WHERE id = :w", v=value, w=worker.id)
    result = verify(app, story)
    assert result.exit_code == 1 and f"worker {worker.id}" in result.output
    assert expected in result.output


def test_a_changed_competition_state_is_found(app, story, as_owner):
    competition = story.competition
    as_owner("UPDATE competitions SET state = 'registration' WHERE id = :c", c=competition.id)
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"competition {competition.id} state: stored registration" in result.output


# --- rows inserted behind the application's back --------------------------------------------

def test_an_inserted_appeal_is_found(app, story, as_owner):
    as_owner("INSERT INTO appeals (event_id, entry_id, filed_by_id, text, filed_at, status) "
             "SELECT event_id, entry_id, filed_by_id, '伪造', filed_at, 'upheld' FROM appeals "
             "WHERE id = :a", a=story.appeal.id)
    forged = db.session.scalar(sa.select(sa.func.max(Appeal.id)))
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"appeal {forged}: stored but never recorded in the audit log" in result.output


def test_an_inserted_title_award_is_found(app, story, as_owner):
    as_owner("INSERT INTO title_awards (competition_id, event_id, worker_id, title, rule, rank, "
             "state, created_at) SELECT competition_id, event_id, worker_id, "
             "'national_may_day_medal', rule, rank, 'approved', created_at FROM title_awards "
             "WHERE id = :a", a=story.award.id)
    forged = db.session.scalar(sa.select(sa.func.max(TitleAward.id)))
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"title award {forged}: stored but never recorded" in result.output


def test_an_inserted_worker_is_found(app, story, as_owner):
    columns = [c.name for c in Worker.__table__.columns if c.name not in ("id", "id_number",
                                                                            "user_id")]
    listed = ", ".join(f'"{name}"' for name in columns)
    as_owner(f"INSERT INTO workers ({listed}, id_number) SELECT {listed}, '11010519491231002X' "
             "FROM workers WHERE id = :w", w=story.workers[0].id)
    forged = db.session.scalar(sa.select(sa.func.max(Worker.id)))
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"worker {forged}: stored but never recorded" in result.output


def test_results_inserted_for_an_unpublished_event_are_found(app, story, as_owner):
    other = make_event(story.competition, "电工")
    entry = make_entry(other, story.workers[0])
    db.session.commit()
    as_owner("INSERT INTO results (event_id, entry_id, rank, total, components, penalties, "
             "standardised, computed_at) SELECT :e, :n, 1, total, components, penalties, "
             "standardised, computed_at FROM results WHERE event_id = :p AND rank = 1",
             e=other.id, n=entry.id, p=story.event.id)
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"event {other.id}: results are stored that were never published" in result.output


def test_a_forged_checkpoint_is_refused(app, story, tmp_path):
    with open(story.checkpoints, encoding="utf-8") as sink:
        lines = sink.read().splitlines()
    forged = tmp_path / "forged.jsonl"
    forged.write_text(lines[0].replace('"reason":"results.publish"', '"reason":"x"') + "\n")
    story.checkpoints = str(forged)
    result = verify(app, story)
    assert result.exit_code == 1 and "signature does not match" in result.output


# --- PostgreSQL: TRUNCATE, replica mode, disabled triggers ----------------------------------

@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("TRUNCATE, replica mode and disabling triggers exist on PostgreSQL only; "
                    "this runs on PostgreSQL")


@pytest.mark.parametrize("table", ["audit_entries", "audit_heads", "audit_checkpoints"])
def test_truncate_is_refused_to_the_app_and_to_the_owner(app, story, postgresql_only, as_owner,
                                                        table):
    """The application's role lacks the privilege; the owner has it, and meets the
    statement-level trigger."""
    with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
        db.session.execute(sa.text(f"TRUNCATE {table} CASCADE"))
    db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError, match="append-only|only move forward"):
        as_owner(f"TRUNCATE {table} CASCADE")
    assert verify(app, story).exit_code == 0


def test_replica_mode_then_truncate_is_found(app, story, postgresql_only, owner_engine):
    """As a superuser, replica mode skips the triggers; the cut log is still found."""
    with owner_engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("DELETE FROM audit_entries WHERE chain = :c"), {"c": story.chain})
        conn.execute(sa.text("DELETE FROM audit_heads WHERE chain = :c"), {"c": story.chain})
    result = verify(app, story)
    assert result.exit_code == 1
    assert f"records chain {story.chain} at entry" in result.output


def test_disabled_triggers_then_rewrite_is_found(app, story, postgresql_only, as_owner):
    """As the owner, the triggers can be disabled; the rewritten entry is still found."""
    try:
        as_owner("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        as_owner("UPDATE audit_entries SET reason = 'x' WHERE chain = :c AND chain_seq = 2",
                 c=story.chain)
        result = verify(app, story)
    finally:
        as_owner("ALTER TABLE audit_entries ENABLE TRIGGER USER")
    assert result.exit_code == 1
    assert f"BROKEN at entry 2 of chain {story.chain}" in result.output
