"""Password reset by a one-time, expiring link: self-service by e-mail, or issued by an
organiser for a worker of their subtree."""

import re
from datetime import timedelta

import pytest

from competitions.accounts import tokens
from competitions.accounts.models import (
    AccountToken,
    LoginSession,
    Role,
    RoleGrant,
    TokenPurpose,
)
from competitions.audit.models import AuditEntry
from competitions.database import clock_at, utcnow
from competitions.extensions import db
from competitions.i18n import LANGUAGE_COOKIE
from competitions.notifications import outbox
from competitions.notifications.models import Notification
from tests.conftest import login
from tests.factories import PASSWORD, make_organiser, make_user, make_worker

LINK = re.compile(r"http://127\.0\.0\.1:5000(/accounts/link/[\w-]+)")
NEW = {"password": "newpass2027", "confirm": "newpass2027"}


@pytest.fixture
def worker_account(tree):
    user = make_user("wangwu", email="wangwu@example.cn")
    worker = make_worker(tree.firm, user=user)
    organiser = make_organiser(tree.city, "city_org")
    db.session.commit()
    return user, worker, organiser


def _emailed_link(smtp, address) -> str:
    assert outbox.send_due().sent >= 1
    return LINK.search(smtp.mailbox.body(smtp.mailbox.to(address)[-1])).group(1)


def test_a_reset_link_by_e_mail_works_once_and_ends_every_session(app, worker_account, client,
                                                                 smtp):
    user, _worker, _organiser = worker_account
    other = app.test_client()
    login(other, user)
    answer = client.post("/accounts/forgot", data={"login": "wangwu"}, follow_redirects=True)
    link = _emailed_link(smtp, "wangwu@example.cn")
    assert client.post(link, data=NEW).headers["Location"].endswith("/accounts/login")
    assert login(client, "wangwu", "newpass2027").status_code == 302
    assert other.get("/accounts/dashboard").status_code == 302  # signed out there
    assert db.session.scalar(db.select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))) is not None
    # used: a second post changes nothing
    page = client.post(link, data={"password": "other2027x", "confirm": "other2027x"})
    assert page.status_code == 410 and 'data-testid="link-invalid"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert user.check_password("newpass2027")
    # the holder is told, in the inbox and by e-mail
    assert db.session.scalar(db.select(Notification.kind).where(
        Notification.user_id == user.id)) == "password_reset"
    outbox.send_due()
    assert len(smtp.mailbox.to("wangwu@example.cn")) == 2
    assert "wangwu" not in answer.get_data(as_text=True)


def test_forgot_password_says_the_same_for_unknown_accounts(app, worker_account, client, smtp):
    assert "/accounts/forgot" in client.get("/accounts/login").get_data(as_text=True)
    assert client.get("/accounts/forgot").status_code == 200
    known = client.post("/accounts/forgot", data={"login": "wangwu"}, follow_redirects=True)
    unknown = client.post("/accounts/forgot", data={"login": "nobody"}, follow_redirects=True)
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AccountToken.id))) == 1


def test_a_reset_link_expires_after_an_hour(app, worker_account, client, smtp):
    user, _worker, _organiser = worker_account
    client.post("/accounts/forgot", data={"login": "wangwu@example.cn"})
    link = _emailed_link(smtp, "wangwu@example.cn")
    with clock_at(utcnow() + timedelta(minutes=61)):
        assert client.post(link, data=NEW).status_code == 410
    db.session.expire_all()
    assert user.check_password(PASSWORD)


def test_forgot_password_is_throttled(app, worker_account, client):
    statuses = [client.post("/accounts/forgot", data={"login": "wangwu"}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_an_organiser_issues_a_reset_link_for_a_worker(app, worker_account, client, smtp):
    user, worker, organiser = worker_account
    login(client, organiser)
    page = client.post(f"/accounts/workers/{worker.id}/reset-link")
    assert page.status_code == 200
    link = LINK.search(page.get_data(as_text=True)).group(1)
    assert _emailed_link(smtp, "wangwu@example.cn") == link
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "account.reset_issue"))
    assert entry.actor_name == "city_org"
    worker_client = app.test_client()
    assert worker_client.post(link, data=NEW).status_code == 302
    assert login(worker_client, "wangwu", "newpass2027").status_code == 302
    assert worker_client.post(link, data=NEW).status_code == 410  # single use
    [note] = db.session.scalars(db.select(Notification).where(Notification.user_id == user.id))
    assert note.params["by"] == "city_org"


def test_an_organiser_issued_link_expires(app, worker_account, client):
    _user, worker, organiser = worker_account
    login(client, organiser)
    link = LINK.search(client.post(f"/accounts/workers/{worker.id}/reset-link")
                       .get_data(as_text=True)).group(1)
    with clock_at(utcnow() + tokens.LIFETIMES[TokenPurpose.RESET] + timedelta(seconds=1)):
        assert app.test_client().get(link).status_code == 410


@pytest.mark.parametrize("role", [Role.JUDGE, Role.ORGANISER])
def test_no_organiser_link_for_an_officials_or_organisers_account(app, tree, worker_account,
                                                                  client, role):
    user, worker, organiser = worker_account
    db.session.add(RoleGrant(user=user, role=role,
                             organisation=tree.firm if role is Role.ORGANISER else None))
    db.session.commit()
    login(client, organiser)
    client.set_cookie(LANGUAGE_COOKIE, "en")
    access = client.get(f"/accounts/workers/{worker.id}/access").get_data(as_text=True)
    assert "reset-link" not in access and "organiser's or official's role" in access
    page = client.post(f"/accounts/workers/{worker.id}/reset-link", follow_redirects=True)
    assert "no organiser or official role" in page.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AccountToken.id))) == 0


def test_an_organiser_of_another_subtree_cannot_issue_a_link(app, tree, worker_account, client):
    _user, worker, _organiser = worker_account
    login(client, make_organiser(tree.other_city, "suzhou"))
    db.session.commit()
    assert client.post(f"/accounts/workers/{worker.id}/reset-link").status_code == 403
    assert client.get(f"/accounts/workers/{worker.id}/access").status_code == 403
