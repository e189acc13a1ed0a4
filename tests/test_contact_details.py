"""A worker edits their own phone and e-mail: validated, unique among accounts, kept the same on
the account they log in with, audited; name, ID number and employer stay the organisers'."""

import html
import json

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.extensions import db
from competitions.registration.models import Worker
from tests.conftest import login
from tests.factories import make_organiser, make_user, make_worker, valid_id_number


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def worker(tree):
    user = make_user("worker", phone="13812345678", email="old@example.com")
    profile = make_worker(tree.firm, name="张三明", user=user, phone="13812345678",
                          email="old@example.com", id_number=valid_id_number(serial=501))
    db.session.commit()
    return profile


def save(client, **data):
    response = client.post("/registration/me", data=data, follow_redirects=True)
    return html.unescape(response.get_data(as_text=True))


def fresh(worker) -> Worker:
    db.session.expire_all()
    return db.session.get(Worker, worker.id)


def test_profile_shows_the_contact_form_with_the_notice(worker, login_as):
    page = html.unescape(login_as(worker.user).get("/registration/me").get_data(as_text=True))
    assert "My contact details" in page and "Organisers use this phone number" in page
    assert 'name="phone"' in page and 'name="email"' in page and "old@example.com" in page
    assert 'name="name"' not in page and 'name="id_number"' not in page
    assert 'name="employer"' not in page
    # The number on file shows masked, as everywhere on the worker's own pages.
    assert "13812345678" not in page and "Leave it empty to keep 138****5678." in page


def test_an_empty_phone_keeps_the_number_on_file(worker, login_as):
    page = save(login_as(worker.user), phone="", email="new@example.com")
    assert "Your contact details have been saved." in page
    worker = fresh(worker)
    assert (worker.phone, worker.email) == ("13812345678", "new@example.com")
    assert worker.user.phone == "13812345678"


def test_a_worker_without_a_phone_on_file_must_give_one(tree, login_as):
    user = make_user("nophone")
    profile = make_worker(tree.firm, name="王五", user=user, phone=None,
                          id_number=valid_id_number(serial=503))
    db.session.commit()
    page = save(login_as(user), phone="", email="")
    assert "Give a mobile phone number" in page and fresh(profile).phone is None
    page = save(login_as(user), phone="13911112222", email="")
    assert fresh(profile).phone == "13911112222" and fresh(profile).user.phone == "13911112222"


def test_worker_changes_phone_and_email_and_logs_in_with_them(worker, login_as, client):
    page = save(login_as(worker.user), phone="139 0000 1111", email=" New@Example.com ")
    assert "Your contact details have been saved." in page
    worker = fresh(worker)
    assert (worker.phone, worker.email) == ("13900001111", "new@example.com")
    assert (worker.user.phone, worker.user.email) == ("13900001111", "new@example.com")
    client.post("/accounts/logout")
    assert login(client, "13900001111").status_code == 302
    client.post("/accounts/logout")
    assert login(client, "new@example.com").status_code == 302
    client.post("/accounts/logout")
    assert login(client, "13812345678").status_code != 302  # the old phone no longer logs in


def test_change_is_audited_with_masked_values(worker, login_as):
    save(login_as(worker.user), phone="13900001111", email="new@example.com")
    (audit,) = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "worker.contact")).all()
    before, after = json.loads(audit.before), json.loads(audit.after)
    assert before["phone"] == "138****5678" and after["phone"] == "139****1111"
    assert after["email"] == "n***@example.com"
    assert "13900001111" not in audit.after and "new@example.com" not in audit.after


def test_the_same_details_posted_twice_change_nothing_twice(worker, login_as):
    client = login_as(worker.user)
    save(client, phone="13900001111", email="new@example.com")
    page = save(client, phone="13900001111", email="new@example.com")
    assert "unchanged" in page
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "worker.contact")) == 1


@pytest.mark.parametrize("phone, email, message", [
    ("12345", "", "is not a mainland mobile number"),
    ("23800001111", "", "is not a mainland mobile number"),
    ("13900001111", "not-an-address", "is not an e-mail address"),
    ("13900001111", "a@b", "is not an e-mail address"),
    ("13900001111", "x" * 250 + "@example.com", "254"),
])
def test_invalid_details_are_refused_and_nothing_changes(worker, login_as, phone, email,
                                                         message):
    page = save(login_as(worker.user), phone=phone, email=email)
    assert message in page
    worker = fresh(worker)
    assert (worker.phone, worker.email) == ("13812345678", "old@example.com")


def test_phone_or_email_of_another_account_is_refused(worker, login_as, tree):
    make_user("someone", phone="13700000000", email="taken@example.com")
    make_user("13600000000")  # a username that looks like a phone number
    db.session.commit()
    client = login_as(worker.user)
    assert "The phone number 13700000000 is already used." in save(
        client, phone="13700000000", email="")
    assert "The e-mail address taken@example.com is already used." in save(
        client, phone="13900001111", email="TAKEN@example.com")
    assert "is already used" in save(client, phone="13600000000", email="")
    assert fresh(worker).phone == "13812345678"


def test_email_may_be_cleared(worker, login_as):
    save(login_as(worker.user), phone="13812345678", email="")
    worker = fresh(worker)
    assert worker.email is None and worker.user.email is None


def test_posted_name_id_and_employer_are_ignored(worker, login_as, tree):
    save(login_as(worker.user), phone="13900001111", email="", name="王五",
         id_number=valid_id_number(serial=502), employer=str(tree.other_firm.id))
    worker = fresh(worker)
    assert worker.name == "张三明" and worker.employer_id == tree.firm.id
    assert worker.id_number == valid_id_number(serial=501)


def test_organiser_without_a_profile_gets_no_form(tree, login_as):
    organiser = make_organiser(tree.city)
    db.session.commit()
    response = login_as(organiser).post("/registration/me", data={"phone": "13900001111"})
    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(worker, client):
    response = client.post("/registration/me", data={"phone": "13900001111"})
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    assert fresh(worker).phone == "13812345678"


def test_the_organisers_view_of_another_worker_has_no_contact_form(worker, login_as, tree):
    organiser = make_organiser(tree.firm)
    db.session.commit()
    page = login_as(organiser).get(f"/registration/workers/{worker.id}").get_data(as_text=True)
    assert "My contact details" not in page


def test_an_email_kept_only_on_the_account_is_offered_and_copied_to_the_profile(tree, login_as):
    user = make_user("signed_up", email="mine@example.com")
    profile = make_worker(tree.firm, name="王五", user=user,
                          id_number=valid_id_number(serial=504), phone="13911113333")
    db.session.commit()
    client = login_as(user)
    assert "mine@example.com" in client.get("/registration/me").get_data(as_text=True)
    save(client, phone="", email="mine@example.com")
    assert fresh(profile).email == "mine@example.com"
