"""Worker profile pages: sign-up, my profile, the organisers' list, detail and forms."""

import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from competitions.accounts.models import User
from competitions.extensions import db
from competitions.masking import mask_id_number, mask_phone
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation
from competitions.registration.models import Worker
from tests.factories import (
    make_admin,
    make_enterprise,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

ID_NUMBER = valid_id_number(date(1988, 8, 8), serial=123)
PHONE = "13712345678"


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English."""
    client.set_cookie("lang", "en")


@pytest.fixture
def people(tree):
    """One account per role; `worker` has a profile at tree.firm (南京, under tree.city)."""
    worker_user = make_user("worker")
    profile = make_worker(tree.firm, name="张三明", user=worker_user, id_number=ID_NUMBER,
                          phone=PHONE)
    people = SimpleNamespace(
        anonymous=None,
        worker=worker_user,
        other_organiser=make_organiser(tree.other_city, "sz_organiser"),
        organiser=make_organiser(tree.city, "nj_organiser"),
        admin=make_admin(),
        profile=profile,
    )
    db.session.commit()
    return people


@pytest.fixture
def as_role(people, login_as, client):
    """as_role("organiser"): the client logged in as that person (or anonymous)."""
    def _as(role):
        user = getattr(people, role)
        return login_as(user) if user is not None else client
    return _as


def text(response):
    return response.get_data(as_text=True)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def field_error(page, field):
    """The error messages rendered beside a form field."""
    return " ".join(re.findall(rf'<p class="error" id="{field}-error">(.*?)</p>', page))


ROLES = ["anonymous", "worker", "other_organiser", "organiser", "admin"]
LOGIN, OK, FORBIDDEN, MISSING, DASHBOARD = "login", 200, 403, 404, "dashboard"

ROUTE_MATRIX = {
    "/registration/signup": [OK, DASHBOARD, DASHBOARD, DASHBOARD, DASHBOARD],
    "/registration/me": [LOGIN, OK, MISSING, MISSING, MISSING],
    "/registration/workers": [LOGIN, FORBIDDEN, OK, OK, OK],
    "/registration/workers/{id}": [LOGIN, OK, FORBIDDEN, OK, OK],
    "/registration/workers/new": [LOGIN, FORBIDDEN, OK, OK, OK],
    "/registration/workers/{id}/edit": [LOGIN, FORBIDDEN, FORBIDDEN, OK, OK],
}


@pytest.mark.parametrize("route, role, expected", [
    (route, role, expected) for route, outcomes in ROUTE_MATRIX.items()
    for role, expected in zip(ROLES, outcomes, strict=True)
])
def test_route_answers_each_role(people, as_role, route, role, expected):
    response = as_role(role).get(route.format(id=people.profile.id))
    if expected == LOGIN:
        assert response.status_code == 302 and "/accounts/login" in response.location
    elif expected == DASHBOARD:
        assert response.status_code == 302 and response.location.endswith("/accounts/dashboard")
    else:
        assert response.status_code == expected


def test_a_worker_cannot_open_another_workers_profile(tree, people, login_as):
    other = make_worker(tree.firm, name="李四")
    db.session.commit()
    assert login_as(people.worker).get(f"/registration/workers/{other.id}").status_code == 403
    assert login_as(people.worker).get(f"/registration/workers/{other.id}/edit").status_code == 403


def test_unknown_worker_is_not_found(people, login_as):
    assert login_as(people.admin).get("/registration/workers/999999").status_code == 404


# --- masking --------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ["/registration/me", "/registration/workers/{id}"])
def test_worker_sees_own_id_and_phone_masked(people, login_as, route):
    page = text(login_as(people.worker).get(route.format(id=people.profile.id)))
    assert "张三明" in page
    assert mask_id_number(ID_NUMBER) in page and mask_phone(PHONE) in page
    assert ID_NUMBER not in page and PHONE not in page
    assert "19880808" not in page and "1988" not in page  # no birth date to rebuild the number


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_organiser_of_the_unit_and_admin_see_personal_data_in_full(people, as_role, role):
    client = as_role(role)
    detail = text(client.get(f"/registration/workers/{people.profile.id}"))
    assert ID_NUMBER in detail and PHONE in detail
    assert ID_NUMBER in text(client.get("/registration/workers"))


def test_organiser_of_another_subtree_sees_nothing_of_the_worker(people, login_as):
    client = login_as(people.other_organiser)
    assert client.get(f"/registration/workers/{people.profile.id}").status_code == 403
    for url in ("/registration/workers", f"/registration/workers?q={ID_NUMBER}",
                "/registration/workers?q=张三明"):
        rows = re.search(r"<tbody>.*?</tbody>", text(client.get(url)), re.S).group(0)
        assert "张三明" not in rows and ID_NUMBER not in rows and "No workers match" in rows


def test_province_organiser_manages_workers_of_every_city_below(tree, people, login_as):
    province = make_organiser(tree.province, "js_organiser")
    db.session.commit()
    page = text(login_as(province).get(f"/registration/workers/{people.profile.id}"))
    assert ID_NUMBER in page


# --- sign-up --------------------------------------------------------------------------------

def sign_up_data(employer, **overrides):
    data = {"username": "lisi", "password": "Hanjie-2031x", "confirm": "Hanjie-2031x", "email": "",
            "name": "李四", "id_number": valid_id_number(date(1992, 4, 5)), "phone": "13987654321",
            "employer": str(employer.id), "occupation": "", "skill_level": "",
            "skill_certificate_no": ""}
    data.update(overrides)
    return data


def test_sign_up_form_offers_no_employers_until_searched(tree, client):
    page = text(client.get("/registration/signup"))
    assert "南京钢铁集团" not in page and "苏州电气公司" not in page


def test_employer_search_offers_matching_enterprises_only(tree, client):
    page = text(client.get("/registration/signup?employer_q=苏州"))
    assert f'<option value="{tree.other_firm.id}">苏州电气公司</option>' in page
    assert "南京钢铁集团" not in page
    assert "苏州市总工会" not in page  # a union employs nobody


def test_employer_search_offers_at_most_fifty(tree, client):
    for i in range(55):
        make_enterprise(tree.city, f"建筑公司{i:02d}")
    db.session.commit()
    page = text(client.get("/registration/signup?employer_q=建筑公司"))
    select = re.search(r'<select id="employer".*?</select>', page, re.S).group(0)
    assert select.count("建筑公司") == 50


def test_sign_up_creates_account_and_profile_and_logs_in(tree, client):
    occupation = Occupation(name="电工")
    db.session.add(occupation)
    db.session.commit()
    data = sign_up_data(tree.other_firm, occupation=str(occupation.id), skill_level="level4",
                        skill_certificate_no="ab123")
    response = client.post("/registration/signup?employer_q=苏州", data=data)
    assert response.status_code == 302 and response.location.endswith("/registration/me")
    page = text(client.get(response.location))
    assert "李四" in page and "苏州电气公司" in page and "电工" in page
    assert "your worker profile has been created" in page
    worker = db.session.scalar(sa.select(Worker).where(Worker.name == "李四"))
    assert worker.user.username == "lisi"
    assert worker.skill_level is SkillLevel.LEVEL_4 and worker.skill_certificate_no == "AB123"


def test_sign_up_with_bad_check_digit_shows_it_beside_the_id_field_and_saves_nothing(tree, client):
    number = valid_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = client.post("/registration/signup", data=sign_up_data(tree.firm, id_number=wrong))
    assert response.status_code == 200
    assert "check digit" in field_error(text(response), "id_number")
    assert count(User) == 0 and count(Worker) == 0


@pytest.mark.parametrize("overrides, field, message", [
    ({"id_number": ID_NUMBER}, "id_number", "already registered"),
    ({"id_number": "32010219900230123X"}, "id_number", "19900230"),
    ({"id_number": "3201021990"}, "id_number", "18 characters"),
    ({"username": "worker"}, "username", "is taken"),
    ({"password": "abcdefgh", "confirm": "abcdefgh"}, "password", "letters and digits"),
    ({"confirm": "different1"}, "confirm", ""),
    ({"phone": "23456789012"}, "phone", "not a mainland mobile"),
    ({"skill_certificate_no": "X1"}, "skill_level", "skill level"),
])
def test_sign_up_errors_appear_beside_their_field(tree, people, client, overrides, field, message):
    users, workers = count(User), count(Worker)
    response = client.post("/registration/signup", data=sign_up_data(tree.firm, **overrides))
    assert response.status_code == 200
    assert field_error(text(response), field) and message in field_error(text(response), field)
    assert (count(User), count(Worker)) == (users, workers)


def test_sign_up_refuses_an_organisation_that_employs_nobody(tree, client):
    response = client.post("/registration/signup", data=sign_up_data(tree.city))
    assert "choose it from the list" in field_error(text(response), "employer")
    assert count(Worker) == 0


def test_sign_up_posts_keep_the_employer_chosen_from_the_search(tree, client):
    data = sign_up_data(tree.firm, password="short")
    page = text(client.post("/registration/signup?employer_q=南京", data=data))
    assert f'<option selected value="{tree.firm.id}">南京钢铁集团</option>' in page
    assert 'value="Hanjie-2031x"' not in page  # passwords are never echoed back


# --- the workers list -------------------------------------------------------------------------

def test_workers_list_shows_the_columns(people, login_as):
    page = text(login_as(people.organiser).get("/registration/workers"))
    for cell in ("张三明", ID_NUMBER, "Male", "南京钢铁集团"):
        assert cell in page


def test_workers_list_searches_by_name_and_exact_id_number(tree, people, login_as):
    make_worker(tree.firm, name="欧阳修")
    db.session.commit()
    client = login_as(people.organiser)
    assert "欧阳修" not in text(client.get("/registration/workers?q=三明"))
    assert "张三明" in text(client.get("/registration/workers?q=三明"))
    assert "张三明" in text(client.get(f"/registration/workers?q={ID_NUMBER}"))
    assert "张三明" not in text(client.get(f"/registration/workers?q={ID_NUMBER[:12]}"))


def test_workers_list_filters_by_organisation_subtree(tree, people, login_as):
    other_firm = make_enterprise(tree.city, "南京汽车厂")
    make_worker(other_firm, name="王五")
    db.session.commit()
    page = text(login_as(people.organiser).get(f"/registration/workers?org={tree.firm.id}"))
    assert "张三明" in page and "王五" not in page


@pytest.mark.parametrize("org", ["other_city", "province"])
def test_workers_list_refuses_an_organisation_the_user_does_not_manage(tree, people, login_as,
                                                                       org):
    org_id = getattr(tree, org).id
    assert login_as(people.organiser).get(f"/registration/workers?org={org_id}").status_code == 403


def test_workers_list_filter_on_unknown_organisation_is_not_found(people, login_as):
    assert login_as(people.admin).get("/registration/workers?org=999999").status_code == 404
    assert login_as(people.admin).get("/registration/workers?org=abc").status_code == 404


def test_workers_list_is_paginated(app, tree, people, login_as):
    app.config["PER_PAGE"] = 2
    for name in ("甲一", "乙二", "丙三"):
        make_worker(tree.firm, name=name)
    db.session.commit()
    client = login_as(people.organiser)
    first = text(client.get("/registration/workers?q="))
    assert "Page 1 of 2" in first and "page=2" in first
    second = text(client.get("/registration/workers?page=2"))
    assert "Page 2 of 2" in second


def test_workers_list_runs_the_same_number_of_queries_however_many_rows(tree, people, login_as):
    client = login_as(people.organiser)

    def add_workers(n):
        for i in range(n):
            occupation = Occupation(name=f"工种{count(Occupation)}")
            db.session.add(occupation)
            make_worker(make_enterprise(tree.city), name=f"工人{i}", occupation=occupation,
                        skill_level=SkillLevel.LEVEL_3)
        db.session.commit()

    def queries_for_list():
        statements = []

        def on_execute(conn, cursor, statement, *args):
            statements.append(statement)
        sa.event.listen(db.engine, "before_cursor_execute", on_execute)
        try:
            assert client.get("/registration/workers").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", on_execute)
        return len(statements)

    add_workers(2)
    few = queries_for_list()
    add_workers(15)
    assert queries_for_list() == few


# --- creating and editing ---------------------------------------------------------------------

def worker_data(employer, **overrides):
    data = {"name": "赵六", "id_number": valid_id_number(date(1980, 1, 1)), "phone": "",
            "employer": str(employer.id), "occupation": "", "skill_level": "",
            "skill_certificate_no": ""}
    data.update(overrides)
    return data


def test_new_worker_employer_search_stays_within_the_organisers_subtree(tree, people, login_as):
    client = login_as(people.organiser)
    assert "苏州电气公司" not in text(client.get("/registration/workers/new?employer_q=公司"))
    assert "南京钢铁集团" in text(client.get("/registration/workers/new?employer_q=钢铁"))


def test_admin_searches_employers_everywhere(tree, people, login_as):
    admin = login_as(people.admin)
    assert "苏州电气公司" in text(admin.get("/registration/workers/new?employer_q=苏州"))


def test_organiser_creates_a_worker_in_their_subtree(tree, people, login_as):
    response = login_as(people.organiser).post("/registration/workers/new",
                                               data=worker_data(tree.firm))
    worker = db.session.scalar(sa.select(Worker).where(Worker.name == "赵六"))
    assert response.status_code == 302
    assert response.location.endswith(f"/registration/workers/{worker.id}")
    assert worker.employer_id == tree.firm.id and worker.user is None


def test_organiser_cannot_create_a_worker_outside_their_subtree(tree, people, login_as):
    response = login_as(people.organiser).post("/registration/workers/new",
                                               data=worker_data(tree.other_firm))
    assert response.status_code == 200
    assert field_error(text(response), "employer")
    assert db.session.scalar(sa.select(Worker).where(Worker.name == "赵六")) is None


def test_organiser_edits_a_worker_of_their_subtree(tree, people, login_as):
    client = login_as(people.organiser)
    form = text(client.get(f"/registration/workers/{people.profile.id}/edit"))
    assert f'value="{ID_NUMBER}"' in form and "南京钢铁集团" in form
    new_firm = make_enterprise(tree.city, "南京港务集团")
    db.session.commit()
    data = worker_data(new_firm, name="张三明", id_number=ID_NUMBER, phone=PHONE,
                       skill_level="level2")
    response = client.post(f"/registration/workers/{people.profile.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    worker = db.session.get(Worker, people.profile.id)
    assert worker.employer_id == new_firm.id and worker.skill_level is SkillLevel.LEVEL_2


def test_edit_refuses_to_move_a_worker_outside_the_organisers_subtree(tree, people, login_as):
    data = worker_data(tree.other_firm, name="张三明", id_number=ID_NUMBER)
    response = login_as(people.organiser).post(
        f"/registration/workers/{people.profile.id}/edit", data=data)
    assert response.status_code == 200
    assert field_error(text(response), "employer")
    db.session.expire_all()
    assert db.session.get(Worker, people.profile.id).employer_id == tree.firm.id


def test_organiser_of_another_subtree_cannot_post_an_edit(tree, people, login_as):
    data = worker_data(tree.other_firm, name="改名", id_number=ID_NUMBER)
    response = login_as(people.other_organiser).post(
        f"/registration/workers/{people.profile.id}/edit", data=data)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Worker, people.profile.id).name == "张三明"


def test_admin_may_move_a_worker_anywhere(tree, people, login_as):
    data = worker_data(tree.other_firm, name="张三明", id_number=ID_NUMBER)
    response = login_as(people.admin).post(
        f"/registration/workers/{people.profile.id}/edit?employer_q=苏州", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Worker, people.profile.id).employer_id == tree.other_firm.id


def test_edit_with_a_duplicate_id_number_shows_it_beside_the_field(tree, people, login_as):
    other = make_worker(tree.firm, name="李四")
    db.session.commit()
    data = worker_data(tree.firm, name="李四", id_number=ID_NUMBER.lower())
    response = login_as(people.organiser).post(f"/registration/workers/{other.id}/edit",
                                               data=data)
    assert "already registered" in field_error(text(response), "id_number")
