"""An employing unit's workforce, industry, ownership and size: who edits them, what is refused."""

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.organisations.models import EnterpriseSize, OrgKind, Ownership, Tier
from competitions.organisations.services import Profile, update_organisation, update_profile
from tests.factories import make_admin, make_organiser, make_user, make_worker

ROLES = ["anonymous", "worker", "other_organiser", "organiser", "admin"]
ALLOWED = {"organiser", "admin"}


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def as_role(tree, login_as, english):
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


def _post(firm, **changes):
    data = {"name": firm.name, "kind": firm.kind.value, "tier": firm.tier.value,
            "region_code": "", "workforce": "1200", "workforce_year": "2025",
            "industry": "C", "ownership": "private", "size": "medium"}
    return {**data, **changes}


@pytest.mark.parametrize("role", ROLES)
def test_organisers_of_the_unit_edit_its_profile(as_role, tree, role):
    client = as_role(role)
    response = client.post(f"/organisations/{tree.firm.id}/edit", data=_post(tree.firm))
    firm = db.session.get(type(tree.firm), tree.firm.id)
    db.session.refresh(firm)
    if role in ALLOWED:
        assert response.status_code == 302
        assert (firm.workforce, firm.workforce_year, firm.industry) == (1200, 2025, "C")
        assert (firm.ownership, firm.size) == (Ownership.PRIVATE, EnterpriseSize.MEDIUM)
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "organisation.update")).one()
        assert '"workforce":1200' in entry.after and '"workforce":null' in entry.before
    else:
        assert response.status_code in (302, 403)
        if role == "anonymous":
            assert "/login" in response.headers["Location"]
        assert firm.workforce is None and firm.ownership is None


def test_the_page_shows_the_profile(as_role, tree):
    client = as_role("organiser")
    client.post(f"/organisations/{tree.firm.id}/edit", data=_post(tree.firm))
    page = client.get(f"/organisations/{tree.firm.id}").get_data(as_text=True)
    assert "1200" in page and "counted in 2025" in page
    assert "C Manufacturing" in page and "Private" in page and "Medium" in page
    form = client.get(f"/organisations/{tree.firm.id}/edit").get_data(as_text=True)
    assert 'name="workforce"' in form and 'value="1200"' in form


def test_a_union_shows_and_records_no_profile(as_role, tree):
    client = as_role("organiser")
    form = client.get(f"/organisations/{tree.city.id}/edit").get_data(as_text=True)
    assert 'name="workforce"' not in form
    page = client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)
    assert 'data-testid="org-workforce"' not in page
    # Posted anyway (an old page, a script): the form has no such fields, nothing is kept.
    client.post(f"/organisations/{tree.city.id}/edit", data=_post(tree.city))
    db.session.refresh(tree.city)
    assert tree.city.workforce is None and tree.city.industry is None


def test_the_service_refuses_a_profile_for_a_union(tree):
    organiser = make_organiser(tree.city)
    with pytest.raises(DomainError) as refused:
        update_profile(organiser, tree.city, Profile(workforce=10, workforce_year=2025))
    assert refused.value.field == "workforce"
    with pytest.raises(DomainError) as refused:
        update_organisation(organiser, tree.city, name=tree.city.name, kind=OrgKind.UNION,
                            tier=Tier.CITY, profile=Profile(ownership=Ownership.STATE))
    assert refused.value.field == "ownership"


def test_a_unit_that_stops_employing_loses_its_profile(tree):
    organiser = make_organiser(tree.city)
    update_profile(organiser, tree.firm, Profile(50, 2025, "C", Ownership.STATE, None))
    update_organisation(organiser, tree.firm, name=tree.firm.name, kind=OrgKind.UNION,
                        tier=Tier.ENTERPRISE)
    assert tree.firm.workforce is None and tree.firm.ownership is None


def test_others_may_not_update_a_profile(tree):
    with pytest.raises(PermissionDenied):
        update_profile(make_organiser(tree.other_city), tree.firm, Profile(workforce=1))


def test_validation_errors_are_shown_together(as_role, tree):
    client = as_role("organiser")
    next_year = utcnow().year + 2
    response = client.post(f"/organisations/{tree.firm.id}/edit", data=_post(
        tree.firm, workforce="10000001", workforce_year=str(next_year)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The workforce is a number from 0 to 10,000,000." in page
    assert "The year counted is between 1990 and" in page
    response = client.post(f"/organisations/{tree.firm.id}/edit",
                           data=_post(tree.firm, workforce="-1", workforce_year="1989",
                                      industry="Z", ownership="bogus"))
    page = response.get_data(as_text=True)
    assert "The workforce is a number from 0" not in page or "-1" in page
    assert response.status_code == 200
    assert page.count('class="error"') >= 2
    db.session.refresh(tree.firm)
    assert tree.firm.workforce is None


def test_a_workforce_needs_its_year(tree):
    organiser = make_organiser(tree.city)
    with pytest.raises(DomainError) as refused:
        update_profile(organiser, tree.firm, Profile(workforce=10))
    assert refused.value.field == "workforce_year"


def test_each_part_is_optional_and_clearing_works(as_role, tree):
    client = as_role("organiser")
    client.post(f"/organisations/{tree.firm.id}/edit", data=_post(tree.firm))
    response = client.post(f"/organisations/{tree.firm.id}/edit", data=_post(
        tree.firm, workforce="", workforce_year="", industry="", ownership="", size=""))
    assert response.status_code == 302
    db.session.refresh(tree.firm)
    assert Profile.of(tree.firm).is_empty
