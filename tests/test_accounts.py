"""Logging in, lockout, passwords, and account administration."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant, User
from competitions.audit.models import AuditEntry
from competitions.database import utcnow
from competitions.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_admin, make_organiser, make_user, make_worker

WRONG = "Wrong username or password, or too many attempts."


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English; the Chinese catalogue is tested in test_security."""
    client.set_cookie("lang", "en")


@pytest.fixture
def people(tree):
    """One account per role, plus a plain account to act on."""
    worker_user = make_user("worker")
    make_worker(tree.firm, user=worker_user)
    people = SimpleNamespace(
        admin=make_admin(),
        organiser=make_organiser(tree.city, "nj_organiser"),
        other_organiser=make_organiser(tree.other_city, "sz_organiser"),
        province_organiser=make_organiser(tree.province, "js_organiser"),
        worker=worker_user,
        target=make_user("target", phone="13812345678"),
    )
    db.session.commit()
    return people


def audit_actions(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def page_text(response):
    return response.get_data(as_text=True)


# --- logging in -----------------------------------------------------------------------------

@pytest.mark.parametrize("login_value", ["wangli", "13900001111", "Wang.Li@Example.COM"])
def test_user_logs_in_by_username_phone_or_email(client, app, login_value):
    make_user("wangli", phone="13900001111", email="wang.li@example.com")
    db.session.commit()
    response = login(client, login_value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/dashboard"
    assert client.get("/accounts/dashboard").status_code == 200


def test_a_username_beats_another_accounts_phone_number(client, app):
    make_user("13900001111", display_name="用户名账户")
    make_user("phone_owner", phone="13900001111", password="other-pass1")
    db.session.commit()
    assert login(client, "13900001111").status_code == 302
    assert "用户名账户" in page_text(client.get("/accounts/dashboard"))


@pytest.mark.parametrize(("existing", "new", "field"), [
    ({"phone": "13900001111"}, {"username": "13900001111"}, "username"),
    ({"email": "wang@example.com"}, {"username": "WANG@example.com"}, "username"),
    ({"username": "13900001111"}, {"phone": "13900001111"}, "phone"),
    ({"username": "wang@example.com"}, {"email": "Wang@Example.com"}, "email"),
    ({"email": "wang@example.com"}, {"email": "WANG@example.com"}, "email"),
])
def test_one_login_name_cannot_open_two_accounts(app, existing, new, field):
    from competitions.accounts.services import DuplicateAccount, create_user
    make_user(**{"username": "first", **existing})
    details = {"username": "second", "password": "start1234", "display_name": "二", **new}
    with pytest.raises(DuplicateAccount) as refused:
        create_user(None, **details)
    assert refused.value.field == field


def test_own_phone_may_be_own_username(app):
    from competitions.accounts.services import create_user
    user = create_user(None, username="13900001111", phone="13900001111",
                       password="start1234", display_name="王")
    assert user.phone == user.username


def test_logout_is_post_only(client, app, login_as):
    login_as(make_user("wangli"))
    assert client.get("/accounts/logout").status_code == 405
    assert client.get("/accounts/dashboard").status_code == 200
    assert client.post("/accounts/logout").status_code == 302
    assert client.get("/accounts/dashboard").status_code == 302


@pytest.mark.parametrize("next_url", ["/accounts/password", "/accounts/password?tab=1"])
def test_login_follows_a_local_next(client, app, next_url):
    make_user("wangli")
    db.session.commit()
    response = client.post("/accounts/login", query_string={"next": next_url},
                           data={"login": "wangli", "password": PASSWORD})
    assert response.headers["Location"] == next_url


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x",
                                      "javascript:alert(1)", "accounts/password"])
def test_login_ignores_an_external_next(client, app, next_url):
    make_user("wangli")
    db.session.commit()
    response = client.post("/accounts/login", query_string={"next": next_url},
                           data={"login": "wangli", "password": PASSWORD})
    assert response.headers["Location"] == "/accounts/dashboard"


def test_login_next_with_a_backslash_stays_on_this_site(client, app):
    """Browsers read "/\\evil.example" as "//evil.example"; the Location must not allow that."""
    make_user("wangli")
    db.session.commit()
    response = client.post("/accounts/login", query_string={"next": "/\\evil.example"},
                           data={"login": "wangli", "password": PASSWORD})
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


