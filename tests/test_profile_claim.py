"""A worker claims the profile an organiser created for them, with a code: never with the ID
number and phone alone."""

import re
from datetime import timedelta

import pytest

from competitions.accounts import tokens
from competitions.accounts.models import AccountToken, User
from competitions.audit.models import AuditEntry
from competitions.database import clock_at, utcnow
from competitions.extensions import db
from competitions.notifications import outbox
from tests.conftest import login
from tests.factories import make_organiser, make_user, make_worker, valid_id_number


@pytest.fixture
def profiles(tree):
    organiser = make_organiser(tree.city, "city_org")
    mine = make_worker(tree.firm, name="陈师傅", id_number=valid_id_number(serial=11))
    theirs = make_worker(tree.firm, name="林师傅", id_number=valid_id_number(serial=12),
                         email="lin@example.cn")
    claimant = make_user("chen")
    db.session.commit()
    return organiser, mine, theirs, claimant


def _issue_code(app, organiser, worker) -> str:
    client = app.test_client()
    login(client, organiser)
    page = client.post(f"/accounts/workers/{worker.id}/claim-code").get_data(as_text=True)
    return re.search(r'data-testid="claim-code"><strong>(\w+)<', page).group(1)


def _claim(client, worker, code):
    return client.post("/accounts/claim", data={"id_number": worker.id_number, "code": code})


def test_a_worker_claims_the_profile_with_the_organisers_code(app, profiles, client):
    organiser, mine, _theirs, claimant = profiles
    code = _issue_code(app, organiser, mine)
    assert len(code) == 8 and not set(code) & set("01OIL")
    login(client, claimant)
    assert client.get("/accounts/claim").status_code == 200
    response = _claim(client, mine, code.lower()[:4] + "-" + code[4:])
    assert response.status_code == 302 and response.headers["Location"].endswith("/me")
    db.session.expire_all()
    assert mine.user_id == claimant.id
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "worker.claim")).actor_name == "chen"
    assert client.get("/registration/me").status_code == 200
    assert client.get("/accounts/claim").status_code == 302  # nothing left to claim


def test_a_worker_cannot_claim_someone_elses_profile(app, profiles, client):
    organiser, mine, theirs, claimant = profiles
    code_for_mine = _issue_code(app, organiser, mine)
    login(client, claimant)
    assert _claim(client, theirs, code_for_mine).status_code == 200  # the code is for another
    # ID number and phone alone prove nothing
    client.post("/accounts/claim", data={"id_number": theirs.id_number, "code": theirs.phone})
    db.session.expire_all()
    assert theirs.user_id is None and mine.user_id is None


def test_a_claimed_profile_cannot_be_claimed_again(app, profiles, client):
    organiser, mine, _theirs, claimant = profiles
    code = _issue_code(app, organiser, mine)
    mine.user = make_user("first")
    db.session.commit()
    login(client, claimant)
    assert _claim(client, mine, code).status_code == 200
    db.session.expire_all()
    assert mine.user.username == "first"


def test_an_e_mailed_code_works_only_for_the_account_that_asked(app, profiles, client, smtp):
    _organiser, _mine, theirs, claimant = profiles
    login(client, claimant)
    client.post("/accounts/claim/send-code", data={"send-id_number": theirs.id_number})
    outbox.send_due()
    [mail] = smtp.mailbox.to("lin@example.cn")
    code = re.search(r"^\s+([A-Z2-9]{8})$", smtp.mailbox.body(mail), re.M).group(1)
    other = app.test_client()
    login(other, make_user("intruder"))
    db.session.commit()
    assert _claim(other, theirs, code).status_code == 200
    assert _claim(client, theirs, code).status_code == 302
    db.session.expire_all()
    assert theirs.user_id == claimant.id


def test_a_profile_with_only_a_phone_gets_no_pretend_sms(app, profiles, client):
    _organiser, mine, _theirs, claimant = profiles
    login(client, claimant)
    client.post("/accounts/claim/send-code", data={"send-id_number": mine.id_number})
    assert db.session.scalar(db.select(db.func.count(AccountToken.id))) == 0
    assert outbox.waiting_count() == 0


def test_wrong_codes_are_counted_and_the_code_voided_after_five(app, profiles, client):
    organiser, mine, _theirs, claimant = profiles
    code = _issue_code(app, organiser, mine)
    app.config["CLAIM_LIMITS_PER_PROFILE"] = "100 per hour"
    login(client, claimant)
    for _ in range(tokens.MAX_FAILED_ATTEMPTS):
        assert _claim(client, mine, "WRONG234").status_code == 200
    token = db.session.scalar(db.select(AccountToken))
    db.session.refresh(token)
    assert token.failed_attempts == tokens.MAX_FAILED_ATTEMPTS
    assert _claim(client, mine, code).status_code == 200  # void now
    db.session.expire_all()
    assert mine.user_id is None


