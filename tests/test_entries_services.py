"""Entry services: every eligibility refusal names its rule; the two-step approval; nominations."""

import itertools
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from competitions.accounts.models import AnonymousUser
from competitions.audit.models import AuditEntry
from competitions.contests.models import CompetitionState, EventGroup
from competitions.database import utcnow
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.notifications.models import Notification
from competitions.promotion.levels import SkillLevel
from competitions.registration import entries
from competitions.registration.entries import InvalidDecision, RegistrationRefused
from competitions.registration.models import Entry, EntryStatus, Nomination, WorkerTitle
from competitions.results.honours import HonourTitle
from tests.factories import (
    make_admin,
    make_competition,
    make_enterprise,
    make_event,
    make_occupation,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

FIRST_DAY = date(2027, 3, 15)
_names = itertools.count(1)









def born(day: date, **kwargs) -> str:
    return valid_id_number(day, **kwargs)


@pytest.fixture
def area(tree):
    """A city competition run by 南京市总工会, one open individual event, one person per role."""
    ns = SimpleNamespace(tree=tree)
    ns.second_firm = make_enterprise(tree.city, "南京汽车集团")
    ns.organiser = make_organiser(tree.city, "nj_organiser")           # the competition's
    ns.unit_organiser = make_organiser(tree.firm, "firm_organiser")    # of the worker's unit
    ns.other_organiser = make_organiser(tree.other_city, "sz_organiser")
    ns.admin = make_admin()
    ns.worker_user = make_user("worker")
    ns.worker = make_worker(tree.firm, name="张三明", user=ns.worker_user,
                            skill_level=SkillLevel.LEVEL_3)
    ns.competition = make_competition(tree.city)
    ns.event = make_event(ns.competition)
    db.session.commit()
    return ns


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are lazily translated; English makes them readable in assertions."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def refused(actor, event, workers, **kwargs) -> RegistrationRefused:
    with pytest.raises(RegistrationRefused) as caught:
        entries.register(actor, event, workers, **kwargs)
    db.session.rollback()
    return caught.value


@contextmanager
def counted_statements():
    """The SQL statements run inside the block."""
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def active_entries(event) -> int:
    return db.session.scalar(sa.select(sa.func.count(Entry.id)).where(
        Entry.event_id == event.id, Entry.status.in_([s for s in EntryStatus if s.is_active])))


# --- every eligibility refusal, through register() ------------------------------------------

def test_an_eligible_worker_registered_by_an_organiser_waits_for_approval(area):
    entry = entries.register(area.organiser, area.event, [area.worker])
    assert entry.status is EntryStatus.PENDING_APPROVAL
    assert entry.unit == area.tree.firm and entry.endorsed_by_id == area.organiser.id


def test_a_worker_registering_themselves_waits_for_endorsement(area):
    entry = entries.register(area.worker_user, area.event, [area.worker])
    assert entry.status is EntryStatus.PENDING_ENDORSEMENT and entry.endorsed_by_id is None


def test_refuses_a_worker_under_sixteen_on_the_first_day(area):
    young = make_worker(area.tree.firm, id_number=born(date(2011, 3, 16)))
    error = refused(area.organiser, area.event, [young])
    assert error.rule == "age" and "the minimum is 16" in str(error.message)


def test_refuses_a_worker_past_statutory_retirement_age(area):
    retired = make_worker(area.tree.firm, id_number=born(date(1962, 1, 10)))
    error = refused(area.organiser, area.event, [retired])
    assert error.rule == "retirement" and "retirement age" in str(error.message)


def test_refuses_a_worker_above_the_maximum_age(area):
    event = make_event(area.competition, occupation=make_occupation("电工"), max_age=35)
    older = make_worker(area.tree.firm, id_number=born(date(1985, 1, 1)))
    error = refused(area.organiser, event, [older])
    assert error.rule == "age" and "the maximum is 35" in str(error.message)


def test_refuses_a_worker_below_the_minimum_level(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       min_level=SkillLevel.LEVEL_2)
    error = refused(area.organiser, event, [area.worker])
    assert error.rule == "level" and "at least the skill level" in str(error.message)


def test_refuses_a_worker_without_a_level_when_a_minimum_is_set(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       min_level=SkillLevel.LEVEL_5)
    unlevelled = make_worker(area.tree.firm)
    assert refused(area.organiser, event, [unlevelled]).rule == "level"


def test_refuses_a_worker_above_the_maximum_level(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       max_level=SkillLevel.LEVEL_4)
    error = refused(area.organiser, event, [area.worker])
    assert error.rule == "level" and "only up to the skill level" in str(error.message)


def test_refuses_a_worker_of_another_group(area):
    student = make_worker(area.tree.firm, group=EventGroup.STUDENT)
    error = refused(area.organiser, area.event, [student])
    assert error.rule == "group" and "another group" in str(error.message)


def test_refuses_the_holder_of_a_barring_title(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       barred_titles=[HonourTitle.NATIONAL_TECHNICAL_EXPERT.value])
    db.session.add(WorkerTitle(worker_id=area.worker.id,
                               title=HonourTitle.NATIONAL_TECHNICAL_EXPERT, year=2024))
    error = refused(area.organiser, event, [area.worker])
    assert error.rule == "title" and "National Technical Expert" in str(error.message)


def test_refuses_a_worker_without_the_required_nomination(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       nomination_required=True)
    error = refused(area.organiser, event, [area.worker])
    assert error.rule == "nomination" and "requires a nomination" in str(error.message)


def test_a_nomination_lets_the_worker_register(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       nomination_required=True)
    entries.nominate(area.unit_organiser, event, area.worker, "厂级比武第一名")
    assert entries.register(area.worker_user, event, [area.worker]).status \
        is EntryStatus.PENDING_ENDORSEMENT


@pytest.mark.parametrize("state", [CompetitionState.DRAFT, CompetitionState.REVIEW,
                                   CompetitionState.DRAWN])
def test_refuses_when_the_competition_is_not_taking_registrations(area, state):
    area.competition.state = state
    error = refused(area.organiser, area.event, [area.worker])
    assert error.rule == "closed" and "is not open" in str(error.message)


@pytest.mark.parametrize("opens, closes", [
    (timedelta(days=1), timedelta(days=5)),      # not yet open
    (timedelta(days=-5), timedelta(days=-1)),    # already closed
])
def test_refuses_outside_the_registration_dates(area, opens, closes):
    now = utcnow()
    area.competition.registration_opens_at = now + opens
    area.competition.registration_closes_at = now + closes
    assert refused(area.organiser, area.event, [area.worker]).rule == "closed"


def test_refuses_a_second_registration_of_the_same_worker(area):
    entries.register(area.worker_user, area.event, [area.worker])
    db.session.commit()
    error = refused(area.organiser, area.event, [area.worker])
    assert error.rule == "duplicate" and "already registered" in str(error.message)
    assert active_entries(area.event) == 1


def test_a_withdrawn_worker_may_register_again(area):
    entry = entries.register(area.worker_user, area.event, [area.worker])
    entries.withdraw(area.worker_user, entry)
    assert entries.register(area.worker_user, area.event, [area.worker]).status.is_active


def test_refuses_when_the_units_quota_is_used(area):
    event = make_event(area.competition, occupation=make_occupation("电工"), quota_per_org=1)
    entries.register(area.organiser, event, [area.worker])
    colleague = make_worker(area.tree.firm, name="李四")
    error = refused(area.organiser, event, [colleague])
    assert error.rule == "quota" and "南京钢铁集团 has used its quota of 1" in str(error.message)
    other_unit = make_worker(area.second_firm, name="王五")
    assert entries.register(area.organiser, event, [other_unit]).unit == area.second_firm


def test_rejected_and_withdrawn_entries_give_their_quota_place_back(area):
    event = make_event(area.competition, occupation=make_occupation("电工"), quota_per_org=1)
    entry = entries.register(area.organiser, event, [area.worker])
    entries.decide(area.organiser, entry, approve=False, reason="材料不全")
    assert entries.register(area.organiser, event, [make_worker(area.tree.firm)]).status \
        is EntryStatus.PENDING_APPROVAL


def test_refuses_when_the_event_is_full(area):
    event = make_event(area.competition, occupation=make_occupation("电工"), capacity=1)
    entries.register(area.organiser, event, [area.worker])
    error = refused(area.organiser, event, [make_worker(area.second_firm)])
    assert error.rule == "capacity" and "full (1 places)" in str(error.message)


def test_refuses_a_worker_outside_the_competitions_area(area):
    outsider = make_worker(area.tree.other_firm, name="苏州人")
    error = refused(area.admin, area.event, [outsider])
    assert error.rule == "area" and "outside the area" in str(error.message)


def test_an_organiser_cannot_register_workers_of_other_units(area):
    colleague = make_worker(area.second_firm)
    with pytest.raises(PermissionDenied):
        entries.register(area.unit_organiser, area.event, [colleague])


def test_a_worker_cannot_register_someone_else(area):
    colleague = make_worker(area.tree.firm, name="李四")
    with pytest.raises(PermissionDenied):
        entries.register(area.worker_user, area.event, [colleague])


def test_a_team_needs_the_right_number_of_different_members_and_a_name(area):
    team_event = make_event(area.competition, occupation=make_occupation("汽车维修工"),
                            team_size=2)
    mate = make_worker(area.tree.firm, name="李四")
    assert refused(area.organiser, team_event, [area.worker]).rule == "team"
    assert refused(area.organiser, team_event, [area.worker, area.worker]).rule == "team"
    error = refused(area.organiser, team_event, [area.worker, mate], team_name=" ")
    assert error.rule == "team" and error.field == "team_name"
    entry = entries.register(area.organiser, team_event, [area.worker, mate], team_name="钢铁队")
    assert entry.leader == area.worker and entry.display_name == "钢铁队"


def test_a_team_member_already_entered_elsewhere_in_the_event_is_a_duplicate(area):
    team_event = make_event(area.competition, occupation=make_occupation("汽车维修工"),
                            team_size=2)
    mates = [make_worker(area.tree.firm, name=n) for n in ("李四", "王五")]
    entries.register(area.organiser, team_event, [area.worker, mates[0]], team_name="一队")
    error = refused(area.organiser, team_event, [mates[1], area.worker], team_name="二队")
    assert error.rule == "duplicate" and "张三明" in str(error.message)


# --- the two-step approval and its permissions ---------------------------------------------

ROLES = ["anonymous", "worker", "other_organiser", "unit_organiser", "organiser", "admin"]


def actor(area, role):
    return AnonymousUser() if role == "anonymous" else getattr(area, {
        "worker": "worker_user"}.get(role, role))


@pytest.fixture
def pending(area):
    """The worker's own registration, waiting for the unit's endorsement."""
    entry = entries.register(area.worker_user, area.event, [area.worker])
    db.session.commit()
    return entry


@pytest.mark.parametrize("role, allowed", zip(
    ROLES, [False, False, False, True, True, True], strict=True))
def test_who_may_endorse(area, pending, role, allowed):
    if allowed:
        entries.endorse(actor(area, role), pending)
        assert pending.status is EntryStatus.PENDING_APPROVAL
    else:
        with pytest.raises(PermissionDenied):
            entries.endorse(actor(area, role), pending)


@pytest.mark.parametrize("role, allowed", zip(
    ROLES, [False, False, False, False, True, True], strict=True))
@pytest.mark.parametrize("approve", [True, False])
def test_who_may_approve_or_reject(area, pending, role, allowed, approve):
    entries.endorse(area.unit_organiser, pending)
    if allowed:
        entries.decide(actor(area, role), pending, approve=approve, reason="名额调整")
        assert pending.status is (EntryStatus.APPROVED if approve else EntryStatus.REJECTED)
    else:
        with pytest.raises(PermissionDenied):
            entries.decide(actor(area, role), pending, approve=approve, reason="名额调整")


@pytest.mark.parametrize("role, allowed", zip(
    ROLES, [False, True, False, True, True, True], strict=True))
def test_who_may_withdraw(area, pending, role, allowed):
    if allowed:
        entries.withdraw(actor(area, role), pending)
        assert pending.status is EntryStatus.WITHDRAWN
        assert not any(member.active for member in pending.members)
    else:
        with pytest.raises(PermissionDenied):
            entries.withdraw(actor(area, role), pending)


def test_an_entry_is_approved_only_after_endorsement(area, pending):
    with pytest.raises(InvalidDecision):
        entries.decide(area.organiser, pending, approve=True)


def test_a_rejection_needs_a_reason(area, pending):
    with pytest.raises(InvalidDecision) as caught:
        entries.decide(area.organiser, pending, approve=False, reason="  ")
    assert caught.value.field == "reason"


def test_an_entry_cannot_be_endorsed_twice(area, pending):
    entries.endorse(area.unit_organiser, pending)
    with pytest.raises(InvalidDecision):
        entries.endorse(area.unit_organiser, pending)


def test_a_withdrawn_entry_cannot_be_withdrawn_again(area, pending):
    entries.withdraw(area.worker_user, pending)
    with pytest.raises(InvalidDecision):
        entries.withdraw(area.worker_user, pending)


def test_approve_endorsed_approves_only_endorsed_entries(area, pending):
    endorsed = entries.register(area.organiser, area.event, [make_worker(area.second_firm)])
    approved = entries.approve_endorsed(area.organiser, area.event)
    assert approved == [endorsed] and endorsed.status is EntryStatus.APPROVED
    assert pending.status is EntryStatus.PENDING_ENDORSEMENT
    with pytest.raises(PermissionDenied):
        entries.approve_endorsed(area.unit_organiser, area.event)


def test_each_step_is_audited_with_its_reason(area, pending):
    entries.endorse(area.unit_organiser, pending)
    entries.decide(area.organiser, pending, approve=False, reason="证书过期")
    db.session.commit()  # audit entries join their chains at commit
    rows = db.session.execute(sa.select(AuditEntry.action, AuditEntry.reason).where(
        AuditEntry.subject_type == "Entry", AuditEntry.subject_id == str(pending.id))
        .order_by(AuditEntry.seq)).all()
    assert rows == [("entry.register", None), ("entry.endorse", None),
                    ("entry.reject", "证书过期")]


def test_the_entrant_is_notified_of_every_status_change(area, pending):
    entries.endorse(area.unit_organiser, pending)
    entries.decide(area.organiser, pending, approve=True)
    entries.withdraw(area.worker_user, pending)
    statuses = db.session.scalars(sa.select(Notification.params).where(
        Notification.user_id == area.worker_user.id).order_by(Notification.id)).all()
    assert [p["status"] for p in statuses] == [
        "pending_endorsement", "pending_approval", "approved", "withdrawn"]


def test_refusals_for_lists_every_failed_rule(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       max_level=SkillLevel.LEVEL_4, nomination_required=True)
    assert [r.rule for r in entries.refusals_for(area.worker, event)] == ["level", "nomination"]


def test_eligibility_table_covers_every_pair_in_two_queries(area):
    events = [area.event, make_event(area.competition, occupation=make_occupation("电工"),
                                     min_level=SkillLevel.LEVEL_1)]
    workers = [area.worker, make_worker(area.tree.firm, id_number=born(date(2012, 1, 1)))]
    for loaded in (*workers, *events):  # loaded before counting, as a page would have them
        db.session.refresh(loaded)
    with counted_statements() as statements:
        table = entries.eligibility_table(workers, events)
    assert len(statements) == 2, statements
    assert [r.rule for r in table[(area.worker.id, events[1].id)]] == ["level"]
    assert [r.rule for r in table[(workers[1].id, events[0].id)]] == ["age"]
    assert table[(area.worker.id, area.event.id)] == []


# --- nominations ------------------------------------------------------------------------------

@pytest.fixture
def nominated_event(area):
    event = make_event(area.competition, occupation=make_occupation("电工"),
                       nomination_required=True)
    db.session.commit()
    return event


@pytest.mark.parametrize("role, allowed", zip(
    ROLES, [False, False, False, True, True, True], strict=True))
def test_who_may_nominate(area, nominated_event, role, allowed):
    if allowed:
        nomination = entries.nominate(actor(area, role), nominated_event, area.worker)
        assert nomination.nominated_by == area.tree.firm
    else:
        with pytest.raises(PermissionDenied):
            entries.nominate(actor(area, role), nominated_event, area.worker)


def test_a_nomination_is_audited_and_not_made_twice(area, nominated_event):
    nomination = entries.nominate(area.unit_organiser, nominated_event, area.worker, " 推荐 ")
    assert nomination.note == "推荐"
    db.session.commit()  # audit entries join their chains at commit
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.subject_type == "Nomination")) == "nomination.create"
    with pytest.raises(RegistrationRefused) as caught:
        entries.nominate(area.organiser, nominated_event, area.worker)
    assert caught.value.rule == "duplicate" and "already nominated" in str(caught.value.message)


