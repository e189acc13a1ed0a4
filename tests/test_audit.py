"""The append-only, keyed audit chains: writing, verifying, tampering, concurrency.

The tampering suite of issue 11 (each case on SQLite and PostgreSQL) is in
tests/test_audit_tampering.py; checkpoints in tests/test_audit_checkpoints.py."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from competitions.accounts.models import SYSTEM, Role
from competitions.audit.models import (
    GENESIS_HASH,
    PLATFORM_CHAIN,
    AuditEntry,
    AuditHead,
)
from competitions.audit.services import chain_of, record, verify_chain
from competitions.extensions import db
from tests.factories import (
    make_admin,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)


def chain():
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()


def write_entries(count, actor=SYSTEM):
    entries = [record(actor, "test.step", ("Thing", n), after={"n": n}) for n in range(count)]
    db.session.commit()
    return entries





# --- writing --------------------------------------------------------------------------------

def test_record_builds_a_linked_chain(app):
    user = make_user("wangli")
    entries = [
        record(SYSTEM, "test.first", ("Thing", 1)),
        record(user, "test.second", user, before={"name": "旧"}, after={"name": "新"},
               reason="typo"),
        record(None, "test.third", ("Thing", 3)),
    ]
    db.session.commit()
    assert [e.seq for e in chain()] == [1, 2, 3]
    assert [(e.chain, e.chain_seq) for e in chain()] == [(PLATFORM_CHAIN, n) for n in (1, 2, 3)]
    assert entries[0].prev_hash == GENESIS_HASH and entries[0].key_id is not None
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert entries[1].actor_id == user.id and entries[1].actor_name == "wangli"
    assert (entries[1].subject_type, entries[1].subject_id) == ("User", str(user.id))
    assert entries[1].after == '{"name":"新"}'
    assert entries[2].actor_name == "system"
    head = db.session.get(AuditHead, PLATFORM_CHAIN)
    assert (head.seq, head.last_hash) == (3, entries[-1].hash) and head.mac is not None


def test_each_event_and_competition_has_its_own_chain(app, tree):
    competition = make_competition(tree.province)
    event = make_event(competition)
    other = make_event(competition, "电工")
    entry = make_entry(event, make_worker(tree.firm))
    db.session.flush()
    assert chain_of(event) == chain_of(entry) == f"event:{event.id}"
    assert chain_of(other) == f"event:{other.id}"
    assert chain_of(competition) == f"competition:{competition.id}"
    assert chain_of(tree.firm) == PLATFORM_CHAIN
    first = record(SYSTEM, "test.a", ("Entry", entry.id))
    second = record(SYSTEM, "test.b", other)
    third = record(SYSTEM, "test.c", event)
    named = record(SYSTEM, "test.d", ("Thing", 1), chain=f"event:{other.id}")
    db.session.commit()
    assert (first.chain, first.chain_seq) == (f"event:{event.id}", 1)
    assert (third.chain, third.chain_seq) == (f"event:{event.id}", 2)
    assert (second.chain_seq, named.chain, named.chain_seq) == (1, f"event:{other.id}", 2)
    # The order across chains is the order of recording.
    assert [e.seq - first.seq for e in (first, second, third, named)] == [0, 1, 2, 3]
    assert verify_chain()[1] is None


def test_the_legacy_chain_is_sealed(app):
    with pytest.raises(ValueError, match="sealed"):
        record(SYSTEM, "test.forged", ("Thing", 1), chain="legacy")


def test_values_are_recorded_as_canonical_json(app):
    entry = record(SYSTEM, "test.values", ("Thing", 1), after={
        "total": Decimal("87.50"), "born": date(1990, 5, 17), "role": Role.JUDGE, "b": 1, "a": 2})
    assert entry.after == '{"a":2,"b":1,"born":"1990-05-17","role":"judge","total":"87.50"}'


def test_unauditable_values_are_refused(app):
    with pytest.raises(TypeError, match="cannot audit"):
        record(SYSTEM, "test.values", ("Thing", 1), after={"x": object()})


def test_empty_log_verifies(app):
    assert verify_chain() == (0, None)


def test_intact_chain_verifies(app):
    write_entries(7)
    assert verify_chain() == (7, None)
    assert verify_chain(batch_size=3) == (7, None)


# --- the database refuses changes -----------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET reason = 'rewritten' WHERE seq = 2",
    "DELETE FROM audit_entries WHERE seq = 2",
])
def test_triggers_block_updates_and_deletes(app, statement, as_owner):
    """Refused to the app (on PostgreSQL it lacks the privilege), and even to the owner."""
    write_entries(3)
    with pytest.raises(sa.exc.DBAPIError, match="append-only|permission denied"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        as_owner(statement)
    assert verify_chain() == (3, None)


# --- tampering is detected ------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [5000, 2])
def test_altered_field_is_detected(app, unprotected_log, batch_size, as_owner):
    write_entries(5)
    as_owner("UPDATE audit_entries SET after = :after WHERE seq = 3", after='{"n":99}')
    checked, problem = verify_chain(batch_size=batch_size)
    assert (checked, problem.seq) == (2, 3)
    assert "altered" in problem.message


def test_altered_entry_with_recomputed_hash_breaks_the_next_link(app, unprotected_log, as_owner):
    from competitions.audit.services import entry_hash
    write_entries(5)
    entry = chain()[2]
    entry.reason = "rewritten"
    forged = entry_hash(entry)
    db.session.rollback()
    as_owner("UPDATE audit_entries SET reason = 'rewritten', hash = :h WHERE seq = 3", h=forged)
    checked, problem = verify_chain()
    assert (checked, problem.seq) == (3, 4)
    assert "does not follow" in problem.message


@pytest.mark.parametrize("batch_size", [5000, 2])
def test_deleted_middle_entry_is_detected(app, unprotected_log, batch_size, as_owner):
    write_entries(5)
    as_owner("DELETE FROM audit_entries WHERE seq = 3")
    checked, problem = verify_chain(batch_size=batch_size)
    assert (checked, problem.seq) == (2, 3)
    assert "missing" in problem.message


def test_truncated_tail_is_detected_by_the_head(app, unprotected_log, as_owner):
    write_entries(5)
    as_owner("DELETE FROM audit_entries WHERE seq >= 4")
    checked, problem = verify_chain()
    assert (checked, problem.seq) == (3, 5)
    assert "head" in problem.message


def test_verify_command_reports_the_broken_entry(app, unprotected_log, as_owner):
    write_entries(4)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "4 entries verified" in result.output
    as_owner("UPDATE audit_entries SET actor_name = 'someone' WHERE seq = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 2 of chain platform" in result.output


# --- concurrent writers ---------------------------------------------------------------------

def test_concurrent_appends_keep_one_contiguous_chain(app):
    """Eight writers with their own sessions, as several gunicorn workers would be."""
    threads_count, per_thread = 8, 10
    errors = []
    start = threading.Barrier(threads_count)

    def writer(number):
        try:
            with app.app_context():
                start.wait()
                for step in range(per_thread):
                    record(None, "test.concurrent", ("Writer", number), after={"step": step})
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = threads_count * per_thread
    assert [e.chain_seq for e in chain()] == list(range(1, total + 1))
    assert verify_chain() == (total, None)


def test_concurrent_appends_to_several_chains_keep_each_contiguous(app):
    """Four writers in each of two events: each event's chain stays gapless and linked."""
    errors = []
    start = threading.Barrier(8)

    def writer(number):
        try:
            with app.app_context():
                start.wait()
                for step in range(10):
                    record(None, "test.concurrent", ("Writer", number), after={"step": step},
                           chain=f"event:{number % 2 + 1}")
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for name in ("event:1", "event:2"):
        assert [e.chain_seq for e in chain() if e.chain == name] == list(range(1, 41))
    assert len({e.seq for e in chain()}) == 80
    assert verify_chain() == (80, None)


