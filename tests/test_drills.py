"""Enterprise drills (岗位练兵、技术比武) recorded summarily, and their winners' records."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.contests.drills import parse_winners, placings_of, record_drill
from competitions.contests.models import Drill, DrillPlace
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.promotion.record import record_pdf, record_workbook, worker_record
from tests.factories import (
    make_admin,
    make_occupation,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

ROLES = ["anonymous", "worker", "other_organiser", "organiser", "admin"]
ALLOWED = {"organiser", "admin"}


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def setting(tree):
    """Two workers of the firm, one of the other city's firm, and the occupation."""
    occupation = make_occupation("焊工")
    first = make_worker(tree.firm, name="李工", id_number=valid_id_number(serial=11))
    second = make_worker(tree.firm, name="王工", id_number=valid_id_number(serial=12))
    stranger = make_worker(tree.other_firm, name="外人", id_number=valid_id_number(serial=13))
    db.session.commit()
    return occupation, first, second, stranger


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


def _form(occupation, **changes):
    held = (utcnow().date() - timedelta(days=10)).isoformat()
    return {"name": "焊工岗位练兵", "held_on": held, "occupation": str(occupation.id),
            "participants": "40", "winners": "", **changes}


def _drills():
    return list(db.session.scalars(sa.select(Drill)))


@pytest.mark.parametrize("role", ROLES)
def test_organisers_of_the_enterprise_record_drills(as_role, tree, setting, role):
    occupation, first, second, _ = setting
    client = as_role(role)
    page = client.get(f"/contests/drills/new/{tree.firm.id}")
    response = client.post(f"/contests/drills/new/{tree.firm.id}", data=_form(
        occupation, winners=f"{first.id_number} 1\n\n{second.id_number.lower()}  2"))
    if role in ALLOWED:
        assert page.status_code == 200
        assert response.status_code == 302
        drill = _drills()[0]
        assert drill.participants == 40 and drill.recorded_by_id is not None
        assert [(p.worker_id, p.place) for p in drill.places] == [(first.id, 1), (second.id, 2)]
        assert db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action.like("drill.%"))).all() == ["drill.record"]
        listing = client.get(f"/organisations/{tree.firm.id}").get_data(as_text=True)
        assert "焊工岗位练兵" in listing and "李工 (1)" in listing
    else:
        assert page.status_code in (302, 403) and response.status_code in (302, 403)
        assert _drills() == []


def test_a_drill_with_only_a_count(as_role, tree, setting):
    occupation, *_ = setting
    client = as_role("organiser")
    assert client.post(f"/contests/drills/new/{tree.firm.id}",
                       data=_form(occupation)).status_code == 302
    drill = _drills()[0]
    assert drill.places == [] and drill.participants == 40
    # Posted twice: the second is refused, one drill stays.
    response = client.post(f"/contests/drills/new/{tree.firm.id}", data=_form(occupation))
    assert "recorded already" in response.get_data(as_text=True)
    assert len(_drills()) == 1


def test_only_enterprises_record_drills(as_role, tree, setting):
    occupation, *_ = setting
    client = as_role("organiser")
    assert client.get(f"/contests/drills/new/{tree.city.id}").status_code == 403
    page = client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)
    assert 'data-testid="drills"' not in page
    with pytest.raises(PermissionDenied):
        record_drill(make_organiser(tree.city), tree.city, name="x", held_on=date(2025, 1, 1),
                     occupation_id=occupation.id, participants=1)


