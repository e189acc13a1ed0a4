"""Administrators extend the occupation catalogue; nobody else can."""

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.extensions import db
from competitions.promotion.models import Occupation
from tests.factories import make_admin, make_occupation, make_organiser, make_user


def test_an_admin_adds_an_occupation(client, login_as, app):
    login_as(make_admin())
    db.session.commit()
    response = client.post("/promotion/occupations",
                           data={"name": "无人机装调检修工", "has_national_standard": "y"})
    assert response.status_code == 302
    occupation = db.session.scalar(sa.select(Occupation).where(
        Occupation.name == "无人机装调检修工"))
    assert occupation.has_national_standard
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.seq.desc())
                             .limit(1)) == "occupation.create"


def test_a_duplicate_occupation_is_refused_beside_the_field(client, login_as):
    make_occupation("焊工")
    login_as(make_admin())
    db.session.commit()
    page = client.post("/promotion/occupations", data={"name": "焊工"}).get_data(as_text=True)
    assert 'id="name-error"' in page
    assert db.session.scalar(sa.select(sa.func.count(Occupation.id))) == 1


def test_an_admin_marks_an_occupation_without_a_national_standard(client, login_as):
    occupation = make_occupation("网约配送员")
    login_as(make_admin())
    db.session.commit()
    client.post(f"/promotion/occupations/{occupation.id}/standard", data={"value": "0"})
    db.session.refresh(occupation)
    assert not occupation.has_national_standard


@pytest.mark.parametrize("role", ["organiser", "worker"])
def test_only_admins_reach_the_catalogue(client, login_as, tree, role):
    user = make_organiser(tree.city) if role == "organiser" else make_user("plain")
    occupation = make_occupation("电工")
    db.session.commit()
    login_as(user)
    assert client.get("/promotion/occupations").status_code == 403
    assert client.post("/promotion/occupations", data={"name": "新职业"}).status_code == 403
    assert client.post(f"/promotion/occupations/{occupation.id}/standard",
                       data={"value": "0"}).status_code == 403