# --- the audit page -------------------------------------------------------------------------

def test_two_transactions_writing_two_chains_in_opposite_orders_both_commit(app):
    """Each records on one chain, waits until the other has too, then records on the other
    chain: had each held its first head, they would deadlock (PostgreSQL would abort one)."""
    both_recorded = threading.Barrier(2, timeout=30)
    errors = []

    def writer(first, second):
        try:
            with app.app_context():
                record(None, "test.first", ("Thing", 1), chain=first)
                db.session.flush()
                both_recorded.wait()
                record(None, "test.second", ("Thing", 2), chain=second)
                db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=writer, args=("event:1", "event:2")),
               threading.Thread(target=writer, args=("event:2", "event:1"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert verify_chain() == (4, None)
    heads = {head.chain: head.seq for head in db.session.scalars(sa.select(AuditHead))}
    assert heads == {"event:1": 2, "event:2": 2}


def test_an_entry_recorded_in_a_rolled_back_savepoint_or_transaction_never_joins_a_chain(app):
    record(SYSTEM, "test.kept", ("Thing", 1))
    with pytest.raises(RuntimeError), db.session.begin_nested():
        record(SYSTEM, "test.undone", ("Thing", 2))
        raise RuntimeError("refused")
    db.session.commit()
    record(SYSTEM, "test.abandoned", ("Thing", 3))
    db.session.rollback()
    db.session.commit()
    assert [entry.action for entry in chain()] == ["test.kept"]
    assert verify_chain() == (1, None)


def test_admin_sees_the_audit_log_and_filters_it(client, tree, login_as):
    record(SYSTEM, "organisation.move", tree.firm, reason="reorganised")
    record(SYSTEM, "account.create", ("User", 42))
    admin = make_admin()
    db.session.commit()
    login_as(admin)
    html = client.get("/audit/").get_data(as_text=True)
    assert "organisation.move" in html and "account.create" in html and "reorganised" in html
    html = client.get("/audit/", query_string={"action": "organisation."}).get_data(as_text=True)
    assert "organisation.move" in html and "account.create" not in html


@pytest.mark.parametrize("who", ["organiser", "worker"])
def test_audit_log_is_forbidden_to_others(client, tree, login_as, who):
    user = (make_organiser(tree.province) if who == "organiser"
            else make_worker(tree.firm, user=make_user()).user)
    db.session.commit()
    login_as(user)
    assert client.get("/audit/").status_code == 403


def test_audit_log_sends_anonymous_visitors_to_log_in(client, app):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login")
