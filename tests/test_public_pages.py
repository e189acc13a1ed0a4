"""The public pages that explain a contest: the home page's current competitions and recent
results, each competition's page with its rules PDF, each event's page with who may enter,
when and where; and the organisers' forms that fill them in."""

import io
import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.contests import services
from competitions.contests.models import Competition, CompetitionState, Event
from competitions.database import utcnow
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.files.models import StoredFile
from competitions.promotion.levels import SkillLevel
from competitions.registration.models import Entry
from tests.factories import (
    make_admin,
    make_competition,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)
from tests.test_public_results import publish, results_setup

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def open_competition(tree):
    """A city competition taking registrations now, with one event."""
    now = utcnow().replace(microsecond=0)
    competition = make_competition(
        tree.city, name="2027年南京市职工职业技能大赛", description="面向全市职工。\n第二行",
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=10))
    make_event(competition, "焊工")
    db.session.commit()
    return competition


@pytest.fixture
def organiser(tree):
    user = make_organiser(tree.city, "city_org")
    db.session.commit()
    return user


def competition_form(competition: Competition, **overrides) -> dict:
    """The competition's edit form as the browser posts it, unchanged unless overridden."""
    data = {"name": competition.name, "year": str(competition.year),
            "organiser_id": str(competition.organiser_id), "tier": competition.tier.value,
            "competition_class": competition.competition_class.value,
            "starts_on": competition.starts_on.isoformat(),
            "ends_on": competition.ends_on.isoformat(), "feeds_id": "0", "advance_top_n": "3",
            "description": competition.description or ""}
    data.update(overrides)
    return data


def event_form(event: Event, **overrides) -> dict:
    data = {"occupation_id": str(event.occupation_id), "group": event.group.value,
            "team_size": "1", "quota_per_org": "3", "min_age": "16",
            "until_retirement": "y", "female_retirement_base": "55", "min_level": "",
            "max_level": ""}
    data.update(overrides)
    return data


# The home page ----------------------------------------------------------------------------

def test_the_home_page_lists_open_competitions_and_recent_results_but_no_draft(english, tree):
    setup = results_setup(tree)
    publish(setup)
    open_one = make_competition(tree.city, name="正在报名的大赛",
                                registration_closes_at=utcnow() + timedelta(days=3))
    later = make_competition(tree.city, name="尚未开始报名的大赛",
                             registration_opens_at=utcnow() + timedelta(days=5))
    make_competition(tree.city, name="草稿中的大赛", state=CompetitionState.DRAFT)
    db.session.commit()
    html = english.get("/").get_data(as_text=True)
    assert f'href="/competitions/{open_one.id}"' in html and "正在报名的大赛" in html
    assert "Taking registrations" in html
    assert f'href="/competitions/{later.id}"' in html and "Registration not yet open" in html
    assert "草稿中的大赛" not in html
    results = html.split('data-testid="home-results"')[1]
    assert f'href="/events/{setup.event.id}/results"' in results
    assert "Results under public notice" in results
    assert 'href="/accounts/login"' in html  # what a visitor can do


def test_the_home_page_offers_a_signed_in_worker_the_open_events(client, login_as, tree):
    user = make_user("gongren")
    make_worker(tree.firm, user=user)
    db.session.commit()
    login_as(user)
    assert 'href="/registration/open"' in client.get("/").get_data(as_text=True)


# The competition page and its rules -------------------------------------------------------

