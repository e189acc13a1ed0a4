"""Safer organiser forms (issue 15, guidance 3): defaults from the organiser's tier, 须经推荐
left unticked, a mean for small panels, every error of a form at once, the check-in time and
place, stage changes that say what they do, and a final results page that leads with results."""

import re
from datetime import datetime
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import Competition, CompetitionState, Event, EventStage
from competitions.contests.services import default_tier
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging import services as judging
from competitions.judging.forms import CriterionForm
from competitions.judging.models import Aggregation, ComponentKind, Criterion, CriterionKind
from competitions.organisations.models import Tier
from competitions.registration.models import EntryStatus
from tests.factories import (
    make_competition,
    make_entry,
    make_event,
    make_occupation,
    make_organiser,
    make_worker,
)


def text(response) -> str:
    return response.get_data(as_text=True)


def selected(page: str, name: str) -> str | None:
    """The value of the selected option of the <select name=...> on the page."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    option = re.search(r'<option selected value="([^"]*)"', select)
    return option.group(1) if option else None


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")  # messages are checked in English


@pytest.fixture
def organiser(tree):
    user = make_organiser(tree.city, "city_org")
    db.session.commit()
    return user


@pytest.fixture
def competition(tree):
    competition = make_competition(tree.city, name="南京市焊工大赛", state=CompetitionState.DRAFT)
    make_event(competition)
    db.session.commit()
    return competition


# 1. Defaults from the organiser's tier ----------------------------------------------------

def test_a_city_unions_new_competition_is_city_level_and_this_years(client, login_as, tree,
                                                                   organiser):
    login_as(organiser)
    page = text(client.get("/contests/new"))
    assert selected(page, "tier") == "city"
    assert selected(page, "organiser_id") == str(tree.city.id)
    assert f'value="{utcnow().year}"' in page


def test_with_several_organisations_the_tier_follows_the_first_and_the_page_knows_each(
        client, login_as, tree):
    user = make_organiser(tree.province, "two_hats")
    db.session.add(RoleGrant(user=user, role=Role.ORGANISER, organisation=tree.city))
    db.session.commit()
    login_as(user)
    page = text(client.get("/contests/new"))
    first = selected(page, "organiser_id")
    assert selected(page, "tier") == {str(tree.province.id): "provincial",
                                      str(tree.city.id): "city"}[first]
    tiers = re.search(r'data-tiers="([^"]*)"', page).group(1).replace("&#34;", '"')
    assert f'"{tree.province.id}": "provincial"' in tiers
    assert f'"{tree.city.id}": "city"' in tiers
    assert 'data-tier-field="tier"' in page


# 2. 须经推荐 is never pre-ticked --------------------------------------------------------------

def event_data(**overrides) -> dict:
    data = {"occupation_id": make_occupation("电工").id, "group": "employee", "team_size": "1",
            "quota_per_org": "3", "min_age": "16", "female_retirement_base": "55",
            "until_retirement": "y"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_a_new_city_event_does_not_require_a_nomination_unless_ticked(client, login_as,
                                                                      organiser, competition):
    login_as(organiser)
    page = text(client.get(f"/contests/{competition.id}/events/new"))
    checkbox = re.search(r'<input[^>]*name="nomination_required"[^>]*>', page).group(0)
    assert "checked" not in checkbox
    assert client.post(f"/contests/{competition.id}/events/new",
                       data=event_data()).status_code == 302
    event = db.session.scalar(sa.select(Event).where(Event.occupation.has(name="电工")))
    assert event.nomination_required is False
    client.post(f"/contests/{competition.id}/events/new",
                data=event_data(occupation_id=make_occupation("钳工").id,
                                nomination_required="y"))
    ticked = db.session.scalar(sa.select(Event).where(Event.occupation.has(name="钳工")))
    assert ticked.nomination_required is True


# 3. A small panel defaults to the mean -------------------------------------------------------

@pytest.fixture
def practical(tree, organiser):
    competition = make_competition(tree.city, state=CompetitionState.DRAWN)
    event = make_event(competition, stage=EventStage.DRAWN)
    scheme = judging.scheme_for(organiser, event)
    component = judging.add_component(organiser, scheme, name="实操",
                                      kind=ComponentKind.PRACTICAL, weight=D(100))
    db.session.commit()
    return component


def criterion_post(component, **overrides) -> dict:
    values = {"code": "B1", "description": "焊缝外观", "max_mark": "20", "step": "0.5",
              "kind": "judgement", "panel_size": "3", "aggregation": "mean"}
    values.update(overrides)
    return {f"new{component.id}-{key}": value for key, value in values.items()}


def test_the_panel_mark_defaults_to_the_mean(app):
    with app.test_request_context():
        assert CriterionForm().aggregation.data is Aggregation.MEAN


def test_a_trimmed_mean_for_three_judges_is_refused_beside_the_panel_mark(
        client, login_as, organiser, practical):
    login_as(organiser)
    page = text(client.get(f"/judging/events/{practical.scheme.event_id}/scheme"))
    assert selected(page, f"new{practical.id}-aggregation") == "mean"
    response = client.post(f"/judging/components/{practical.id}/criteria",
                           data=criterion_post(practical, aggregation="trimmed_mean"))
    assert response.status_code == 200
    assert f'id="new{practical.id}-aggregation-error"' in text(response)
    assert "needs a panel of at least 5 judges" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Criterion.id))) == 0
    response = client.post(f"/judging/components/{practical.id}/criteria",
                           data=criterion_post(practical, aggregation="trimmed_mean",
                                               panel_size="5"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Criterion.aggregation)) is Aggregation.TRIMMED_MEAN


def test_the_service_refuses_a_trimmed_mean_for_a_small_panel_with_every_other_problem(
        organiser, practical):
    with pytest.raises(judging.SchemeError) as refused:
        judging.add_criterion(organiser, practical, code="B1", description="焊缝外观",
                              max_mark=D(20), step=D(3), kind=CriterionKind.JUDGEMENT,
                              panel_size=4, aggregation=Aggregation.TRIMMED_MEAN)
    assert [p.field for p in refused.value.problems] == ["max_mark", "aggregation"]


# 4. Every error on a form at once -------------------------------------------------------------

def test_every_error_of_a_new_competition_is_shown_at_once(client, login_as, tree, organiser):
    login_as(organiser)
    page = text(client.post("/contests/new", data={
        "name": "市赛", "year": "2026", "organiser_id": tree.city.id, "tier": "provincial",
        "competition_class": "class1", "feeds_id": "0", "advance_top_n": "3",
        "registration_opens_at": "2026-09-30T17:00", "registration_closes_at": "2026-09-01T09:00",
        "starts_on": "2026-10-12", "ends_on": "2026-10-10"}))
    for field in ("tier", "registration_closes_at", "ends_on"):
        assert f'id="{field}-error"' in page, field
    assert "Registration must close after it opens." in page
    assert "The contest cannot end before it starts." in page
    assert db.session.scalar(sa.select(sa.func.count(Competition.id))) == 0


def test_every_error_of_an_edited_competition_is_shown_and_nothing_changes(
        client, login_as, tree, organiser, competition):
    login_as(organiser)
    page = text(client.post(f"/contests/{competition.id}/edit", data={
        "name": "改名", "year": "2027", "organiser_id": tree.city.id, "tier": "city",
        "competition_class": "class1", "feeds_id": "0", "advance_top_n": "3",
        "registration_opens_at": "2027-02-01T09:00", "registration_closes_at": "2027-01-01T09:00",
        "starts_on": "2027-03-15", "ends_on": "2027-03-01"}))
    assert "Registration must close after it opens." in page
    assert "The contest cannot end before it starts." in page
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).name == "南京市焊工大赛"


def test_every_error_of_an_event_is_shown_at_once(client, login_as, organiser, competition):
    login_as(organiser)
    page = text(client.post(f"/contests/{competition.id}/events/new", data=event_data(
        occupation_id=make_occupation("焊工").id, min_age="40", max_age="30",
        min_level="level2", max_level="level4")))
    assert "This competition already has an event for 焊工" in page
    assert "The maximum age is below the minimum age." in page
    assert "The highest skill level is below the lowest." in page
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


def test_every_error_of_an_edited_event_is_shown_and_nothing_changes(client, login_as,
                                                                     organiser, competition):
    event = competition.events[0]
    login_as(organiser)
    page = text(client.post(f"/contests/events/{event.id}/edit", data=event_data(
        occupation_id=event.occupation_id, min_age="40", max_age="30",
        min_level="level2", max_level="level4")))
    assert 'id="max_age-error"' in page and 'id="max_level-error"' in page
    db.session.expire_all()
    assert (event.min_age, event.max_age) == (16, None)


# 5. The check-in time and place --------------------------------------------------------------

def test_the_check_in_time_and_place_are_saved_in_utc_and_shown_escaped(client, login_as,
                                                                        organiser, competition):
    login_as(organiser)
    assert client.post(f"/contests/{competition.id}/events/new", data=event_data(
        checkin_at="2027-03-15T07:30", venue="  南京技师学院<b>实训楼</b>  ")).status_code == 302
    event = db.session.scalar(sa.select(Event).where(Event.occupation.has(name="电工")))
    assert event.checkin_at == datetime(2027, 3, 14, 23, 30)  # Beijing 07:30 is 23:30 UTC
    assert event.venue == "南京技师学院<b>实训楼</b>"
    page = text(client.get(f"/contests/{competition.id}"))
    checkin = re.search(rf'data-testid="checkin-{event.id}">(.*?)</td>', page, re.S).group(1)
    assert "7:30" in checkin and "南京技师学院&lt;b&gt;实训楼&lt;/b&gt;" in checkin
    form = text(client.get(f"/contests/events/{event.id}/edit"))
    assert 'value="2027-03-15T07:30"' in form
    assert "they are told it at the draw" in form


def test_a_check_in_place_past_200_characters_is_refused(client, login_as, organiser,
                                                         competition):
    login_as(organiser)
    page = text(client.post(f"/contests/{competition.id}/events/new",
                            data=event_data(venue="场" * 201)))
    assert 'id="venue-error"' in page
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


# 6. Stage changes say what they do and need their confirmation -------------------------------

def test_opening_registration_says_what_it_does_and_needs_the_confirmation(
        client, login_as, organiser, competition):
    login_as(organiser)
    page = text(client.get(f"/contests/{competition.id}"))
    effects = re.search(r'data-testid="effects-open_registration">(.*?)</form>', page,
                        re.S).group(1)
    assert "register for its 1 event(s)" in effects
    assert 'data-testid="transition-open_registration"' in effects  # the button is inside
    url = f"/contests/{competition.id}/transition/open_registration"
    page = text(client.post(url, follow_redirects=True))
    assert "Nothing was changed: confirm the change after reading what it does." in page
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).state is CompetitionState.DRAFT
    client.post(url, data={"confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).state is CompetitionState.REGISTRATION


def test_closing_registration_counts_the_registrations_still_waiting(client, login_as, tree,
                                                                     organiser, competition):
    competition.state = CompetitionState.REGISTRATION
    event = competition.events[0]
    for n, status in enumerate([EntryStatus.PENDING_ENDORSEMENT, EntryStatus.PENDING_APPROVAL,
                                EntryStatus.APPROVED]):
        make_entry(event, make_worker(tree.firm, name=f"工人{n}"), status=status)
    db.session.commit()
    login_as(organiser)
    page = text(client.get(f"/contests/{competition.id}"))
    assert ("Workers can no longer register; 2 registration(s) still await endorsement or "
            "approval, and 1 are approved.") in page
    url = f"/contests/{competition.id}/transition/close_registration"
    client.post(url)
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).state is CompetitionState.REGISTRATION
    client.post(url, data={"confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).state is CompetitionState.REVIEW


# 6 and 7. Reopening final results: confirmed, and last on the page ----------------------------

@pytest.fixture
def final_event(tree):
    competition = make_competition(tree.city, state=CompetitionState.FINAL)
    event = make_event(competition, stage=EventStage.FINAL, drawn_at=utcnow(),
                       decrypted_at=utcnow(), finalised_at=utcnow())
    db.session.commit()
    return event


def test_the_final_results_page_puts_reopening_last_and_collapsed(client, login_as, organiser,
                                                                  final_event):
    login_as(organiser)
    page = text(client.get(f"/results/events/{final_event.id}"))
    reopen = page.index('data-testid="reopen"')
    assert reopen > page.index('data-testid="stage-card"')
    assert page.rfind("</section>") > reopen > max(
        page.rfind('data-testid="results-table"'), page.rfind('data-testid="titles"'),
        page.rfind('data-testid="appeals"'))
    section = page[reopen:]
    assert re.search(r"<details>\s*<summary", section)  # collapsed: no `open`
    assert section.index("<details>") < section.index('data-testid="reopen-form"')
    assert "The 0 valid certificate(s) of this event are marked under review" in section
    assert "The competition is no longer final." in section


def test_reopening_needs_its_confirmation(client, login_as, organiser, final_event):
    login_as(organiser)
    url = f"/results/events/{final_event.id}/reopen"
    page = text(client.post(url, data={"reopen-reason": "发现录入错误"}, follow_redirects=True))
    assert "Nothing was changed" in page
    db.session.expire_all()
    assert db.session.get(Event, final_event.id).stage is EventStage.FINAL
    client.post(url, data={"reopen-reason": "发现录入错误", "reopen-confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(Event, final_event.id).stage is EventStage.SIGNED_OFF


def test_the_default_tier_is_the_organisers_own(tree):
    assert default_tier(tree.city) is Tier.CITY
    assert default_tier(tree.firm) is Tier.ENTERPRISE