def test_nominations_are_taken_only_while_registration_is_open(area, nominated_event):
    area.competition.state = CompetitionState.REVIEW
    with pytest.raises(RegistrationRefused) as caught:
        entries.nominate(area.unit_organiser, nominated_event, area.worker)
    assert caught.value.rule == "closed"


def test_a_worker_outside_the_area_cannot_be_nominated(area, nominated_event):
    outsider = make_worker(area.tree.other_firm)
    with pytest.raises(RegistrationRefused) as caught:
        entries.nominate(area.admin, nominated_event, outsider)
    assert caught.value.rule == "area"


def test_a_nomination_is_withdrawn_only_while_its_worker_holds_no_place(area, nominated_event):
    nomination = entries.nominate(area.unit_organiser, nominated_event, area.worker)
    entry = entries.register(area.worker_user, nominated_event, [area.worker])
    with pytest.raises(RegistrationRefused) as caught:
        entries.withdraw_nomination(area.unit_organiser, nomination)
    assert caught.value.rule == "nomination"
    entries.withdraw(area.worker_user, entry)
    with pytest.raises(PermissionDenied):
        entries.withdraw_nomination(area.other_organiser, nomination)
    entries.withdraw_nomination(area.unit_organiser, nomination)
    assert db.session.scalar(sa.select(sa.func.count(Nomination.id))) == 0
    db.session.commit()  # audit entries join their chains at commit
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "nomination.withdraw")) is not None

