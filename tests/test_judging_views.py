"""The judges' pages: appointments and panels, the list of sheets, and the score sheet."""

import html
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import EventStage
from competitions.extensions import db
from competitions.judging import marking, panels
from competitions.judging.models import Mark, ScoreSheet, SheetStatus
from tests.factories import MarkingSetup, make_enterprise, make_user, make_worker


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree)
    db.session.commit()
    return setup


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


def private_details(setup) -> list[str]:
    """What a judge must never see of the entrants."""
    found = []
    for entry, worker in zip(setup.entries, setup.workers, strict=True):
        found += [worker.name, worker.id_number, worker.phone, worker.employer.name,
                  entry.unit.name, f">{entry.entry_number}<", entry.checkin_code]
    return found


def sheet_url(setup, index: int) -> str:
    return f"/judging/events/{setup.event.id}/sheets/{setup.code(index)}"


def post_sheet(client, setup, index, marks, *, version=0, action="save"):
    data = {"version": version, "action": action}
    data.update({f"mark-{criterion.id}": value for criterion, value in marks.items()})
    return client.post(sheet_url(setup, index), data=data)


# Appointments and panels

def test_the_organiser_appoints_a_judge_with_their_unit(setup, login_as, english):
    newcomer = make_user("newjudge", display_name="新裁判")
    db.session.commit()
    login_as(setup.organiser)
    url = f"/judging/events/{setup.event.id}/officials"
    refused = english.post(url, data={"username": "newjudge", "role": "judge", "unit": 0},
                           follow_redirects=True)
    assert "keeps them off entrants from their own unit" in refused.get_data(as_text=True)
    page = english.get(url, query_string={"unit_q": "苏州电气"})
    assert setup.tree.other_firm.name in page.get_data(as_text=True)
    english.post(f"{url}?unit_q=苏州电气", data={
        "username": "newjudge", "role": "judge", "unit": setup.tree.other_firm.id})
    db.session.expire_all()
    assert newcomer.employer_id == setup.tree.other_firm.id
    assert panels.is_judge(newcomer, setup.event)


def test_an_event_has_one_chief_judge(setup, login_as, english):
    make_user("secondchief")
    db.session.commit()
    login_as(setup.organiser)
    response = english.post(f"/judging/events/{setup.event.id}/officials", data={
        "username": "secondchief", "role": "chief_judge", "unit": 0}, follow_redirects=True)
    assert "already has a chief judge" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(RoleGrant.id)).where(
        RoleGrant.event_id == setup.event.id, RoleGrant.role == Role.CHIEF_JUDGE)) == 1


def test_the_panels_page_says_why_a_judge_is_kept_off_without_naming_entrants(
        setup, login_as, english):
    login_as(setup.chief)
    page = english.get(f"/judging/events/{setup.event.id}/officials")
    text = html.unescape(page.get_data(as_text=True))  # the message is escaped text: &#39;s
    assert page.status_code == 200
    assert "1 entrant: works in the entrant's unit" in text
    assert "1 entrant: works in the entrant's enterprise group" in text
    for worker, entry in zip(setup.workers, setup.entries, strict=True):
        # (units appear here as the judges' own units)
        assert worker.name not in text and f">{entry.entry_number}<" not in text
    for index in range(4):
        assert setup.code(index) not in text  # organisers read this page: no blind codes


def test_the_chief_judge_reorders_a_panel_and_a_non_judge_cannot_be_seated(
        setup, login_as, english):
    outsider = make_user("outsider", employer=setup.tree.other_firm)
    db.session.commit()
    login_as(setup.chief)
    url = f"/judging/events/{setup.event.id}/criteria/{setup.b1.id}/panel"
    english.post(url, data={"seat-1": setup.judge3.id, "seat-2": setup.judge2.id,
                            "seat-3": setup.reserve.id, "seat-4": setup.conflicted.id})
    seats = panels.seats_by_criterion([setup.b1])[setup.b1.id]
    assert [s.judge_id for s in seats] == [setup.judge3.id, setup.judge2.id, setup.reserve.id,
                                           setup.conflicted.id]
    response = english.post(url, data={"seat-1": outsider.id}, follow_redirects=True)
    assert "Choose the panel from the event" in response.get_data(as_text=True)
    assert len(panels.seats_by_criterion([setup.b1])[setup.b1.id]) == 4


