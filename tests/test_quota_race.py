"""Capacity and quotas hold when many registrations race for the last place (PostgreSQL)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from competitions.accounts.models import User
from competitions.contests.models import Event
from competitions.extensions import db
from competitions.registration import entries
from competitions.registration.entries import RegistrationRefused
from competitions.registration.models import Entry, EntryStatus, Worker
from tests.factories import (
    make_competition,
    make_enterprise,
    make_event,
    make_occupation,
    make_organiser,
    make_worker,
)

RACERS = 8


@pytest.fixture
def pg_app(backend, request):
    if backend == "sqlite":
        pytest.skip("needs row locks across connections")
    return request.getfixturevalue("app")


def race(app, organiser_id: int, event_id: int, worker_ids: list[int]) -> list[str]:
    """Register every worker at once, each in its own thread, app context and session."""
    barrier = threading.Barrier(len(worker_ids))

    def attempt(worker_id: int) -> str:
        with app.app_context():
            try:
                actor = db.session.get(User, organiser_id)
                event = db.session.get(Event, event_id)
                worker = db.session.get(Worker, worker_id)
                _ = (actor.grants, event.competition.organiser, worker.employer)
                db.session.commit()  # start the race with no transaction open
                barrier.wait(timeout=30)
                try:
                    entries.register(actor, event, [worker])
                except RegistrationRefused as refusal:
                    db.session.rollback()
                    return refusal.rule
                db.session.commit()
                return "registered"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(worker_ids)) as pool:
        return list(pool.map(attempt, worker_ids))


def active_entries(event_id: int, unit_id: int | None = None) -> int:
    stmt = sa.select(sa.func.count(Entry.id)).where(
        Entry.event_id == event_id, Entry.status.in_([s for s in EntryStatus if s.is_active]))
    if unit_id is not None:
        stmt = stmt.where(Entry.unit_id == unit_id)
    return db.session.scalar(stmt)


@pytest.fixture
def city(pg_app, tree):
    organiser = make_organiser(tree.city, "nj_organiser")
    competition = make_competition(tree.city)
    db.session.commit()
    return organiser, competition


def test_one_remaining_place_goes_to_exactly_one_racer(pg_app, tree, city):
    organiser, competition = city
    event = make_event(competition, occupation=make_occupation("焊工"), capacity=3,
                       quota_per_org=None)
    for _ in range(2):
        entries.register(organiser, event, [make_worker(make_enterprise(tree.city))])
    racers = [make_worker(make_enterprise(tree.city)).id for _ in range(RACERS)]
    db.session.commit()

    outcomes = race(pg_app, organiser.id, event.id, racers)

    assert sorted(outcomes) == ["capacity"] * (RACERS - 1) + ["registered"]
    db.session.rollback()
    assert active_entries(event.id) == 3


def test_one_remaining_quota_place_goes_to_exactly_one_racer(pg_app, tree, city):
    organiser, competition = city
    event = make_event(competition, occupation=make_occupation("电工"), quota_per_org=2,
                       capacity=None)
    entries.register(organiser, event, [make_worker(tree.firm)])
    racers = [make_worker(tree.firm).id for _ in range(RACERS)]
    db.session.commit()

    outcomes = race(pg_app, organiser.id, event.id, racers)

    assert sorted(outcomes) == ["quota"] * (RACERS - 1) + ["registered"]
    db.session.rollback()
    assert active_entries(event.id, unit_id=tree.firm.id) == 2
