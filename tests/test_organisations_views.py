"""The organisation pages: who may open them, and what the forms change."""

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.audit.models import AuditEntry
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from tests.factories import (
    make_admin,
    make_enterprise,
    make_org,
    make_organiser,
    make_user,
    make_worker,
)

ROLES = ["anonymous", "worker", "other_organiser", "organiser", "admin"]


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def as_role(tree, login_as, english):
    """as_role(name): the client logged in as that role, relative to tree.city's subtree."""
    def _as(role):
        user = {
            "anonymous": lambda: None,
            "worker": lambda: make_worker(tree.firm, user=make_user("worker")).user,
            "other_organiser": lambda: make_organiser(tree.other_city, "other_organiser"),
            "organiser": lambda: make_organiser(tree.city, "organiser"),
            "admin": lambda: make_admin(),
        }[role]()
        db.session.commit()
        return login_as(user) if user else english
    return _as


def paths() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Organisation.id, Organisation.path)).tuples().all())


def routes(tree):
    """(method, url, form data) for every organisations route, aimed at tree.city's subtree."""
    city, firm = tree.city.id, tree.firm.id
    return [
        ("GET", f"/organisations/{city}", None),
        ("GET", f"/organisations/new?parent={city}", None),
        ("POST", f"/organisations/new?parent={city}",
         {"name": "新厂", "kind": "enterprise", "tier": "enterprise"}),
        ("GET", f"/organisations/{firm}/edit", None),
        ("POST", f"/organisations/{firm}/edit",
         {"name": "南钢", "kind": "enterprise", "tier": "enterprise"}),
        ("GET", f"/organisations/{firm}/move?q=南京", None),
        ("POST", f"/organisations/{firm}/move", {"parent": city}),
        ("POST", f"/organisations/{city}/organisers", {"username": "newcomer"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_admits_only_those_who_manage_the_subtree(tree, as_role, role):
    make_user("newcomer")
    client = as_role(role)
    for method, url, data in routes(tree):
        response = client.open(url, method=method, data=data)
        if role == "anonymous":
            assert response.status_code == 302, url
            assert "/accounts/login" in response.headers["Location"], url
        elif role in ("worker", "other_organiser"):
            assert response.status_code == 403, url
        else:
            assert response.status_code == (200 if method == "GET" else 302), (url, role)
            if method == "POST":
                assert "/accounts/login" not in response.headers["Location"]
        db.session.expire_all()


@pytest.mark.parametrize("role", ROLES)
def test_index_lists_only_the_organisations_one_manages(tree, as_role, role):
    response = as_role(role).get("/organisations/")
    expected = {"anonymous": 302, "worker": 403}.get(role, 200)
    assert response.status_code == expected
    page = response.get_data(as_text=True)
    shown = {name for name in ("中华全国总工会", "江苏省总工会", "南京市总工会", "南京钢铁集团",
                               "苏州市总工会", "苏州电气公司") if name in page}
    assert shown == {  # each managed root with its direct children
        "anonymous": set(), "worker": set(),
        "other_organiser": {"苏州市总工会", "苏州电气公司"},
        "organiser": {"南京市总工会", "南京钢铁集团"},
        "admin": {"中华全国总工会", "江苏省总工会"},
    }[role]


@pytest.mark.parametrize("role", ["worker", "organiser"])
def test_only_admins_create_top_level_organisations(tree, as_role, role):
    assert as_role(role).get("/organisations/new").status_code == 403


def test_admin_creates_a_top_level_organisation(tree, as_role):
    response = as_role("admin").post("/organisations/new", data={
        "name": "国际技能组织", "kind": "industry_body", "tier": "international"})
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "国际技能组织"))
    assert response.headers["Location"].endswith(f"/organisations/{org.id}")
    assert org.path == f"/{org.id}/" and org.parent_id is None


def test_unknown_organisation_is_not_found(tree, as_role):
    assert as_role("admin").get("/organisations/999999").status_code == 404


def test_detail_shows_breadcrumbs_subtree_size_workers_link_and_organisers(tree, as_role):
    client = as_role("organiser")
    page = client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)
    assert "中华全国总工会" in page and "江苏省总工会" in page  # ancestors, as plain text
    assert f'href="/organisations/{tree.province.id}"' not in page  # not managed: no link
    assert f'href="/registration/workers?org={tree.city.id}"' in page
    assert 'data-testid="subtree-size">2<' in page
    assert "南京钢铁集团" in page and "organiser" in page


def test_detail_pages_its_children(tree, as_role, app):
    app.config["PER_PAGE"] = 3
    for n in range(5):
        make_enterprise(tree.city, f"企业{n}")
    client = as_role("organiser")
    first = client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)
    second = client.get(f"/organisations/{tree.city.id}?page=2").get_data(as_text=True)
    shown = [name for name in ["南京钢铁集团", *[f"企业{n}" for n in range(5)]]
             if name in first or name in second]
    assert len(shown) == 6
    assert "Page 1 of 2" in first


def test_move_form_searches_managed_organisations_by_name(tree, as_role):
    make_organiser(tree.other_city, "suzhou")
    client = as_role("organiser")
    page = client.get(f"/organisations/{tree.firm.id}/move?q=总工会").get_data(as_text=True)
    assert f'value="{tree.city.id}"' in page
    assert f'value="{tree.other_city.id}"' not in page  # outside the organiser's subtree