@pytest.mark.parametrize("who", ["judge", "worker", "other_organiser"])
def test_only_organisers_and_the_chief_judge_open_the_panels_page(setup, login_as, client,
                                                                   who):
    from tests.factories import make_organiser
    user = {"judge": lambda: setup.judge2,
            "worker": lambda: make_worker(setup.tree.firm, name="路人甲",
                                          user=make_user("passerby")).user,
            "other_organiser": lambda: make_organiser(setup.tree.other_city)}[who]()
    db.session.commit()
    login_as(user)
    assert client.get(f"/judging/events/{setup.event.id}/officials").status_code == 403
    assert client.post(f"/judging/events/{setup.event.id}/start").status_code == 403


def test_marking_starts_from_the_panels_page(tree, login_as, english):
    setup = MarkingSetup(tree, start=False)
    db.session.commit()
    login_as(setup.chief)
    english.post(f"/judging/events/{setup.event.id}/start")
    db.session.expire_all()
    assert setup.event.stage is EventStage.SCORING


# The judge's list and the score sheet

def test_a_judge_sees_only_the_blind_codes_they_mark(setup, login_as):
    login_as(setup.conflicted)
    text = login_as(setup.conflicted).get(
        f"/judging/events/{setup.event.id}/sheets").get_data(as_text=True)
    assert setup.code(2) in text and setup.code(3) in text
    assert setup.code(0) not in text and setup.code(1) not in text


def test_a_judge_cannot_open_an_entrant_from_their_own_unit(setup, login_as, client):
    login_as(setup.conflicted)
    assert client.get(sheet_url(setup, 0)).status_code == 404
    response = post_sheet(client, setup, 0, {setup.b1: "30"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 0


def test_judges_never_receive_names_units_or_entry_numbers(setup, login_as, client):
    login_as(setup.judge2)
    pages = [client.get("/judging/"), client.get(f"/judging/events/{setup.event.id}/sheets")]
    pages += [client.get(sheet_url(setup, i)) for i in range(4)]
    pages.append(post_sheet(client, setup, 0, {setup.a1: "99"}))  # an error page too
    for response in pages:
        assert response.status_code in (200, 422)
        text = response.get_data(as_text=True)
        for detail in private_details(setup):
            assert detail not in text, detail


def test_a_draft_saves_and_the_sheet_shows_it(setup, login_as, client):
    login_as(setup.judge2)
    response = post_sheet(client, setup, 0, {setup.a1: "12.5", setup.b1: ""})
    assert response.status_code == 303
    page = client.get(sheet_url(setup, 0)).get_data(as_text=True)
    assert 'value="12.50"' in page and "草稿" in page
    assert db.session.scalar(sa.select(Mark.value)) == D("12.5")


@pytest.mark.parametrize(("value", "message"), [
    ("40.5", "Enter a mark from 0 to 40."), ("12.3", "Marks go in steps of 0.5."),
    ("abc", "Enter a number"), ("NaN", "Enter a number"), ("-1", "Enter a mark from 0 to 40.")])
def test_a_bad_mark_is_refused_naming_the_field_and_nothing_is_saved(
        setup, login_as, english, value, message):
    login_as(setup.judge2)
    response = post_sheet(english, setup, 0, {setup.a1: value, setup.b1: "30"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and f'id="mark-{setup.a1.id}"' in text
    assert f'value="{value}"' in text  # what they typed is kept for correcting
    assert db.session.scalar(sa.select(sa.func.count(Mark.id))) == 0


def test_a_double_submit_creates_one_set_of_marks(setup, login_as, client):
    login_as(setup.judge2)
    marks = {setup.a1: "20", setup.b1: "45.5"}
    first = post_sheet(client, setup, 0, marks, action="submit")
    second = post_sheet(client, setup, 0, marks, action="submit")
    assert first.status_code == 303 and second.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Mark.id))) == 2
    sheet = db.session.scalar(sa.select(ScoreSheet))
    assert sheet.status is SheetStatus.SUBMITTED and sheet.version == 1


def test_a_stale_form_gets_a_clear_message_and_overwrites_nothing(setup, login_as, english):
    login_as(setup.judge2)
    post_sheet(english, setup, 0, {setup.a1: "10"}, version=0)
    post_sheet(english, setup, 0, {setup.a1: "11"}, version=1)   # the other window
    response = post_sheet(english, setup, 0, {setup.a1: "12"}, version=1)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "changed since you opened the sheet" in text and "A1 = 12" in text
    assert 'value="11.00"' in text
    db.session.expire_all()
    assert db.session.scalar(sa.select(Mark.value)) == D(11)


def test_a_submitted_sheet_is_locked(setup, login_as, english):
    login_as(setup.judge2)
    post_sheet(english, setup, 0, {setup.a1: "20", setup.b1: "40"}, action="submit")
    response = post_sheet(english, setup, 0, {setup.a1: "21", setup.b1: "40"}, version=1)
    assert response.status_code == 409
    assert "submitted and is locked" in response.get_data(as_text=True)
    assert 'readonly' in english.get(sheet_url(setup, 0)).get_data(as_text=True)


def test_a_judge_declares_a_conflict_and_the_entry_leaves_their_list(setup, login_as, client):
    login_as(setup.judge3)
    client.post(f"{sheet_url(setup, 2)}/conflict", data={"reason": "选手是我的徒弟"})
    text = client.get(f"/judging/events/{setup.event.id}/sheets").get_data(as_text=True)
    table = text[text.index('data-testid="sheets"'):]
    assert setup.code(2) not in table and setup.code(3) in table
    assert client.get(sheet_url(setup, 2)).status_code == 404


def test_sheets_are_read_only_before_marking_starts(tree, login_as, client):
    setup = MarkingSetup(tree, start=False)
    db.session.commit()
    login_as(setup.judge2)
    assert "readonly" in client.get(sheet_url(setup, 0)).get_data(as_text=True)
    response = post_sheet(client, setup, 0, {setup.a1: "10"})
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Mark.id))) == 0


