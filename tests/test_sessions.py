"""Login sessions held on the server: what a captured cookie can and cannot do (issue 9)."""

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login.utils import encode_cookie

from competitions.accounts.models import LoginSession, User
from competitions.audit.models import AuditEntry
from competitions.database import utcnow
from competitions.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_admin, make_user

NEW_PASSWORD = "Lathe-2031x"


def signed_in(client) -> bool:
    return client.get("/accounts/dashboard").status_code == 200


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def browser(app, *, session=None, remember=None):
    """Another browser, holding only the cookies given (as a thief would)."""
    other = app.test_client()
    if session:
        other.set_cookie("session", session)
    if remember:
        other.set_cookie("remember", remember)
    return other


def sessions_of(user):
    db.session.expire_all()
    return db.session.scalars(sa.select(LoginSession).where(LoginSession.user_id == user.id)
                              .order_by(LoginSession.id)).all()


@pytest.fixture
def wang(app):
    user = make_user("wangli")
    db.session.commit()
    return user


# --- the session cookie names a server-side session -----------------------------------------

def test_the_session_cookie_holds_a_random_session_token_not_the_user_id(app, client, wang):
    login(client, "wangli")
    data = app.session_interface.get_signing_serializer(app).loads(cookie(client, "session"))
    assert data["_user_id"] != str(wang.id) and len(data["_user_id"]) >= 40
    [row] = sessions_of(wang)
    assert row.token_hash == hashlib.sha256(data["_user_id"].encode()).hexdigest()


def test_logout_ends_a_captured_session_cookie(app, client, wang):
    login(client, "wangli")
    stolen = browser(app, session=cookie(client, "session"))
    assert signed_in(stolen)  # the copy works while the session lives
    client.post("/accounts/logout")
    assert not signed_in(stolen)
    assert sessions_of(wang)[0].ended_at is not None