def test_moving_under_a_descendant_via_the_form_is_refused_beside_the_field(tree, as_role):
    before = paths()
    client = as_role("admin")
    response = client.post(f"/organisations/{tree.city.id}/move?q=南京",
                           data={"parent": tree.firm.id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error" id="parent-error"' in page
    assert "lies inside 南京市总工会, so 南京市总工会 cannot move under it" in page
    db.session.expire_all()
    assert paths() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_moving_under_itself_via_the_form_is_refused(tree, as_role):
    before = paths()
    response = as_role("organiser").post(f"/organisations/{tree.firm.id}/move",
                                         data={"parent": tree.firm.id})
    assert "cannot move under itself" in response.get_data(as_text=True)
    db.session.expire_all()
    assert paths() == before


def test_organiser_moves_a_unit_within_their_province(tree, login_as, english):
    organiser = make_organiser(tree.province)
    db.session.commit()
    response = login_as(organiser).post(f"/organisations/{tree.firm.id}/move",
                                        data={"parent": tree.other_city.id})
    assert response.status_code == 302
    db.session.expire_all()
    firm = db.session.get(Organisation, tree.firm.id)
    assert firm.path == f"{tree.other_city.path}{firm.id}/"


def test_index_search_finds_only_managed_organisations(tree, as_role):
    client = as_role("organiser")
    assert "南京钢铁集团" in client.get("/organisations/?q=钢铁").get_data(as_text=True)
    page = client.get("/organisations/?q=苏州").get_data(as_text=True)
    assert "苏州电气公司" not in page and "No organisation you manage matches." in page


def test_new_child_form_creates_it_under_the_parent(tree, as_role):
    client = as_role("organiser")
    page = client.get(f"/organisations/new?parent={tree.city.id}").get_data(as_text=True)
    assert 'value="provincial"' not in page  # tiers above the parent are not offered
    client.post(f"/organisations/new?parent={tree.city.id}",
                data={"name": "南京汽车厂", "kind": "enterprise", "tier": "enterprise"})
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "南京汽车厂"))
    assert org.parent_id == tree.city.id and org.tier is Tier.ENTERPRISE


def test_edit_refuses_a_tier_below_a_child_beside_the_field(tree, as_role):
    make_org("玄武区总工会", parent=tree.city, tier=Tier.DISTRICT)
    response = as_role("organiser").post(f"/organisations/{tree.city.id}/edit", data={
        "name": "南京市总工会", "kind": "union", "tier": "enterprise"})
    assert 'id="tier-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organisation, tree.city.id).tier is Tier.CITY


def test_appoint_and_revoke_an_organiser(tree, as_role):
    newcomer = make_user("newcomer", display_name="李四")
    client = as_role("organiser")
    response = client.post(f"/organisations/{tree.city.id}/organisers",
                           data={"username": "newcomer"})
    assert response.headers["Location"].endswith(f"/organisations/{tree.city.id}")
    grant = db.session.scalar(sa.select(RoleGrant).where(RoleGrant.user_id == newcomer.id))
    assert (grant.role, grant.organisation_id) == (Role.ORGANISER, tree.city.id)

    page = client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)
    assert "李四" in page
    assert f'action="/accounts/grants/{grant.id}/revoke"' in page
    response = client.post(f"/accounts/grants/{grant.id}/revoke",
                           data={"next": f"/organisations/{tree.city.id}"})
    assert response.headers["Location"].endswith(f"/organisations/{tree.city.id}")
    db.session.expire_all()
    assert db.session.get(RoleGrant, grant.id) is None
    assert "李四" not in client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)


def test_appointing_an_unknown_username_shows_an_error_beside_the_field(tree, as_role):
    response = as_role("organiser").post(f"/organisations/{tree.city.id}/organisers",
                                         data={"username": "nobody"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="username-error"' in page and "nobody" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleGrant).where(
        RoleGrant.organisation_id == tree.city.id)) == 1  # only the organiser's own grant


def test_appointing_twice_is_refused_with_a_message(tree, as_role):
    client = as_role("organiser")
    response = client.post(f"/organisations/{tree.city.id}/organisers",
                           data={"username": "organiser"})
    assert "already holds this role" in response.get_data(as_text=True)


def test_kind_and_tier_choices_round_trip_through_the_edit_form(tree, as_role):
    page = as_role("admin").get(f"/organisations/{tree.firm.id}/edit").get_data(as_text=True)
    assert '<option selected value="enterprise">' in page
    assert OrgKind.ENTERPRISE.value in page


def test_moving_under_an_organisation_out_of_reach_names_nothing_and_changes_nothing(
        tree, as_role):
    before = paths()
    response = as_role("organiser").post(f"/organisations/{tree.firm.id}/move",
                                         data={"parent": tree.other_city.id})
    page = response.get_data(as_text=True)
    assert "Choose the new parent among the organisations you manage." in page
    assert "苏州市总工会" not in page
    db.session.expire_all()
    assert paths() == before


def test_detail_page_query_count_does_not_grow_with_children_or_organisers(tree, as_role):
    client, city_id = as_role("organiser"), tree.city.id

    def queries_for_detail():
        db.session.remove()  # requests share the test's session: start from an empty one
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/organisations/{city_id}").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return statements

    few = queries_for_detail()
    city = db.session.get(Organisation, city_id)
    for n in range(10):
        make_enterprise(make_org(f"区{n}", parent=city, tier=Tier.DISTRICT))
        make_organiser(city)
    db.session.commit()
    many = queries_for_detail()
    assert len(many) == len(few), "\n\n".join(many)