def test_the_competition_page_shows_description_window_and_rules(english, login_as,
                                                                  open_competition, organiser):
    login_as(organiser)
    response = english.post(f"/contests/{open_competition.id}/edit", data={
        **competition_form(open_competition),
        "rules_file": (io.BytesIO(PDF_BYTES), "竞赛规程.pdf")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    english.post("/accounts/logout")
    english.delete_cookie("session")

    html = english.get(f"/competitions/{open_competition.id}").get_data(as_text=True)
    assert "面向全市职工。\n第二行" in html
    assert "Taking registrations" in html
    closes = open_competition.registration_closes_at + timedelta(hours=8)  # Beijing time
    window = html.split('data-testid="registration-window"')[1].split("</dd>")[0]
    assert window.count(f"{closes:%B} {closes.day}, {closes.year}") == 1  # said once
    rules_url = f"/competitions/{open_competition.id}/rules.pdf"
    assert f'href="{rules_url}"' in html and "竞赛规程.pdf" in html

    rules = english.get(rules_url)
    assert rules.status_code == 200 and rules.data == PDF_BYTES
    assert rules.mimetype == "application/pdf"
    assert rules.headers["X-Content-Type-Options"] == "nosniff"
    assert rules.headers["Content-Disposition"].startswith("inline")


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_changes(client, login_as,
                                                                 open_competition, organiser):
    login_as(organiser)
    page = client.post(f"/contests/{open_competition.id}/edit", data={
        **competition_form(open_competition, description="新的说明"),
        "rules_file": (io.BytesIO(PNG_BYTES), "rules.pdf")})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    field = html.split('<label for="rules_file">')[1].split('<div class="field')[0]
    assert 'id="rules_file-error"' in field and "rules.pdf" in field
    assert 'enctype="multipart/form-data"' in html
    db.session.expire_all()
    competition = db.session.get(Competition, open_competition.id)
    assert competition.description == "面向全市职工。\n第二行"
    assert competition.rules_file_id is None
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0


def test_a_new_rules_pdf_replaces_the_old_one_and_is_audited(app, open_competition, organiser):
    from werkzeug.datastructures import FileStorage

    def upload(content, name):
        return FileStorage(io.BytesIO(content), filename=name)

    services.set_rules_document(organiser, open_competition, upload(PDF_BYTES, "v1.pdf"))
    newer = PDF_BYTES + b"% v2\n"
    stored = services.set_rules_document(organiser, open_competition, upload(newer, "v2.pdf"))
    services.set_rules_document(organiser, open_competition, upload(newer, "again.pdf"))
    db.session.commit()
    assert open_competition.rules_file_id == stored.id
    assert db.session.scalars(sa.select(StoredFile.filename)).all() == ["v2.pdf"]
    logged = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "competition.rules").order_by(AuditEntry.id)).all()
    assert [json.loads(entry.after)["rules_file"] for entry in logged] == ["v1.pdf", "v2.pdf"]


@pytest.mark.parametrize("role, expected", [
    ("anonymous", 302), ("worker", 403), ("other", 403), ("organiser", 302), ("admin", 302)])
def test_only_the_competitions_organisers_edit_and_upload(client, login_as, tree,
                                                         open_competition, role, expected):
    users = {"worker": lambda: make_worker(tree.firm, user=make_user("gongren")).user,
             "other": lambda: make_organiser(tree.other_city, "suzhou_org"),
             "organiser": lambda: make_organiser(tree.city, "city_org"),
             "admin": make_admin}
    if role != "anonymous":
        user = users[role]()
        db.session.commit()
        login_as(user)
    response = client.post(f"/contests/{open_competition.id}/edit", data={
        **competition_form(open_competition, description="改过的说明"),
        "rules_file": (io.BytesIO(PDF_BYTES), "规程.pdf")})
    assert response.status_code == expected
    if expected == 302 and role == "anonymous":
        assert "/accounts/login" in response.headers["Location"]
    db.session.expire_all()
    competition = db.session.get(Competition, open_competition.id)
    changed = role in ("organiser", "admin")
    assert (competition.description == "改过的说明") is changed
    assert (competition.rules_file_id is not None) is changed


def test_the_service_refuses_rules_from_another_organiser(tree, open_competition):
    from werkzeug.datastructures import FileStorage
    other = make_organiser(tree.other_city, "suzhou_org")
    with pytest.raises(PermissionDenied):
        services.set_rules_document(other, open_competition,
                                    FileStorage(io.BytesIO(PDF_BYTES), filename="x.pdf"))


def test_a_draft_is_not_public_even_with_rules(client, tree, organiser):
    draft = make_competition(tree.city, name="草稿", state=CompetitionState.DRAFT)
    event = make_event(draft)
    from werkzeug.datastructures import FileStorage
    services.set_rules_document(organiser, draft,
                                FileStorage(io.BytesIO(PDF_BYTES), filename="x.pdf"))
    db.session.commit()
    for url in (f"/competitions/{draft.id}", f"/competitions/{draft.id}/rules.pdf",
                f"/events/{event.id}", "/competitions/999999/rules.pdf", "/events/999999"):
        assert client.get(url).status_code == 404, url