# --- changing one's password ----------------------------------------------------------------

def change_password(client, current, new, confirm=None):
    return client.post("/accounts/password", data={
        "current_password": current, "password": new, "confirm": confirm or new})


def test_wrong_current_password_is_shown_beside_its_field(client, app, login_as):
    login_as(make_user("wangli"))
    html = page_text(change_password(client, "not-it-123", "newpass456"))
    assert ('<p class="error" id="current_password-error">The current password is wrong.</p>'
            in html)


@pytest.mark.parametrize(("new", "message"), [
    ("abc12", "at least 8 characters"),
    ("abcdefghij", "both letters and digits"),
    ("1234567890", "both letters and digits"),
])
def test_weak_new_password_is_refused_beside_its_field(client, app, login_as, new, message):
    login_as(make_user("wangli"))
    response = change_password(client, PASSWORD, new)
    assert response.status_code == 200
    html = page_text(response)
    assert 'id="password-error"' in html and message in html


def test_changed_password_is_the_one_that_works(client, app, login_as):
    login_as(make_user("wangli"))
    assert change_password(client, PASSWORD, "newpass456").status_code == 302
    client.post("/accounts/logout")
    assert WRONG in page_text(login(client, "wangli"))
    assert login(client, "wangli", password="newpass456").status_code == 302
    assert len(audit_actions("account.password_change")) == 1


# --- account administration: who may see what ---------------------------------------------

ADMIN_PAGES = [
    ("get", "/accounts/users"),
    ("get", "/accounts/users/new"),
    ("get", "/accounts/users/{target}"),
    ("post", "/accounts/users/{target}/unlock"),
    ("post", "/accounts/users/{target}/active"),
    ("post", "/accounts/users/{target}/admin"),
    ("post", "/accounts/grants/{admin_grant}/revoke"),
]


def admin_page_url(people, template):
    other_admin = make_admin("second_admin")
    db.session.commit()
    return template.format(target=people.target.id, admin_grant=other_admin.grants[0].id)


@pytest.mark.parametrize(("method", "template"), ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, people, method, template):
    response = getattr(client, method)(admin_page_url(people, template))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login")


@pytest.mark.parametrize("role", ["worker", "organiser", "province_organiser"])
@pytest.mark.parametrize(("method", "template"), ADMIN_PAGES)
def test_non_administrators_are_forbidden(client, people, login_as, role, method, template):
    url = admin_page_url(people, template)
    login_as(getattr(people, role))
    assert getattr(client, method)(url, data={"active": "0"}).status_code == 403
    db.session.expire_all()
    assert people.target.active and not people.target.is_admin


@pytest.mark.parametrize(("method", "template"), ADMIN_PAGES)
def test_administrators_may_use_every_admin_page(client, people, login_as, method, template):
    url = admin_page_url(people, template)
    login_as(people.admin)
    response = getattr(client, method)(url, data={"active": "0"})
    assert response.status_code == (200 if method == "get" else 302)


def test_users_list_shows_accounts_and_searches(client, people, login_as):
    login_as(people.admin)
    html = page_text(client.get("/accounts/users"))
    assert "nj_organiser" in html and "target" in html
    html = page_text(client.get("/accounts/users", query_string={"q": "nj_"}))
    assert "nj_organiser" in html and "sz_organiser" not in html


def test_user_detail_masks_the_phone_number(client, people, login_as):
    login_as(people.admin)
    html = page_text(client.get(f"/accounts/users/{people.target.id}"))
    assert "138****5678" in html and "13812345678" not in html


def test_unknown_user_is_404(client, people, login_as):
    login_as(people.admin)
    assert client.get("/accounts/users/99999").status_code == 404


def test_admin_creates_an_account_and_it_is_audited(client, people, login_as):
    login_as(people.admin)
    response = client.post("/accounts/users/new", data={
        "username": "lihua", "display_name": "李华", "email": "Li.Hua@Example.com",
        "phone": "13700001111", "password": "start1234"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "lihua"))
    assert user.email == "li.hua@example.com"
    [entry] = audit_actions("account.create")
    assert (entry.actor_id, entry.subject_id) == (people.admin.id, str(user.id))
    newcomer = client.application.test_client()
    assert login(newcomer, "lihua", "start1234").status_code == 302
    assert "李华" in page_text(newcomer.get("/accounts/dashboard"))


