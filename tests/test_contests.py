"""Competitions and events: creation rules, the stage machine, and who may do what."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from competitions.accounts.models import SYSTEM, Role, RoleGrant
from competitions.audit.models import AuditEntry
from competitions.contests import services
from competitions.contests.models import Competition, CompetitionState, EventGroup, EventStage
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.organisations.models import Tier
from tests.factories import (
    make_admin,
    make_competition,
    make_event,
    make_occupation,
    make_organiser,
    make_user,
    make_worker,
)


def actions():
    db.session.commit()  # audit entries join their chains at commit
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


def create(organiser_user, org, **overrides):
    values = {"name": "2026年南京市职工职业技能大赛", "year": 2026, "tier": Tier.CITY,
              "starts_on": date(2026, 10, 10), "ends_on": date(2026, 10, 12)}
    values.update(overrides)
    return services.create_competition(organiser_user, org, **values)


def test_an_organiser_creates_a_competition_for_their_organisation(tree):
    organiser = make_organiser(tree.city)
    competition = create(organiser, tree.city)
    assert competition.state is CompetitionState.DRAFT
    assert competition.can_manage(organiser)
    assert actions() == ["competition.create"]


def test_an_organiser_cannot_create_for_an_organisation_they_do_not_manage(tree):
    with pytest.raises(PermissionDenied):
        create(make_organiser(tree.city), tree.other_city)


def test_a_city_union_cannot_run_a_provincial_competition(tree):
    with pytest.raises(services.InvalidCompetition) as refused:
        create(make_organiser(tree.city), tree.city, tier=Tier.PROVINCIAL)
    assert refused.value.field == "tier"


def test_a_competition_feeds_only_a_higher_tier(tree):
    provincial = create(make_organiser(tree.province), tree.province, tier=Tier.PROVINCIAL,
                        name="省赛")
    city_organiser = make_organiser(tree.city)
    fed = create(city_organiser, tree.city, feeds=provincial)
    assert fed.feeds is provincial
    other_city = create(city_organiser, tree.city, name="另一市赛")
    with pytest.raises(services.InvalidCompetition) as refused:
        create(city_organiser, tree.city, name="第三", feeds=other_city)
    assert refused.value.field == "feeds_id"


@pytest.mark.parametrize("overrides, field", [
    ({"registration_opens_at": datetime(2026, 9, 10), "registration_closes_at":
      datetime(2026, 9, 1)}, "registration_closes_at"),
    ({"starts_on": date(2026, 10, 10), "ends_on": date(2026, 10, 9)}, "ends_on"),
    ({"registration_closes_at": datetime(2026, 10, 11)}, "registration_closes_at"),
])
def test_schedule_must_make_sense(tree, overrides, field):
    with pytest.raises(services.InvalidCompetition) as refused:
        create(make_organiser(tree.city), tree.city, **overrides)
    assert refused.value.field == field


def test_events_need_a_unique_occupation_and_group(tree):
    organiser = make_organiser(tree.city)
    competition = create(organiser, tree.city)
    welder = make_occupation("焊工")
    services.add_event(organiser, competition, occupation=welder, group=EventGroup.EMPLOYEE)
    services.add_event(organiser, competition, occupation=welder, group=EventGroup.STUDENT)
    with pytest.raises(services.InvalidCompetition):
        services.add_event(organiser, competition, occupation=welder, group=EventGroup.EMPLOYEE)


def test_nominations_are_required_by_default_above_enterprise_tier(tree):
    organiser = make_organiser(tree.city)
    city_event = services.add_event(organiser, create(organiser, tree.city),
                                    occupation=make_occupation(), group=EventGroup.EMPLOYEE)
    assert city_event.nomination_required
    firm_organiser = make_organiser(tree.firm)
    firm_competition = create(firm_organiser, tree.firm, tier=Tier.ENTERPRISE, name="岗位练兵")
    firm_event = services.add_event(firm_organiser, firm_competition,
                                    occupation=make_occupation(), group=EventGroup.EMPLOYEE)
    assert not firm_event.nomination_required


def test_event_bounds_are_checked(tree):
    organiser = make_organiser(tree.city)
    competition = create(organiser, tree.city)
    with pytest.raises(services.InvalidCompetition) as refused:
        services.add_event(organiser, competition, occupation=make_occupation(),
                           group=EventGroup.EMPLOYEE, min_age=30, max_age=20)
    assert refused.value.field == "max_age"


def test_registration_opens_only_with_events_and_dates(tree):
    organiser = make_organiser(tree.city)
    competition = create(organiser, tree.city, starts_on=None, ends_on=None)
    with pytest.raises(services.TransitionRefused, match="赛项"):
        services.transition(organiser, competition, "open_registration")
    make_event(competition)
    with pytest.raises(services.TransitionRefused, match="比赛日期"):
        services.transition(organiser, competition, "open_registration")
    competition.starts_on = date(2026, 10, 10)
    services.transition(organiser, competition, "open_registration")
    assert competition.state is CompetitionState.REGISTRATION
    services.transition(organiser, competition, "close_registration")
    assert competition.state is CompetitionState.REVIEW
    assert actions()[-2:] == ["competition.open_registration", "competition.close_registration"]


def test_a_transition_from_the_wrong_stage_is_refused(tree):
    organiser = make_organiser(tree.city)
    competition = create(organiser, tree.city)
    with pytest.raises(services.TransitionRefused):
        services.transition(organiser, competition, "close_registration")
    assert competition.state is CompetitionState.DRAFT


def test_registration_cannot_reopen_after_a_draw(tree):
    organiser = make_organiser(tree.city)
    competition = create(organiser, tree.city)
    make_event(competition, stage=EventStage.DRAWN)
    competition.state = CompetitionState.REVIEW
    with pytest.raises(services.TransitionRefused, match="抽签"):
        services.transition(organiser, competition, "open_registration")


def test_registration_window_follows_the_dates(tree):
    competition = make_competition(tree.city, state=CompetitionState.REGISTRATION,
                                   registration_opens_at=datetime(2026, 9, 1),
                                   registration_closes_at=datetime(2026, 9, 30))
    assert not competition.is_registration_open(datetime(2026, 8, 31, 23, 59))
    assert competition.is_registration_open(datetime(2026, 9, 15))
    assert not competition.is_registration_open(datetime(2026, 9, 30))


def test_final_competitions_cannot_be_edited(tree):
    competition = make_competition(tree.city, state=CompetitionState.FINAL)
    with pytest.raises(services.TransitionRefused):
        services.update_competition(SYSTEM, competition, name="改名")


# Pages ------------------------------------------------------------------------------------

@pytest.fixture
def competition(tree):
    competition = make_competition(tree.city, name="南京市焊工大赛", state=CompetitionState.DRAFT)
    make_event(competition)
    db.session.commit()
    return competition


def role_user(tree, role):
    if role == "worker":
        user = make_user("worker_user")
        make_worker(tree.firm, user=user)
        return user
    return {"other": lambda: make_organiser(tree.other_city, "other_org"),
            "organiser": lambda: make_organiser(tree.city, "city_org"),
            "parent": lambda: make_organiser(tree.province, "province_org"),
            "admin": lambda: make_admin()}[role]()


PAGES = ["/contests/", "/contests/new", "/contests/{id}", "/contests/{id}/edit",
         "/contests/{id}/events/new", "/contests/events/{event}/edit"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_login(client, competition, path):
    response = client.get(path.format(id=competition.id, event=competition.events[0].id))
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


@pytest.mark.parametrize("role, expected", [
    ("worker", 403), ("other", 403), ("organiser", 200), ("parent", 200), ("admin", 200)])
@pytest.mark.parametrize("path", PAGES[2:])
def test_competition_pages_per_role(client, login_as, tree, competition, role, expected, path):
    user = role_user(tree, role)
    db.session.commit()
    login_as(user)
    response = client.get(path.format(id=competition.id, event=competition.events[0].id))
    assert response.status_code == expected


def test_the_competition_list_shows_only_what_the_organiser_runs(client, login_as, tree,
                                                                 competition):
    make_competition(tree.other_city, name="苏州市电工大赛", state=CompetitionState.DRAFT)
    login_as(role_user(tree, "organiser"))
    db.session.commit()
    page = client.get("/contests/").get_data(as_text=True)
    assert "南京市焊工大赛" in page and "苏州市电工大赛" not in page


def test_an_organiser_creates_a_competition_through_the_form(client, login_as, tree):
    organiser = role_user(tree, "organiser")
    db.session.commit()
    login_as(organiser)
    response = client.post("/contests/new", data={
        "name": "2026年南京市职工职业技能大赛", "year": "2026", "organiser_id": tree.city.id,
        "tier": "city", "competition_class": "class1", "starts_on": "2026-10-10",
        "ends_on": "2026-10-12", "registration_opens_at": "2026-09-01T09:00",
        "registration_closes_at": "2026-09-30T17:00", "feeds_id": "0", "advance_top_n": "3"})
    assert response.status_code == 302
    competition = db.session.scalar(sa.select(Competition))
    assert competition.name == "2026年南京市职工职业技能大赛"
    # Entered in Beijing time, stored in UTC.
    assert competition.registration_closes_at == datetime(2026, 9, 30, 9, 0)


def test_form_errors_appear_beside_the_field(client, login_as, tree):
    login_as(role_user(tree, "organiser"))
    db.session.commit()
    page = client.post("/contests/new", data={
        "name": "市赛", "year": "2026", "organiser_id": tree.city.id, "tier": "provincial",
        "competition_class": "class1", "feeds_id": "0", "advance_top_n": "3"}
    ).get_data(as_text=True)
    assert 'id="tier-error"' in page
    assert db.session.scalar(sa.select(sa.func.count(Competition.id))) == 0


def test_transitions_through_the_page(client, login_as, tree, competition):
    login_as(role_user(tree, "organiser"))
    db.session.commit()
    client.post(f"/contests/{competition.id}/transition/open_registration",
                data={"confirmed": "1"})
    db.session.refresh(competition)
    assert competition.state is CompetitionState.REGISTRATION
    response = client.post(f"/contests/{competition.id}/transition/open_registration",
                           data={"confirmed": "1"}, follow_redirects=True)
    assert response.status_code == 200
    assert competition.state is CompetitionState.REGISTRATION


def test_other_organisers_cannot_move_a_competition(client, login_as, tree, competition):
    login_as(role_user(tree, "other"))
    db.session.commit()
    response = client.post(f"/contests/{competition.id}/transition/open_registration")
    assert response.status_code == 403
    db.session.refresh(competition)
    assert competition.state is CompetitionState.DRAFT


def test_the_organiser_appoints_an_encryption_officer(client, login_as, tree, competition):
    officer = make_user("jiami")
    login_as(role_user(tree, "organiser"))
    db.session.commit()
    client.post(f"/contests/{competition.id}/officials",
                data={"username": "jiami", "role": "encryption_officer"})
    grant = db.session.scalar(sa.select(RoleGrant).where(RoleGrant.user_id == officer.id))
    assert grant.role is Role.ENCRYPTION_OFFICER and grant.competition_id == competition.id


def test_organisers_elsewhere_cannot_appoint_officials(client, login_as, tree, competition):
    make_user("jiami")
    login_as(role_user(tree, "other"))
    db.session.commit()
    response = client.post(f"/contests/{competition.id}/officials",
                           data={"username": "jiami", "role": "encryption_officer"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(RoleGrant.id)).where(
        RoleGrant.role == Role.ENCRYPTION_OFFICER)) == 0


def test_the_organiser_revokes_an_official(client, login_as, tree, competition):
    officer = make_user("jiami")
    grant = RoleGrant(user=officer, role=Role.ARBITRATOR, competition_id=competition.id)
    db.session.add(grant)
    login_as(role_user(tree, "organiser"))
    db.session.commit()
    response = client.post(f"/accounts/grants/{grant.id}/revoke",
                           data={"next": f"/contests/{competition.id}"})
    assert response.headers["Location"] == f"/contests/{competition.id}"
    assert db.session.get(RoleGrant, grant.id) is None


def test_the_edit_form_shows_registration_times_in_beijing_time(client, login_as, tree):
    competition = make_competition(tree.city, registration_closes_at=datetime(2026, 9, 30, 9, 0))
    login_as(role_user(tree, "organiser"))
    db.session.commit()
    page = client.get(f"/contests/{competition.id}/edit").get_data(as_text=True)
    assert 'value="2026-09-30T17:00"' in page