def test_no_rules_uploaded_means_no_rules_pdf(client, open_competition):
    assert client.get(f"/competitions/{open_competition.id}/rules.pdf").status_code == 404
    assert "rules-link" not in client.get(
        f"/competitions/{open_competition.id}").get_data(as_text=True)


# The event page ---------------------------------------------------------------------------

def test_the_event_page_explains_who_may_enter_when_and_where(english, tree):
    competition = make_competition(tree.city)
    event = make_event(
        competition, "电工", min_age=18, max_age=50, min_level=SkillLevel.LEVEL_4,
        barred_titles=["national_technical_expert"], quota_per_org=2,
        nomination_required=True, venue="南京技师学院实训楼",
        checkin_at=datetime(2027, 3, 15, 0, 30), description="考核电气安装与调试。",
        schedule="理论考试 9:00–10:30\n实操考试 13:30 起",
        required_documents=["职业技能等级证书复印件", "单位推荐表"])
    db.session.commit()
    html = english.get(f"/events/{event.id}").get_data(as_text=True)
    for text in ("考核电气安装与调试。", "Aged 18 to 50", "Below statutory retirement age",
                 "Skill level at least Intermediate worker (level 4)",
                 "Not open to holders of: National Technical Expert", "Nomination required",
                 "At most 2 entries per unit", "Individual", "南京技师学院实训楼",
                 "March 15, 2027", "8:30", "理论考试 9:00–10:30\n实操考试 13:30 起",
                 "职业技能等级证书复印件", "单位推荐表"):
        assert text in html, text
    assert f'href="/competitions/{competition.id}"' in html
    english.delete_cookie("lang")
    assert "2027年3月15日 08:30" in english.get(f"/events/{event.id}").get_data(as_text=True)


def test_the_event_page_offers_registration_to_a_signed_in_worker(client, login_as, tree,
                                                                 open_competition):
    event = open_competition.events[0]
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/registration/events/{event.id}/enter" not in html
    assert "/accounts/login?next=" in html
    user = make_user("gongren")
    make_worker(tree.firm, user=user)
    db.session.commit()
    login_as(user)
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'action="/registration/events/{event.id}/enter"' in html
    client.post(f"/registration/events/{event.id}/enter")
    assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 1
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'action="/registration/events/{event.id}/enter"' not in html
    assert 'data-testid="entry-status"' in html


def test_no_register_button_once_registration_has_closed(client, login_as, tree):
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    event = make_event(competition)
    user = make_user("gongren")
    make_worker(tree.firm, user=user)
    db.session.commit()
    login_as(user)
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "/enter" not in html and 'data-testid="phase-closed"' in html


def test_hostile_text_is_shown_as_text(client, tree):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    competition = make_competition(tree.city, description=hostile)
    event = make_event(competition, description=hostile, schedule=hostile, venue=hostile,
                       required_documents=[hostile])
    db.session.commit()
    for url in (f"/competitions/{competition.id}", f"/events/{event.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert" in html


# The organisers' forms --------------------------------------------------------------------

def test_the_organiser_writes_an_events_description_schedule_and_documents(
        client, login_as, tree, open_competition, organiser):
    event = open_competition.events[0]
    login_as(organiser)
    response = client.post(f"/contests/events/{event.id}/edit", data=event_form(
        event, description="  说明  ", schedule="上午 理论\r\n下午 实操",
        required_documents=" 证书复印件 \r\n\r\n身份证复印件\n证书复印件 "))
    assert response.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.description == "说明" and event.schedule == "上午 理论\n下午 实操"
    assert event.required_documents == ["证书复印件", "身份证复印件"]
    page = client.get(f"/contests/events/{event.id}/edit").get_data(as_text=True)
    assert "证书复印件\n身份证复印件</textarea>" in page


@pytest.mark.parametrize("documents", ["\n".join(f"材料{i}" for i in range(11)), "长" * 101])
def test_too_many_or_too_long_document_names_are_refused(client, login_as, open_competition,
                                                         organiser, documents):
    event = open_competition.events[0]
    login_as(organiser)
    page = client.post(f"/contests/events/{event.id}/edit",
                       data=event_form(event, required_documents=documents))
    assert page.status_code == 200
    assert 'id="required_documents-error"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).required_documents == []
