"""Organisers find people for their competitions' official roles, and create and invite an
official who has no account."""

import re

import pytest

from competitions.accounts.models import AccountToken, Role, RoleGrant, User
from competitions.accounts.people import search_people
from competitions.extensions import db
from competitions.notifications import outbox
from tests.conftest import login
from tests.factories import (
    make_admin,
    make_competition,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)

LINK = re.compile(r"http://127\.0\.0\.1:5000(/accounts/link/[\w-]+)")


@pytest.fixture
def contest(tree):
    organiser = make_organiser(tree.city, "city_org")
    competition = make_competition(tree.city)
    event = make_event(competition)
    db.session.commit()
    return organiser, competition, event


def test_an_organiser_creates_and_invites_a_judge_who_then_signs_in(app, tree, contest, client,
                                                                    smtp):
    organiser, competition, event = contest
    login(client, organiser)
    page = client.post(f"/accounts/competitions/{competition.id}/people/new?unit_q=南京钢铁", data={
        "display_name": "周裁判", "email": "zhou@example.cn", "phone": "",
        "unit": tree.firm.id, "role": f"judge:{event.id}"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    shown = LINK.search(page.get_data(as_text=True)).group(1)
    judge = db.session.scalar(db.select(User).where(User.email == "zhou@example.cn"))
    assert judge.employer_id == tree.firm.id
    assert [(g.role, g.event_id) for g in judge.grants] == [(Role.JUDGE, event.id)]
    [token] = db.session.scalars(db.select(AccountToken)).all()
    assert shown.rsplit("/", 1)[1] not in token.token_hash  # only the digest is kept

    assert outbox.send_due().sent == 1
    [mail] = smtp.mailbox.to("zhou@example.cn")
    assert LINK.search(smtp.mailbox.body(mail)).group(1) == shown

    client.post("/accounts/logout")
    assert client.get(shown).status_code == 200
    done = client.post(shown, data={"password": "zhou2027pass", "confirm": "zhou2027pass"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/accounts/dashboard")
    assert client.get("/accounts/dashboard").status_code == 200
    client.post("/accounts/logout")
    assert login(client, "zhou@example.cn", "zhou2027pass").status_code == 302
    assert client.get(shown).status_code == 410  # the invitation is used


def test_an_official_without_e_mail_gets_a_link_the_organiser_hands_over(app, tree, contest,
                                                                         client, smtp):
    organiser, competition, _event = contest
    login(client, organiser)
    page = client.post(f"/accounts/competitions/{competition.id}/people/new", data={
        "display_name": "吴仲裁", "email": "", "phone": "13900001111",
        "unit": tree.city.id, "role": "arbitrator"})
    assert LINK.search(page.get_data(as_text=True))
    assert outbox.send_due().sent == 0
    grant = db.session.scalar(db.select(RoleGrant).where(RoleGrant.role == Role.ARBITRATOR))
    assert grant.competition_id == competition.id and grant.user.phone == "13900001111"


def test_an_official_needs_an_e_mail_or_a_phone(app, tree, contest, client):
    organiser, competition, _event = contest
    login(client, organiser)
    page = client.post(f"/accounts/competitions/{competition.id}/people/new", data={
        "display_name": "无名", "unit": tree.city.id, "role": "arbitrator"})
    assert page.status_code == 200 and db.session.scalar(
        db.select(User).where(User.display_name == "无名")) is None


def test_an_organiser_finds_only_people_of_their_units_and_their_officials(app, tree, contest):
    organiser, competition, event = contest
    own = make_user("wang", display_name="王工", employer=tree.firm)
    worker_account = make_user("wang2", display_name="王师傅")
    make_worker(tree.firm, name="王师傅", user=worker_account)
    stranger = make_user("wang3", display_name="王外人", employer=tree.other_firm)
    officiating = make_user("wang4", display_name="王裁判", employer=tree.other_firm)
    db.session.add(RoleGrant(user=officiating, role=Role.JUDGE, event_id=event.id))
    db.session.commit()
    assert set(search_people(organiser, "王")) == {own, worker_account, officiating}
    assert stranger in search_people(make_admin(), "王")
    assert search_people(organiser, "%") == []


def test_an_organiser_appoints_a_person_found(app, tree, contest, client):
    organiser, competition, _event = contest
    person = make_user("li", display_name="李加密", employer=tree.firm, email="li@example.cn")
    stranger = make_user("zhao", employer=tree.other_firm)
    db.session.commit()
    login(client, organiser)
    page = client.get(f"/accounts/competitions/{competition.id}/people?q=li@example.cn")
    assert "李加密" in page.get_data(as_text=True)
    url = f"/accounts/competitions/{competition.id}/people/appoint"
    client.post(url, data={"user_id": person.id, "role": "encryption_officer"})
    assert [g.role for g in person.grants] == [Role.ENCRYPTION_OFFICER]
    assert client.post(url, data={"user_id": stranger.id, "role": "arbitrator"}
                       ).status_code == 404


@pytest.mark.parametrize("who", ["other_organiser", "worker", "anonymous"])
def test_only_the_competitions_organisers_reach_its_people_pages(app, tree, contest, client,
                                                                 who):
    _organiser, competition, _event = contest
    if who == "other_organiser":
        login(client, make_organiser(tree.other_city, "suzhou"))
    elif who == "worker":
        login(client, make_user("plain"))
    db.session.commit()
    base = f"/accounts/competitions/{competition.id}/people"
    expected = 302 if who == "anonymous" else 403
    assert client.get(base).status_code == expected
    assert client.post(base + "/new", data={"display_name": "x", "email": "x@example.cn",
                                            "unit": tree.city.id, "role": "arbitrator"}
                       ).status_code == expected
    assert db.session.scalar(db.select(User).where(User.email == "x@example.cn")) is None


def test_an_official_who_never_signed_in_gets_a_new_invitation_and_the_old_link_dies(
        app, tree, contest, client, smtp):
    organiser, competition, event = contest
    login(client, organiser)
    first = LINK.search(client.post(f"/accounts/competitions/{competition.id}/people/new", data={
        "display_name": "郑裁判", "email": "zheng@example.cn", "phone": "",
        "unit": tree.city.id, "role": f"judge:{event.id}"}).get_data(as_text=True)).group(1)
    judge = db.session.scalar(db.select(User).where(User.email == "zheng@example.cn"))
    page = client.get(f"/accounts/competitions/{competition.id}/people").get_data(as_text=True)
    assert f'data-testid="reinvite-{judge.id}"' in page
    again = client.post(f"/accounts/competitions/{competition.id}/people/{judge.id}/invite")
    assert again.status_code == 200 and again.headers["Cache-Control"] == "no-store"
    second = LINK.search(again.get_data(as_text=True)).group(1)
    assert second != first
    outbox.send_due()
    assert [LINK.search(smtp.mailbox.body(m)).group(1)
            for m in smtp.mailbox.to("zheng@example.cn")] == [first, second]
    client.post("/accounts/logout")
    assert client.get(first).status_code == 410
    client.post(second, data={"password": "zheng2027pass", "confirm": "zheng2027pass"})
    client.post("/accounts/logout")  # the link signed the judge in
    login(client, organiser)
    page = client.get(f"/accounts/competitions/{competition.id}/people").get_data(as_text=True)
    assert f'data-testid="reinvite-{judge.id}"' not in page  # signed in: nothing to resend
    refused = client.post(f"/accounts/competitions/{competition.id}/people/{judge.id}/invite")
    assert refused.status_code == 302
    stranger = make_user("stranger_official")
    db.session.commit()
    assert client.post(
        f"/accounts/competitions/{competition.id}/people/{stranger.id}/invite").status_code == 404
