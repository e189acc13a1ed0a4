"""Each person's dashboard lists what waits for them, with counts and a link: the organiser's
approvals, publications, finalisations and titles; the encryption officer's decryption; the
arbitrator's appeals; the chief judge's and judges' events; HR's promotions; a worker's own."""

import re
from datetime import timedelta

import pytest
from flask import current_app

from competitions.accounts.models import Role, RoleGrant
from competitions.accounts.todo import tasks_for
from competitions.database import utcnow
from competitions.extensions import db
from competitions.promotion.levels import SkillLevel
from competitions.promotion.rules import preset
from competitions.promotion.worker_levels import set_level
from competitions.registration.models import EntryStatus
from competitions.results import lifecycle
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)
from tests.test_results import A1, B1, T1


def tasks(user, now=None) -> dict[str, int]:
    with current_app.test_request_context():  # the links are built as a page builds them
        return {task.key: task.count for task in tasks_for(user, now)}


@pytest.fixture
def setup(tree):
    return MarkingSetup(tree).with_results_officials()


def test_registrations_wait_for_the_organiser_and_the_worker(app, client, tree, login_as):
    organiser = make_organiser(tree.city)
    event = make_event(make_competition(tree.city))
    worker = make_worker(tree.firm, name="周一鸣", user=make_user("zhou"))
    make_entry(event, worker, status=EntryStatus.PENDING_APPROVAL)
    make_entry(event, make_worker(tree.firm, name="吴二"), status=EntryStatus.PENDING_APPROVAL)
    db.session.commit()
    assert tasks(organiser) == {"approve": 2}
    assert tasks(worker.user) == {"my_pending": 1}
    assert tasks(make_organiser(tree.other_city)) == {}
    login_as(organiser)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    task = re.search(r'data-testid="task-approve"><a href="([^"]+)"><span class="stat">2</span>'
                     r' ([^<]+)</a>', page)
    assert task and task.group(1) == f"/registration/events/{event.id}/entries"
    assert task.group(2) == "项报名待审核"


def test_each_results_step_is_on_the_next_persons_dashboard(setup):
    setup.finish(A1, B1, T1, sign=False)
    assert tasks(setup.chief) == {"chief": 1}
    assert "mark" in tasks(setup.judge2)
    from competitions.judging import signoff
    signoff.sign_off(setup.chief, setup.event)
    assert tasks(setup.officer) == {"decrypt": 1}
    lifecycle.decrypt(setup.officer, setup.event)
    assert tasks(setup.officer) == {} and tasks(setup.organiser)["publish"] == 1
    published = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=published)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "复核", now=published)
    assert tasks(setup.arbitrator) == {"appeals": 1}
    later = published + timedelta(days=6)
    assert "finalise" not in tasks(setup.organiser, later)  # an appeal is still open
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=False, reason="维持")
    assert tasks(setup.arbitrator) == {}
    assert tasks(setup.organiser, published + timedelta(days=1)) == {}  # notice running
    assert tasks(setup.organiser, later) == {"finalise": 1}


def test_titles_and_promotions_wait_for_their_deciders(setup, tree):
    setup.competition.title_rules = [["city_ladder", {}]]
    setup.competition.promotion_rules = preset("national_class1_2015").to_json()
    set_level(None, setup.workers[3], setup.event.occupation, SkillLevel.LEVEL_3,
              on=utcnow().date(), source="recorded")
    hr = make_user("hr")
    db.session.add(RoleGrant(user=hr, role=Role.HR_OFFICER, organisation=tree.province))
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    published = utcnow() - timedelta(days=6)
    lifecycle.publish(setup.organiser, setup.event, now=published)
    lifecycle.finalise(setup.organiser, setup.event, now=utcnow())
    db.session.commit()
    assert tasks(setup.organiser)["titles"] >= 1
    assert tasks(hr) == {"promotions": 1}
    assert "promotions" not in tasks(setup.organiser)  # organisers may not decide here


def test_a_person_with_nothing_to_do_is_told_so(client, tree, login_as):
    user = make_user("idle")
    db.session.commit()
    login_as(user)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    assert 'data-testid="todo-empty"' in page and "今天没有需要您处理的事项" in page