def test_claims_are_throttled_per_profile(app, profiles, client):
    _organiser, mine, _theirs, claimant = profiles
    login(client, claimant)
    statuses = [_claim(client, mine, "WRONG234").status_code for _ in range(6)]
    assert statuses[-1] == 429


def test_an_expired_code_is_refused(app, profiles, client):
    organiser, mine, _theirs, claimant = profiles
    code = _issue_code(app, organiser, mine)
    with clock_at(utcnow() + timedelta(days=14, seconds=1)):
        login(client, claimant)
        assert _claim(client, mine, code).status_code == 200
    db.session.expire_all()
    assert mine.user_id is None


@pytest.mark.parametrize("who", ["other_organiser", "worker", "anonymous"])
def test_only_the_workers_organisers_issue_claim_codes(app, tree, profiles, client, who):
    _organiser, mine, _theirs, claimant = profiles
    if who == "other_organiser":
        login(client, make_organiser(tree.other_city, "suzhou"))
    elif who == "worker":
        login(client, claimant)
    db.session.commit()
    expected = 302 if who == "anonymous" else 403
    assert client.post(f"/accounts/workers/{mine.id}/claim-code").status_code == expected
    assert db.session.scalar(db.select(db.func.count(AccountToken.id))) == 0


# --- a worker with no account yet: sign-up points to the claim, which opens the account ----


def _accounts() -> int:
    return db.session.scalar(db.select(db.func.count(User.id)))


def _sign_up(client, tree, id_number, **overrides):
    data = {"username": "chenshifu", "password": "Hanjie-2031x", "confirm": "Hanjie-2031x",
            "email": "", "name": "陈师傅", "id_number": id_number, "phone": "13987654321",
            "employer": str(tree.firm.id), "occupation": "", "skill_level": "",
            "skill_certificate_no": "", **overrides}
    return client.post("/registration/signup", data=data)


def _claim_signed_out(client, worker, code, **overrides):
    data = {"id_number": worker.id_number, "code": code, "username": "chenshifu",
            "password": "Hanjie-2031x", "confirm": "Hanjie-2031x", **overrides}
    return client.post("/accounts/claim", data=data)


def test_sign_up_with_an_unclaimed_profiles_id_number_points_to_claiming(
        app, tree, profiles, client):
    _organiser, _mine, theirs, _claimant = profiles
    client.set_cookie("lang", "en")
    accounts = _accounts()
    # Whoever types the number learns neither whose profile it is nor how to reach them.
    response = _sign_up(client, tree, theirs.id_number.lower(), name="冒名者", employer="")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="claim-offered"' in page
    assert "already registered a worker profile for this ID number" in page
    assert 'href="/accounts/claim"' in page
    for secret in ("林师傅", "lin@example.cn", theirs.phone, tree.firm.name):
        assert secret not in page
    assert _accounts() == accounts and theirs.user_id is None
    # The number goes to the claim page in the session, not in the address.
    claim_page = client.get("/accounts/claim")
    assert claim_page.status_code == 200
    assert f'value="{theirs.id_number}"' in claim_page.get_data(as_text=True)


def test_sign_up_with_a_claimed_profiles_id_number_says_only_that_it_is_taken(
        app, tree, profiles, client):
    _organiser, mine, _theirs, _claimant = profiles
    mine.user = make_user("first")
    db.session.commit()
    client.set_cookie("lang", "en")
    page = _sign_up(client, tree, mine.id_number).get_data(as_text=True)
    assert "A worker with this ID number is already registered." in page
    assert 'data-testid="claim-offered"' not in page and "first" not in page
    assert "陈师傅" not in page.split("<form")[0]


def test_a_signed_out_worker_claims_with_the_organisers_code_and_is_signed_in(
        app, profiles, client):
    organiser, mine, _theirs, _claimant = profiles
    code = _issue_code(app, organiser, mine)
    page = client.get("/accounts/claim").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page
    response = _claim_signed_out(client, mine, code)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me")
    db.session.expire_all()
    account = db.session.scalar(db.select(User).where(User.username == "chenshifu"))
    assert mine.user_id == account.id and account.display_name == "陈师傅"
    actions = set(db.session.scalars(db.select(AuditEntry.action)))
    assert {"account.create", "worker.claim"} <= actions
    assert db.session.scalar(db.select(AccountToken)).used_at is not None
    assert client.get("/registration/me").status_code == 200  # signed in, with the profile
    # The code is spent: nobody opens a second account with it.
    other = app.test_client()
    assert _claim_signed_out(other, mine, code, username="second").status_code == 200
    assert _accounts() == 3  # city_org, chen and chenshifu