def test_duplicate_username_is_shown_beside_its_field(client, people, login_as):
    login_as(people.admin)
    response = client.post("/accounts/users/new", data={
        "username": "target", "display_name": "X", "password": "start1234"})
    assert response.status_code == 200
    assert 'id="username-error"' in page_text(response)


def test_admin_unlocks_an_account(client, people, login_as):
    people.target.locked_until = utcnow() + timedelta(minutes=10)
    people.target.failed_logins = 3
    db.session.commit()
    login_as(people.admin)
    client.post(f"/accounts/users/{people.target.id}/unlock")
    db.session.expire_all()
    assert db.session.get(User, people.target.id).locked_until is None
    assert len(audit_actions("account.unlock")) == 1


def test_admin_disables_and_enables_an_account(client, people, login_as):
    login_as(people.admin)
    client.post(f"/accounts/users/{people.target.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert not people.target.active
    client.post(f"/accounts/users/{people.target.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert people.target.active
    assert [e.action for e in audit_actions("account.disable")] == ["account.disable"]


def test_admin_cannot_disable_themselves(client, people, login_as):
    login_as(people.admin)
    client.post(f"/accounts/users/{people.admin.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert people.admin.active
    assert client.get("/accounts/dashboard").status_code == 200


def test_admin_makes_an_administrator_and_it_is_audited(client, people, login_as):
    login_as(people.admin)
    client.post(f"/accounts/users/{people.target.id}/admin")
    db.session.expire_all()
    assert people.target.is_admin
    [entry] = audit_actions("role.grant")
    assert entry.actor_id == people.admin.id
    assert '"role":"admin"' in entry.after


def test_admin_revokes_a_grant_and_it_is_audited(client, people, login_as):
    grant_id = people.organiser.grants[0].id
    login_as(people.admin)
    response = client.post(f"/accounts/grants/{grant_id}/revoke",
                           data={"next": f"/accounts/users/{people.organiser.id}"})
    assert response.headers["Location"] == f"/accounts/users/{people.organiser.id}"
    assert db.session.get(RoleGrant, grant_id) is None
    [entry] = audit_actions("role.revoke")
    assert '"role":"organiser"' in entry.before


def test_revoke_ignores_an_external_next(client, people, login_as):
    login_as(people.admin)
    response = client.post(f"/accounts/grants/{people.organiser.grants[0].id}/revoke",
                           data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/accounts/dashboard"


# --- organisers and the grants of their subtree --------------------------------------------

def test_organiser_revokes_an_organiser_grant_in_their_subtree(client, people, login_as):
    grant_id = people.organiser.grants[0].id  # 南京 is under 江苏
    login_as(people.province_organiser)
    assert client.post(f"/accounts/grants/{grant_id}/revoke").status_code == 302
    assert db.session.get(RoleGrant, grant_id) is None
    [entry] = audit_actions("role.revoke")
    assert entry.actor_id == people.province_organiser.id


@pytest.mark.parametrize("holder", ["other_organiser", "province_organiser", "admin"])
def test_organiser_cannot_revoke_grants_outside_their_subtree(client, people, login_as, holder):
    grant_id = getattr(people, holder).grants[0].id
    login_as(people.organiser)
    assert client.post(f"/accounts/grants/{grant_id}/revoke").status_code == 403
    assert db.session.get(RoleGrant, grant_id) is not None
    assert audit_actions("role.revoke") == []


def test_worker_cannot_revoke_grants(client, people, login_as):
    grant_id = people.organiser.grants[0].id
    login_as(people.worker)
    assert client.post(f"/accounts/grants/{grant_id}/revoke").status_code == 403


def test_revoking_an_unknown_grant_is_404(client, people, login_as):
    login_as(people.admin)
    assert client.post("/accounts/grants/99999/revoke").status_code == 404


def test_granting_an_organiser_role_is_audited(app, people):
    from competitions.accounts.services import grant_role
    grant = grant_role(people.province_organiser, people.target, Role.ORGANISER,
                       organisation=people.organiser.grants[0].organisation)
    db.session.commit()
    [entry] = audit_actions("role.grant")
    assert entry.subject_id == str(grant.id)
    assert entry.actor_id == people.province_organiser.id