def test_the_judging_home_lists_the_users_appointments(setup, login_as, client):
    login_as(setup.judge2)
    assert setup.event.occupation.name in client.get("/judging/").get_data(as_text=True)


def test_the_judging_home_refuses_users_without_appointments(setup, login_as, client):
    login_as(make_user("noroles", employer=make_enterprise(setup.tree.city)))
    assert client.get("/judging/").status_code == 403


def test_another_judges_sheet_is_not_reachable(setup, login_as, client):
    marking.save_sheet(setup.judge3, setup.event, setup.code(3), {setup.b1.id: D(30)},
                       version=0)
    db.session.commit()
    login_as(setup.judge2)
    page = client.get(sheet_url(setup, 3)).get_data(as_text=True)
    assert 'value="30.00"' not in page  # judge2's own sheet for the entry is empty


def test_submitting_goes_on_to_the_next_sheet_then_back_to_the_list(setup, login_as, client):
    login_as(setup.judge2)
    codes = sorted(w.blind_code for w in marking.judge_work(setup.judge2, setup.event))
    for n, code in enumerate(codes):
        index = [e.blind_code for e in setup.entries].index(code)
        response = post_sheet(client, setup, index, {setup.a1: "20", setup.b1: "40"},
                              action="submit")
        following = codes[n + 1] if n + 1 < len(codes) else None
        expected = (f"/judging/events/{setup.event.id}/sheets/{following}" if following
                    else f"/judging/events/{setup.event.id}/sheets")
        assert response.status_code == 303 and response.headers["Location"].endswith(expected)
        resumed = client.get(f"/judging/events/{setup.event.id}/sheets/next?after={code}")
        assert resumed.status_code == 303 and resumed.headers["Location"].endswith(expected)