def test_a_wrong_code_opens_no_account(app, profiles, client):
    organiser, mine, _theirs, _claimant = profiles
    _issue_code(app, organiser, mine)
    accounts = _accounts()
    client.set_cookie("lang", "en")
    response = _claim_signed_out(client, mine, "WRONG234")
    assert response.status_code == 200
    assert "the code is wrong" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _accounts() == accounts and mine.user_id is None
    assert db.session.scalar(db.select(AccountToken)).failed_attempts == 1
    assert client.get("/registration/me").status_code == 302  # still signed out


def test_a_right_code_with_a_weak_password_spends_nothing(app, profiles, client):
    organiser, mine, _theirs, _claimant = profiles
    code = _issue_code(app, organiser, mine)
    accounts = _accounts()
    response = _claim_signed_out(client, mine, code, password="abcdefgh", confirm="abcdefgh")
    assert response.status_code == 200
    db.session.expire_all()
    assert _accounts() == accounts and mine.user_id is None
    token = db.session.scalar(db.select(AccountToken))
    assert token.used_at is None and token.failed_attempts == 0
    assert _claim_signed_out(client, mine, code).status_code == 302


def test_a_code_for_one_profile_does_not_claim_another_signed_out(app, profiles, client):
    organiser, mine, theirs, _claimant = profiles
    code_for_mine = _issue_code(app, organiser, mine)
    accounts = _accounts()
    assert _claim_signed_out(client, theirs, code_for_mine).status_code == 200
    assert _claim_signed_out(client, theirs, theirs.phone).status_code == 200
    db.session.expire_all()
    assert _accounts() == accounts and theirs.user_id is None and mine.user_id is None


def test_a_signed_out_worker_claims_with_an_e_mailed_code(app, profiles, client, smtp):
    _organiser, _mine, theirs, claimant = profiles
    client.post("/accounts/claim/send-code", data={"send-id_number": theirs.id_number})
    outbox.send_due()
    [mail] = smtp.mailbox.to("lin@example.cn")
    body = smtp.mailbox.body(mail)
    code = re.search(r"^\s+([A-Z2-9]{8})$", body, re.M).group(1)
    assert "open a new account with your worker profile" in body or "新账号" in body
    # Asked for while signed out, it opens a new account: no existing one takes it.
    signed_in = app.test_client()
    login(signed_in, claimant)
    assert _claim(signed_in, theirs, code).status_code == 200
    db.session.expire_all()
    assert theirs.user_id is None
    response = _claim_signed_out(client, theirs, code, username="linshifu")
    assert response.status_code == 302
    db.session.expire_all()
    account = db.session.scalar(db.select(User).where(User.username == "linshifu"))
    assert theirs.user_id == account.id
    assert account.email == "lin@example.cn"  # the mailbox is proven: reset by e-mail works
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "worker.claim"))
    assert entry.actor_name == "linshifu" and "emailed_code" in entry.after


def test_an_e_mailed_code_asked_for_by_an_account_does_not_open_a_new_one(
        app, profiles, client, smtp):
    _organiser, _mine, theirs, claimant = profiles
    signed_in = app.test_client()
    login(signed_in, claimant)
    signed_in.post("/accounts/claim/send-code", data={"send-id_number": theirs.id_number})
    outbox.send_due()
    [mail] = smtp.mailbox.to("lin@example.cn")
    code = re.search(r"^\s+([A-Z2-9]{8})$", smtp.mailbox.body(mail), re.M).group(1)
    accounts = _accounts()
    assert _claim_signed_out(client, theirs, code).status_code == 200
    db.session.expire_all()
    assert _accounts() == accounts and theirs.user_id is None


def test_signed_out_claims_are_throttled_per_profile(app, profiles, client):
    _organiser, mine, _theirs, _claimant = profiles
    statuses = [_claim_signed_out(client, mine, "WRONG234").status_code for _ in range(6)]
    assert statuses[-1] == 429 and _accounts() == 2


def test_an_account_without_a_profile_is_offered_the_claim(app, profiles, client):
    _organiser, _mine, _theirs, claimant = profiles
    login(client, claimant)
    response = client.get("/registration/me")
    assert response.status_code == 404 and 'href="/accounts/claim"' in response.get_data(
        as_text=True)