def test_a_password_change_ends_every_other_session_but_keeps_this_one(app, client, wang):
    login(client, "wangli")
    elsewhere = app.test_client()
    login(elsewhere, "wangli", remember=True)
    stolen = browser(app, session=cookie(elsewhere, "session"),
                     remember=cookie(elsewhere, "remember"))
    response = client.post("/accounts/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(elsewhere) and not signed_in(stolen)
    entry = db.session.scalars(sa.select(AuditEntry)
                               .where(AuditEntry.action == "account.password_change")).one()
    assert json.loads(entry.after)["sessions_ended"] == 1


def test_disabling_an_account_ends_its_sessions_and_remember_tokens(app, client, wang):
    login(client, "wangli", remember=True)
    remembered = browser(app, remember=cookie(client, "remember"))
    admin = make_admin()
    db.session.commit()
    admin_client = app.test_client()
    login(admin_client, admin)
    admin_client.post(f"/accounts/users/{wang.id}/active", data={"active": "0"})
    assert not signed_in(client) and not signed_in(remembered)
    assert all(row.ended_at and row.remember_hash is None for row in sessions_of(wang))
    # Enabled again, the old cookies stay dead.
    admin_client.post(f"/accounts/users/{wang.id}/active", data={"active": "1"})
    assert not signed_in(browser(app, remember=cookie(client, "remember")))


@pytest.mark.parametrize("column", ["last_seen_at", "expires_at"])
def test_a_session_ends_when_idle_too_long_or_at_its_absolute_end(app, client, wang, column):
    login(client, "wangli")
    assert signed_in(client)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    past = utcnow() - (idle + timedelta(seconds=1) if column == "last_seen_at"
                       else timedelta(seconds=1))
    db.session.execute(sa.update(LoginSession).values({column: past}))
    db.session.commit()
    response = client.get("/accounts/dashboard")
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


def test_activity_keeps_a_session_alive(app, client, wang):
    login(client, "wangli")
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    almost = utcnow() - idle + timedelta(seconds=30)
    db.session.execute(sa.update(LoginSession).values(last_seen_at=almost))
    db.session.commit()
    assert signed_in(client)
    assert sessions_of(wang)[0].last_seen_at > almost + timedelta(seconds=20)


# --- remember me: a random token, stored hashed, rotated on use, revocable ------------------

def test_remember_me_is_a_random_token_stored_only_as_its_hash(app, client, wang):
    login(client, "wangli", remember=True)
    first = cookie(client, "remember")
    client.post("/accounts/logout")
    login(client, "wangli", remember=True)
    second = cookie(client, "remember")
    assert first and second and first != second
    assert str(wang.id) not in (first.split("|")[0], second.split("|")[0])
    assert client.get_cookie("remember").http_only
    hashes = {row.remember_hash for row in sessions_of(wang)}
    assert hashlib.sha256(second.encode()).hexdigest() in hashes
    assert not {first, second} & hashes


def test_without_remember_me_there_is_no_remember_cookie(client, wang):
    login(client, "wangli")
    assert cookie(client, "remember") is None


def test_remember_me_resumes_and_rotates_so_the_old_token_is_dead(app, client, wang):
    login(client, "wangli", remember=True)
    token = cookie(client, "remember")
    later = browser(app, remember=token)  # the browser was closed: no session cookie
    assert signed_in(later)
    rotated = cookie(later, "remember")
    assert rotated and rotated != token
    assert not signed_in(browser(app, remember=token))  # a replay of the old token
    assert signed_in(browser(app, remember=rotated))


def test_remember_me_is_revoked_at_logout(app, client, wang):
    login(client, "wangli", remember=True)
    token = cookie(client, "remember")
    client.post("/accounts/logout")
    assert cookie(client, "remember") is None
    assert not signed_in(browser(app, remember=token))


def test_remember_me_expires(app, client, wang):
    login(client, "wangli", remember=True)
    token = cookie(client, "remember")
    db.session.execute(sa.update(LoginSession)
                       .values(remember_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(browser(app, remember=token))


def test_flask_logins_own_user_id_cookie_is_not_honoured(app, client, wang):
    with app.test_request_context():
        forged = encode_cookie(str(wang.id))  # "<user id>|<HMAC>", what used to work
    other = app.test_client()
    other.set_cookie("remember_token", forged)
    assert not signed_in(other)


# --- the account page: sessions and "sign out everywhere" -----------------------------------

def test_account_page_lists_sessions_in_chinese_and_signs_out_everywhere(app, client, wang):
    login(client, "wangli", remember=True)
    elsewhere = app.test_client()
    login(elsewhere, "wangli", remember=True)
    page = client.get("/accounts/security").get_data(as_text=True)
    assert "账户安全" in page and "退出所有设备" in page
    assert page.count('class="badge ok"') == 1  # "this browser", once
    remembered = browser(app, remember=cookie(elsewhere, "remember"))
    response = client.post("/accounts/security/sign-out-everywhere")
    assert response.status_code == 302
    assert not any(signed_in(c) for c in (client, elsewhere, remembered))
    assert all(row.ended_at is not None for row in sessions_of(wang))
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "account.sign_out_everywhere")) == 1


def test_sign_out_everywhere_needs_a_signed_in_post(app, client, wang):
    assert client.post("/accounts/security/sign-out-everywhere").status_code == 302
    login(client, "wangli")
    assert client.get("/accounts/security/sign-out-everywhere").status_code == 405
    assert signed_in(client)


def test_another_users_sessions_are_not_shown(app, client, wang):
    other = make_user("zhaoqiang")
    db.session.commit()
    other_client = app.test_client()
    login(other_client, other)
    other_client.get("/accounts/dashboard", headers={"User-Agent": "ZhaoBrowser/1.0"})
    login(client, "wangli")
    assert "ZhaoBrowser" not in client.get("/accounts/security").get_data(as_text=True)
    assert db.session.get(User, other.id) is not None


@pytest.mark.parametrize(("header", "device"), [
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 "
     "Safari/537.36", "Chrome · Linux"),
    ("Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 Chrome/120.0 Mobile "
     "Safari/537.36 MicroMessenger/8.0.47", "WeChat · Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 "
     "Safari/537.36 Edg/131.0", "Edge · Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
     "Version/17.5 Mobile/15E148 Safari/604.1", "Safari · iPhone"),
    ("curl/8.0", ""),
])
def test_a_session_names_its_browser_and_system(header, device):
    assert LoginSession(user_agent=header).device == device


def test_accounts_compare_by_identity_not_by_session(app, wang):
    """get_id() is a session token now; comparing two accounts must not need one."""
    other = make_user("zhaoqiang")
    db.session.commit()
    same = db.session.get(User, wang.id)
    assert same == wang and same in [other, wang] and other != wang
