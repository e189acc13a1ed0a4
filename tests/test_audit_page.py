"""The audit log page (issue 15): actions by name, objects by name, each change before → after,
filters by person, object and date, in the page's width, and for administrators only."""

import html
import re
from datetime import datetime

import pytest

from competitions.audit import services as audit_services
from competitions.audit.labels import ACTIONS
from competitions.audit.services import record
from competitions.contests.models import EventStage
from competitions.extensions import db
from tests.factories import (
    make_admin,
    make_competition,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)


def page_text(client, **query) -> str:
    response = client.get("/audit/", query_string=query)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def shown(client, **query) -> list[str]:
    """The codes of the actions listed, newest first."""
    return re.findall(r'data-action="([^"]+)"', page_text(client, **query))


@pytest.fixture
def log(tree, monkeypatch):
    """An organiser publishes an event's results on 1 March and changes its capacity on
    10 March; the administrator edits a worker on 10 March (added today)."""
    organiser = make_organiser(tree.city, "nanjing_organiser")
    competition = make_competition(tree.city, name="2026年南京市职工职业技能大赛")
    event = make_event(competition, "焊工")
    worker = make_worker(tree.firm, name="张三明")
    admin = make_admin()
    db.session.commit()
    moments = iter([datetime(2026, 3, 1, 4), datetime(2026, 3, 10, 4), datetime(2026, 3, 10, 5)])
    monkeypatch.setattr(audit_services, "utcnow", lambda: next(moments))
    record(organiser, "results.publish", event,
           after={"stage": EventStage.PUBLISHED, "entries": 4,
                  "results": "ab" * 32})
    db.session.commit()
    record(organiser, "event.update", event, before={"capacity": 10, "team_size": 1},
           after={"capacity": 20, "team_size": 1})
    db.session.commit()
    record(admin, "worker.update", worker, before={"phone": "138****5678", "name": "张三明"},
           after={"phone": "139****0000", "name": "张三明"})
    db.session.commit()
    return organiser, event, worker, admin


@pytest.fixture
def admin_client(client, log, login_as):
    login_as(log[3])
    return client


def test_actions_are_named_in_chinese(admin_client):
    text = page_text(admin_client)
    assert "成绩公布" in text
    assert ">results.publish<" not in text and "<code>" not in text


def test_an_english_reader_sees_english_names(admin_client):
    admin_client.set_cookie("lang", "en")
    text = page_text(admin_client)
    assert "Results published" in text and "Event changed" in text


def test_objects_are_named_not_numbered(admin_client, log):
    _organiser, event, worker, _admin = log
    text = page_text(admin_client)
    assert "2026年南京市职工职业技能大赛 · 焊工" in text
    assert f"#{event.id}" not in text
    assert re.search(r'<span class="badge">职工</span>\s*张\*明</p>', text)  # masked


def test_changes_read_before_then_after(admin_client):
    text = page_text(admin_client)
    assert re.search(r"参赛名额上限</dt>\s*<dd><del>10</del>\s*→\s*<ins>20</ins>", text)
    assert "138****5678" in text and "139****0000" in text
    assert "team_size" not in text  # unchanged fields are left out
    assert '{"' not in text and "&#34;" not in text  # no raw JSON
    assert "ab" * 32 not in text  # a digest is shortened
    assert "<ins>成绩公示中</ins>" in text  # the stage by its label


def test_filter_by_person(admin_client):
    assert shown(admin_client, person="nanjing") == ["event.update", "results.publish"]
    assert shown(admin_client, person="admin") == ["worker.update"]


def test_filter_by_object_kind_and_name(admin_client):
    assert shown(admin_client, kind="Worker") == ["worker.update", "worker.create"]
    assert shown(admin_client, name="焊工") == ["event.update", "results.publish"]
    assert shown(admin_client, name="南京市职工") == ["event.update", "results.publish"]
    assert shown(admin_client, kind="Event", name="电工") == []


def test_filter_by_date_range(admin_client):
    assert shown(admin_client, since="2026-03-05", until="2026-03-31") == ["worker.update",
                                                                          "event.update"]
    assert shown(admin_client, until="2026-03-05") == ["results.publish"]
    assert shown(admin_client, since="2026-03-01", until="2026-03-01") == ["results.publish"]
    assert len(shown(admin_client, since="not a date")) == 4  # ignored, never an error


def test_filter_by_kind_of_action(admin_client):
    assert shown(admin_client, action="results.") == ["results.publish"]
    text = page_text(admin_client, action="results.publish")
    assert "成绩公布" in text


def test_filters_are_kept_across_pages(admin_client, app):
    app.config["PER_PAGE"] = 1
    text = page_text(admin_client, person="nanjing")
    assert "person=nanjing" in text


def test_unknown_codes_are_shown_as_recorded(client, tree, login_as):
    record(None, "test.unheard_of", ("Thing", 7), after={"n": 1})
    admin = make_admin()
    db.session.commit()
    login_as(admin)
    text = page_text(client)
    assert "test.unheard_of" in text and "Thing" in text


def test_every_recorded_action_has_a_name():
    """Each action code written by the code base is in the table (a new one must be added)."""
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[1] / "competitions"
    codes = set()
    for path in root.rglob("*.py"):
        codes |= set(re.findall(r'record\(\s*[^,()]+,\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert codes and codes <= set(ACTIONS)


@pytest.mark.parametrize("who", ["organiser", "worker"])
def test_only_administrators_read_the_log(client, tree, login_as, who):
    user = (make_organiser(tree.province) if who == "organiser"
            else make_worker(tree.firm, user=make_user()).user)
    db.session.commit()
    login_as(user)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/", query_string={"person": "x"}).status_code == 403