def test_a_winner_outside_the_enterprise_is_a_line_error(as_role, tree, setting):
    occupation, first, _, stranger = setting
    client = as_role("organiser")
    response = client.post(f"/contests/drills/new/{tree.firm.id}", data=_form(
        occupation, winners=f"{first.id_number} 1\n{stranger.id_number} 2\n123 3\n"
                            f"{first.id_number} 4\nhello"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Line 2: no worker of {tree.firm.name} has the ID number {stranger.id_number}." in page
    assert "Line 3: 123 is not an 18-character ID number." in page
    assert "Line 5: write an ID number and a place" in page
    assert _drills() == []


def test_a_repeated_winner_and_too_few_participants(tree, setting):
    occupation, first, second, _ = setting
    organiser = make_organiser(tree.city)
    with pytest.raises(DomainError) as refused:
        record_drill(organiser, tree.firm, name="比武", held_on=date(2025, 3, 1),
                     occupation_id=occupation.id, participants=1,
                     winners=f"{first.id_number} 1\n{second.id_number} 2")
    assert [p.field for p in refused.value.problems] == ["participants"]
    with pytest.raises(DomainError) as refused:
        record_drill(organiser, tree.firm, name="比武", held_on=date(2025, 3, 1),
                     occupation_id=occupation.id, participants=5,
                     winners=f"{first.id_number} 1\n{first.id_number} 2")
    [problem] = refused.value.problems
    assert problem.field == "winners" and "2" in str(problem.message)  # names the second line


def test_fields_are_checked_together(as_role, tree, setting):
    occupation, *_ = setting
    client = as_role("organiser")
    future = (utcnow().date() + timedelta(days=3)).isoformat()
    page = client.post(f"/contests/drills/new/{tree.firm.id}", data=_form(
        occupation, held_on=future, participants="-1")).get_data(as_text=True)
    assert "its date lies between" in page and "participants is from 0" in page
    assert _drills() == []


def test_parse_winners_accepts_separators():
    number = valid_id_number(serial=20)
    lines = parse_winners(f" {number}，1 \r\n\n{number[:-1]}x 3")
    assert [(line.line, line.place) for line in lines] == [(1, 1), (3, 3)]


def test_edit_and_delete_are_audited(as_role, tree, setting):
    occupation, first, second, _ = setting
    client = as_role("organiser")
    client.post(f"/contests/drills/new/{tree.firm.id}",
                data=_form(occupation, winners=f"{first.id_number} 1"))
    drill = _drills()[0]
    form = client.get(f"/contests/drills/{drill.id}/edit").get_data(as_text=True)
    assert f"{first.id_number} 1" in form
    assert client.post(f"/contests/drills/{drill.id}/edit", data=_form(
        occupation, participants="41", winners=f"{second.id_number} 1")).status_code == 302
    db.session.expire_all()
    drill = _drills()[0]
    assert drill.participants == 41 and [p.worker_id for p in drill.places] == [second.id]
    assert client.post(f"/contests/drills/{drill.id}/delete").status_code == 302
    assert _drills() == [] and db.session.scalars(sa.select(DrillPlace)).all() == []
    assert client.post(f"/contests/drills/{drill.id}/delete").status_code == 404
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.action.like("drill.%")).order_by(AuditEntry.id)).all()
    assert actions == ["drill.record", "drill.update", "drill.delete"]


@pytest.mark.parametrize("role", ROLES)
def test_edit_and_delete_per_role(as_role, tree, setting, role):
    occupation, *_ = setting
    drill = record_drill(make_organiser(tree.firm, "firm_organiser"), tree.firm, name="比武",
                         held_on=date(2025, 3, 1), occupation_id=occupation.id, participants=3)
    db.session.commit()
    client = as_role(role)
    edit = client.get(f"/contests/drills/{drill.id}/edit")
    delete = client.post(f"/contests/drills/{drill.id}/delete")
    if role in ALLOWED:
        assert edit.status_code == 200 and delete.status_code == 302
        assert _drills() == []
    else:
        assert edit.status_code in (302, 403) and delete.status_code in (302, 403)
        assert len(_drills()) == 1


def test_drills_show_in_the_worker_record(as_role, tree, setting):
    occupation, first, _, _ = setting
    record_drill(make_organiser(tree.firm, "firm_organiser"), tree.firm, name="电焊技术比武",
                 held_on=date(2025, 6, 1), occupation_id=occupation.id, participants=12,
                 winners=f"{first.id_number} 2")
    db.session.commit()
    assert [(p.name, p.place) for p in placings_of(first)] == [("电焊技术比武", 2)]
    client = as_role("organiser")
    page = client.get(f"/promotion/workers/{first.id}/record").get_data(as_text=True)
    assert 'data-testid="record-drill"' in page and "电焊技术比武" in page and "焊工" in page
    record = worker_record(first)
    assert record.drills and record_workbook(record)[:2] == b"PK"
    assert record_pdf(record, utcnow())[:4] == b"%PDF"
