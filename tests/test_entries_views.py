"""Entry pages: open events, my entries, an event's entries, and every action's permissions."""

import html
import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from competitions.contests.models import CompetitionState, EventStage
from competitions.extensions import db
from competitions.promotion.levels import SkillLevel
from competitions.registration import entries
from competitions.registration.models import Entry, EntryStatus, Nomination
from tests.factories import (
    make_admin,
    make_competition,
    make_enterprise,
    make_entry,
    make_event,
    make_occupation,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

ROLES = ["anonymous", "worker", "other_organiser", "unit_organiser", "organiser", "admin"]
LOGIN, OK, FORBIDDEN, MISSING = "login", 200, 403, 404


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English."""
    client.set_cookie("lang", "en")


@pytest.fixture
def people(tree):
    """A city competition of 南京市总工会 with an individual event; one account per role."""
    ns = SimpleNamespace(tree=tree, anonymous=None)
    ns.second_firm = make_enterprise(tree.city, "南京汽车集团")
    ns.organiser = make_organiser(tree.city, "nj_organiser")
    ns.unit_organiser = make_organiser(tree.firm, "firm_organiser")
    ns.other_organiser = make_organiser(tree.other_city, "sz_organiser")
    ns.admin = make_admin()
    ns.worker = make_user("worker", display_name="张三明")
    ns.profile = make_worker(tree.firm, name="张三明", user=ns.worker,
                             id_number=valid_id_number(serial=301),
                             skill_level=SkillLevel.LEVEL_3)
    ns.competition = make_competition(tree.city, name="2027年南京市职工职业技能大赛")
    ns.event = make_event(ns.competition, occupation=make_occupation("焊工"))
    db.session.commit()
    return ns


@pytest.fixture
def sign_in(login_as, client):
    """sign_in(user): log out whoever is signed in, then log in as `user`."""
    def _sign_in(user):
        client.post("/accounts/logout")
        return login_as(user)
    return _sign_in


@pytest.fixture
def as_role(people, sign_in, client):
    def _as(role):
        user = getattr(people, role)
        return sign_in(user) if user is not None else client
    return _as


@pytest.fixture
def entry(people):
    """The worker's own registration, pending endorsement."""
    entry = entries.register(people.worker, people.event, [people.profile])
    db.session.commit()
    return entry


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def flashes(page: str) -> str:
    return " ".join(re.findall(r'<div class="flash flash-\w+" role="status">(.*?)</div>', page))


def status_of(entry) -> EntryStatus:
    db.session.expire_all()
    return db.session.get(Entry, entry.id).status


def entry_count(event) -> int:
    return db.session.scalar(sa.select(sa.func.count(Entry.id)).where(Entry.event_id == event.id))


# --- the role matrix ------------------------------------------------------------------------

ROUTE_MATRIX = {
    "/registration/open": [LOGIN, OK, OK, OK, OK, OK],
    "/registration/entries": [LOGIN, OK, MISSING, MISSING, MISSING, MISSING],
    "/registration/events/{event}/entries": [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    "/registration/entries/{entry}/reject": [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
}


@pytest.mark.parametrize("route, role, expected", [
    (route, role, expected) for route, outcomes in ROUTE_MATRIX.items()
    for role, expected in zip(ROLES, outcomes, strict=True)])
def test_route_answers_each_role(people, entry, as_role, route, role, expected):
    response = as_role(role).get(route.format(event=people.event.id, entry=entry.id))
    if expected == LOGIN:
        assert response.status_code == 302 and "/accounts/login" in response.location
    else:
        assert response.status_code == expected


POST_MATRIX = {  # action → who may do it, by role
    "endorse": [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK],
    "approve": [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
    "reject": [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK],
    "withdraw": [LOGIN, OK, FORBIDDEN, OK, OK, OK],
}
EXPECTED_STATUS = {"endorse": EntryStatus.PENDING_APPROVAL, "approve": EntryStatus.APPROVED,
                   "reject": EntryStatus.REJECTED, "withdraw": EntryStatus.WITHDRAWN}


@pytest.mark.parametrize("action, role, expected", [
    (action, role, expected) for action, outcomes in POST_MATRIX.items()
    for role, expected in zip(ROLES, outcomes, strict=True)])
def test_entry_actions_answer_each_role(people, entry, as_role, action, role, expected):
    if action == "approve":
        entries.endorse(people.unit_organiser, entry)
        db.session.commit()
    before = status_of(entry)
    response = as_role(role).post(f"/registration/entries/{entry.id}/{action}",
                                  data={"reason": "材料不全"})
    if expected == LOGIN:
        assert response.status_code == 302 and "/accounts/login" in response.location
    elif expected == FORBIDDEN:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
    assert status_of(entry) is (EXPECTED_STATUS[action] if expected == OK else before)


def test_someone_elses_entry_cannot_be_withdrawn_by_another_worker(people, entry, login_as):
    other = make_user("other_worker")
    make_worker(people.tree.firm, name="李四", user=other)
    db.session.commit()
    assert login_as(other).post(f"/registration/entries/{entry.id}/withdraw").status_code == 403
    assert status_of(entry) is EntryStatus.PENDING_ENDORSEMENT


def test_unknown_event_and_entry_are_not_found(people, login_as):
    client = login_as(people.admin)
    assert client.get("/registration/events/999999/entries").status_code == 404
    assert client.post("/registration/entries/999999/approve").status_code == 404


# --- open events -----------------------------------------------------------------------------

def test_open_events_lists_only_competitions_of_the_users_area(people, as_role):
    province = make_competition(people.tree.province, name="2027年江苏省职工职业技能大赛")
    in_suzhou = make_competition(people.tree.other_city, name="2027年苏州市职工职业技能大赛")
    draft = make_competition(people.tree.city, name="草稿中的竞赛", state=CompetitionState.DRAFT)
    for competition in (province, in_suzhou):
        make_event(competition)
    db.session.commit()
    seen = {role: text(as_role(role).get("/registration/open"))
            for role in ["worker", "unit_organiser", "other_organiser", "admin"]}
    nanjing, jiangsu, suzhou = "2027年南京市", "2027年江苏省", "2027年苏州市"
    assert nanjing in seen["worker"] and jiangsu in seen["worker"]
    assert suzhou not in seen["worker"] and draft.name not in seen["worker"]
    assert nanjing in seen["unit_organiser"] and suzhou not in seen["unit_organiser"]
    assert suzhou in seen["other_organiser"] and nanjing not in seen["other_organiser"]
    assert all(name in seen["admin"] for name in (nanjing, jiangsu, suzhou))


def test_a_worker_sees_eligibility_at_a_glance(people, login_as):
    make_event(people.competition, occupation=make_occupation("电工"),
               min_level=SkillLevel.LEVEL_1)
    db.session.commit()
    page = text(login_as(people.worker).get("/registration/open"))
    assert "Eligible" in page and f'data-testid="register-{people.event.id}"' in page
    assert "The event requires at least the skill level Senior technician (level 1)." in page


def test_the_open_events_page_counts_the_places_left_for_the_workers_unit(people, login_as):
    page = text(login_as(people.worker).get("/registration/open"))
    assert "3 places left for your unit" in page  # the usual quota of 3
    for n in range(3):
        colleague = make_worker(people.tree.firm, name=f"同事{n}",
                                id_number=valid_id_number(serial=400 + n))
        make_entry(people.event, colleague)
    db.session.commit()
    page = text(login_as(people.worker).get("/registration/open"))
    assert f'data-testid="full-{people.event.id}"' in page
    assert f'data-testid="register-{people.event.id}"' not in page


def test_a_worker_registers_and_sees_pending_endorsement(people, login_as):
    client = login_as(people.worker)
    response = client.post(f"/registration/events/{people.event.id}/enter")
    assert response.status_code == 302 and response.location.endswith("/registration/entries")
    page = text(client.get("/registration/entries"))
    assert "You are registered for 焊工 · Employee group." in flashes(page)
    assert "Pending endorsement by the unit" in page and "2027年南京市职工职业技能大赛" in page


def test_posting_the_same_registration_twice_creates_one_entry(people, login_as):
    client = login_as(people.worker)
    client.post(f"/registration/events/{people.event.id}/enter")
    page = text(client.post(f"/registration/events/{people.event.id}/enter",
                            follow_redirects=True))
    assert "张三明 is already registered for this event." in flashes(page)
    assert entry_count(people.event) == 1


def test_a_refusal_names_the_failed_rule(people, login_as):
    people.event.quota_per_org = 1
    colleague = make_worker(people.tree.firm, name="李四")
    entries.register(people.organiser, people.event, [colleague])
    db.session.commit()
    page = text(login_as(people.worker).post(f"/registration/events/{people.event.id}/enter",
                                             follow_redirects=True))
    assert "南京钢铁集团 has used its quota of 1 for this event." in flashes(page)


def test_an_account_without_a_worker_profile_cannot_self_register(people, login_as):
    response = login_as(people.organiser).post(f"/registration/events/{people.event.id}/enter")
    assert response.status_code == 403 and entry_count(people.event) == 0


# --- my entries ------------------------------------------------------------------------------

def test_my_entries_shows_the_rejection_reason(people, entry, login_as):
    entries.decide(people.organiser, entry, approve=False, reason="技能等级证书已过期")
    db.session.commit()
    page = text(login_as(people.worker).get("/registration/entries"))
    assert "Rejected" in page and "Reason: 技能等级证书已过期" in page


def test_my_entries_shows_the_drawn_numbers_but_never_the_blind_code(people, entry, login_as):
    entry.status = EntryStatus.APPROVED
    entry.entry_number, entry.checkin_code, entry.blind_code = "007", "J12", "QWERTYUP"
    people.event.stage = EventStage.DRAWN
    db.session.commit()
    page = text(login_as(people.worker).get("/registration/entries"))
    assert "007" in page and "J12" in page and "QWERTYUP" not in page
    assert f'data-testid="withdraw-{entry.id}"' not in page  # drawn: no more withdrawal


def test_a_worker_withdraws_from_my_entries(people, entry, login_as):
    response = login_as(people.worker).post(f"/registration/entries/{entry.id}/withdraw")
    assert response.location.endswith("/registration/entries")
    assert status_of(entry) is EntryStatus.WITHDRAWN


def test_the_inbox_shows_each_status_change(people, entry, login_as):
    entries.endorse(people.unit_organiser, entry)
    entries.decide(people.organiser, entry, approve=True)
    db.session.commit()
    page = text(login_as(people.worker).get("/notifications/"))
    for status in ("Pending endorsement by the unit", "Pending approval by the organiser",
                   "Approved"):
        assert f"Your entry for 焊工 · Employee group: {status}." in page
    assert 'data-testid="unread-count">3<' in page


# --- an event's entries ----------------------------------------------------------------------

@pytest.fixture
def two_units(people, entry):
    """One entry from the worker's unit, one from the second firm (registered by the organiser)."""
    other = make_worker(people.second_firm, name="王五")
    other_entry = entries.register(people.organiser, people.event, [other])
    db.session.commit()
    return entry, other_entry


def test_the_competitions_organiser_sees_every_entry(people, two_units, login_as):
    page = text(login_as(people.organiser).get(f"/registration/events/{people.event.id}/entries"))
    assert "张三明" in page and "王五" in page and 'data-testid="approve-endorsed"' in page


def test_a_unit_organiser_sees_only_their_units_entries(people, two_units, login_as):
    page = text(login_as(people.unit_organiser).get(
        f"/registration/events/{people.event.id}/entries"))
    assert "张三明" in page and "王五" not in page
    assert f'data-testid="endorse-{two_units[0].id}"' in page
    assert "approve-endorsed" not in page and 'data-testid="approve-' not in page


def test_entries_filter_by_status(people, two_units, login_as):
    page = text(login_as(people.organiser).get(
        f"/registration/events/{people.event.id}/entries?status=pending_approval"))
    assert "王五" in page and "张三明" not in page
    assert "Pending approval by the organiser (1)" in page and "All (2)" in page


def test_approve_all_endorsed(people, two_units, login_as):
    pending, endorsed = two_units
    page = text(login_as(people.organiser).post(
        f"/registration/events/{people.event.id}/approve-endorsed", follow_redirects=True))
    assert "Entries approved: 1." in flashes(page)
    assert status_of(endorsed) is EntryStatus.APPROVED
    assert status_of(pending) is EntryStatus.PENDING_ENDORSEMENT


def test_approve_all_endorsed_is_for_the_competitions_organisers(people, two_units, login_as):
    response = login_as(people.unit_organiser).post(
        f"/registration/events/{people.event.id}/approve-endorsed")
    assert response.status_code == 403 and status_of(two_units[1]) is EntryStatus.PENDING_APPROVAL


def test_rejecting_without_a_reason_says_so_beside_the_field(people, entry, login_as):
    page = text(login_as(people.organiser).post(f"/registration/entries/{entry.id}/reject",
                                                data={"reason": " "}))
    assert re.search(r'<p class="error" id="reason-error">Give the reason for rejecting the '
                     r'entry\.</p>', page)
    assert status_of(entry) is EntryStatus.PENDING_ENDORSEMENT


def test_actions_return_to_the_filtered_list(people, entry, login_as):
    here = f"/registration/events/{people.event.id}/entries?status=pending_endorsement"
    response = login_as(people.unit_organiser).post(
        f"/registration/entries/{entry.id}/endorse", data={"next": here})
    assert response.location.endswith(here)
    off_site = login_as(people.unit_organiser).post(
        f"/registration/entries/{entry.id}/withdraw", data={"next": "https://evil.example/"})
    assert off_site.location.endswith(f"/registration/events/{people.event.id}/entries")


def test_an_organiser_finds_and_registers_a_worker_of_their_unit(people, login_as):
    colleague = make_worker(people.tree.firm, name="李小龙")
    db.session.commit()
    client = login_as(people.unit_organiser)
    page = text(client.get(f"/registration/events/{people.event.id}/entries?q=李小"))
    assert f'data-testid="register-{colleague.id}"' in page
    page = text(client.post(f"/registration/events/{people.event.id}/register",
                            data={"worker_id": colleague.id}, follow_redirects=True))
    assert "李小龙 is registered for 焊工 · Employee group." in flashes(page)
    entry = db.session.scalar(sa.select(Entry).where(Entry.event_id == people.event.id))
    assert entry.status is EntryStatus.PENDING_APPROVAL


def test_the_worker_search_marks_registered_and_ineligible_workers(people, entry, login_as):
    young = make_worker(people.tree.firm, name="张小弟",
                        id_number=valid_id_number(date(2012, 1, 1), serial=304))
    db.session.commit()
    page = text(login_as(people.unit_organiser).get(
        f"/registration/events/{people.event.id}/entries?q=张"))
    assert "Already registered" in page and f"register-{people.profile.id}" not in page
    assert "the minimum is 16" in page and f"register-{young.id}" not in page


def test_the_worker_search_keeps_to_the_users_units(people, login_as):
    outsider = make_worker(people.second_firm, name="李小龙")
    db.session.commit()
    client = login_as(people.unit_organiser)
    page = text(client.get(f"/registration/events/{people.event.id}/entries?q=李小龙"))
    assert f"found-{outsider.id}" not in page
    response = client.post(f"/registration/events/{people.event.id}/register",
                           data={"worker_id": outsider.id})
    assert response.status_code == 403 and entry_count(people.event) == 0


def test_registering_the_same_worker_twice_is_refused_by_name(people, login_as):
    client = login_as(people.unit_organiser)
    url = f"/registration/events/{people.event.id}/register"
    client.post(url, data={"worker_id": people.profile.id})
    page = text(client.post(url, data={"worker_id": people.profile.id}, follow_redirects=True))
    assert "张三明 is already registered for this event." in flashes(page)
    assert entry_count(people.event) == 1


def test_registration_forms_are_hidden_once_registration_closes(people, login_as):
    people.competition.state = CompetitionState.REVIEW
    db.session.commit()
    page = text(login_as(people.organiser).get(
        f"/registration/events/{people.event.id}/entries?q=张"))
    assert "Registration is not open at the moment." in page and "found-" not in page


# --- teams -----------------------------------------------------------------------------------

@pytest.fixture
def team_event(people):
    event = make_event(people.competition, occupation=make_occupation("汽车维修工"), team_size=2)
    people.mate = make_worker(people.tree.firm, name="李四", id_number=valid_id_number(serial=302))
    db.session.commit()
    return event


def test_an_organiser_registers_a_team_leader_first(people, team_event, login_as):
    numbers = f"{people.mate.id_number}\n {people.profile.id_number.lower()} \n"
    page = text(login_as(people.unit_organiser).post(
        f"/registration/events/{team_event.id}/team",
        data={"team_name": "钢铁一队", "members": numbers}, follow_redirects=True))
    assert "Team 钢铁一队 is registered for 汽车维修工 · Employee group." in flashes(page)
    entry = db.session.scalar(sa.select(Entry).where(Entry.event_id == team_event.id))
    assert entry.team_name == "钢铁一队" and entry.leader.name == "李四"


def test_a_team_member_outside_the_users_units_is_named_beside_the_field(people, team_event,
                                                                       login_as):
    stranger = valid_id_number(serial=303)
    page = text(login_as(people.unit_organiser).post(
        f"/registration/events/{team_event.id}/team",
        data={"team_name": "钢铁一队", "members": f"{people.profile.id_number}\n{stranger}"}))
    assert f"No worker of your units has the ID card number {stranger}." in page
    assert 'id="members-error"' in page and entry_count(team_event) == 0


def test_a_team_of_the_wrong_size_is_refused(people, team_event, login_as):
    page = text(login_as(people.unit_organiser).post(
        f"/registration/events/{team_event.id}/team",
        data={"team_name": "钢铁一队", "members": people.profile.id_number}))
    assert "This event takes teams of 2 different workers." in page
    assert entry_count(team_event) == 0


# --- nominations ------------------------------------------------------------------------------

@pytest.fixture
def nominated_event(people):
    event = make_event(people.competition, occupation=make_occupation("电工"),
                       nomination_required=True)
    db.session.commit()
    return event


def test_an_organiser_nominates_a_worker_who_then_registers(people, nominated_event, login_as,
                                                           sign_in):
    client = login_as(people.unit_organiser)
    url = f"/registration/events/{nominated_event.id}/entries"
    page = text(client.get(f"{url}?q=张三明"))
    assert f'data-testid="nominate-{people.profile.id}"' in page
    page = text(client.post(f"/registration/events/{nominated_event.id}/nominate",
                            data={"worker_id": people.profile.id, "note": "厂级第一名"},
                            follow_redirects=True))
    assert "张三明 is nominated for 电工 · Employee group." in flashes(page)
    assert "厂级第一名" in page and "南京钢铁集团" in page
    worker_page = text(sign_in(people.worker).get("/registration/open"))
    assert f'data-testid="register-{nominated_event.id}"' in worker_page


def test_a_second_nomination_is_refused(people, nominated_event, login_as):
    client = login_as(people.unit_organiser)
    url = f"/registration/events/{nominated_event.id}/nominate"
    client.post(url, data={"worker_id": people.profile.id})
    page = text(client.post(url, data={"worker_id": people.profile.id}, follow_redirects=True))
    assert "张三明 is already nominated for this event." in flashes(page)


def test_nominations_are_withdrawn_by_the_units_organisers_only(people, nominated_event,
                                                              sign_in):
    nomination = entries.nominate(people.unit_organiser, nominated_event, people.profile)
    db.session.commit()
    url = f"/registration/nominations/{nomination.id}/withdraw"
    assert sign_in(people.other_organiser).post(url).status_code == 403
    assert sign_in(people.worker).post(url).status_code == 403
    assert sign_in(people.unit_organiser).post(url).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Nomination.id))) == 0


def test_following_a_notification_marks_it_read_and_opens_its_page(people, entry, login_as,
                                                                    client):
    from competitions.notifications.models import Notification

    entries.endorse(people.unit_organiser, entry)
    db.session.commit()
    login_as(people.worker)
    notification = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == people.worker.id))
    response = client.get(f"/notifications/{notification.id}")
    assert response.location.endswith("/registration/entries")
    db.session.expire_all()
    assert notification.read_at is not None
    theirs = Notification(user_id=people.organiser.id, kind="entry_status",
                          params={"status": "approved", "event": "焊工"})
    db.session.add(theirs)
    db.session.commit()
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
