"""A worker's group (employee, student, teacher) is set on the profile and decides which
events they may enter."""

import pytest
import sqlalchemy as sa

from competitions.contests.models import EventGroup
from competitions.extensions import db
from competitions.registration import entries
from competitions.registration.entries import RegistrationRefused
from competitions.registration.models import Worker
from tests.factories import (
    make_competition,
    make_enterprise,
    make_event,
    make_organiser,
    make_worker,
    valid_id_number,
)


def test_an_organiser_marks_a_worker_as_a_student_and_they_enter_the_student_group(
        client, login_as, tree):
    school = make_enterprise(tree.city, "南京职业技术学院")
    organiser = make_organiser(tree.city)
    competition = make_competition(tree.city)
    student_event = make_event(competition, group=EventGroup.STUDENT)
    employee_event = make_event(competition, "电工")
    db.session.commit()
    login_as(organiser)
    response = client.post("/registration/workers/new", data={
        "name": "王小明", "id_number": valid_id_number(), "phone": "13912345678",
        "employer": school.id, "occupation": "", "skill_level": "", "group": "student"})
    assert response.status_code == 302
    student = db.session.scalar(sa.select(Worker).where(Worker.name == "王小明"))
    assert student.group is EventGroup.STUDENT
    entry = entries.register(organiser, student_event, [student])
    assert entry.members[0].worker is student
    with pytest.raises(RegistrationRefused) as refused:
        entries.register(organiser, employee_event, [student])
    assert refused.value.rule == "group"


def test_the_edit_form_keeps_the_group(client, login_as, tree):
    worker = make_worker(tree.firm, group=EventGroup.TEACHER)
    organiser = make_organiser(tree.city)
    db.session.commit()
    login_as(organiser)
    page = client.get(f"/registration/workers/{worker.id}/edit").get_data(as_text=True)
    assert '<option selected value="teacher">' in page
