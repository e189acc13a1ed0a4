"""No page's statements grow with its rows (issue 18): the main list pages, the score sheet POST
and the public results page are each requested with a few rows and with many more, and must
send the same number of SQL statements both times. An N+1 query (one per row) fails here."""

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import CompetitionState
from competitions.database import utcnow
from competitions.extensions import db
from competitions.notifications.models import Notification
from competitions.notifications.services import notify
from competitions.registration.models import EntryStatus
from competitions.results import lifecycle
from competitions.results.models import Result
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_enterprise,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)

FEW, MANY = 2, 12


def statements(call) -> tuple[object, list[str]]:
    """The response of `call()` and the SQL statements it sent."""
    sent = []

    def on_execute(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        response = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", on_execute)
    return response, sent


def assert_flat(count_at, grow) -> None:
    """count_at() after growing the rows to FEW and then to MANY is the same."""
    grow(FEW)
    db.session.commit()
    few = count_at()
    grow(MANY - FEW)
    db.session.commit()
    many = count_at()
    extra = Counter(many) - Counter(few)
    assert len(many) == len(few), "\n".join(
        ["statements grew with the rows:", *(f"{n} × {text[:300]}" for text, n in extra.items())])


def get_counter(client, url):
    def count():
        response, sent = statements(lambda: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        return sent
    return count


# The organiser's and the worker's lists


@pytest.fixture
def city(tree):
    organiser = make_organiser(tree.city, "city_organiser")
    competition = make_competition(tree.city, state=CompetitionState.REGISTRATION)
    event = make_event(competition)
    db.session.commit()
    return organiser, competition, event


def test_the_event_entries_list(tree, city, login_as):
    organiser, _competition, event = city
    client = login_as(organiser)

    def grow(n):
        for _ in range(n):
            firm = make_enterprise(tree.city)
            make_entry(event, make_worker(firm, name="王小明"),
                       status=EntryStatus.PENDING_APPROVAL)

    assert_flat(get_counter(client, f"/registration/events/{event.id}/entries"), grow)


def test_the_competitions_lists_open_events_and_the_dashboard(tree, city, login_as, app):
    organiser, _competition, _event = city
    client = login_as(organiser)

    def db_client():
        anonymous = app.test_client()
        anonymous.set_cookie("lang", "zh")
        return anonymous

    def grow(n):
        for i in range(n):
            competition = make_competition(tree.city, name=f"第{i}届大赛{utcnow().timestamp()}")
            make_event(competition, occupation=f"工种{i}")

    assert_flat(get_counter(client, "/contests/"), grow)
    assert_flat(get_counter(client, "/accounts/dashboard"), grow)

    def more_events(n):
        for i in range(n):
            make_event(_competition, occupation=f"赛项{i}{utcnow().timestamp()}")

    assert_flat(get_counter(client, f"/competitions/{_competition.id}"), more_events)
    assert_flat(get_counter(client, f"/contests/{_competition.id}"), more_events)
    for public in ("/", "/competitions"):
        assert_flat(get_counter(db_client(), public), grow)
    worker_user = make_user("worker")
    make_worker(tree.firm, user=worker_user)
    db.session.commit()
    assert_flat(get_counter(login_as(worker_user), "/registration/open"), grow)


def test_a_workers_entries_and_notifications(tree, login_as):
    user = make_user("worker")
    worker = make_worker(tree.firm, user=user)
    db.session.commit()
    client = login_as(user)

    def grow(n):
        for i in range(n):
            event = make_event(make_competition(tree.city, name=f"赛{i}{utcnow().timestamp()}"),
                               occupation=f"工{i}")
            entry = make_entry(event, worker)
            notify(user.id, "entry_status", entry_id=entry.id, event=event.name,
                   status=EntryStatus.APPROVED.value)

    assert_flat(get_counter(client, "/registration/entries"), grow)
    assert_flat(get_counter(client, "/notifications/"), grow)


def test_the_organisation_page_and_the_workers_list(tree, city, login_as):
    organiser, _competition, _event = city
    client = login_as(organiser)

    def grow(n):
        for _ in range(n):
            make_worker(make_enterprise(tree.city), name="李小红")

    assert_flat(get_counter(client, f"/organisations/{tree.city.id}"), grow)
    assert_flat(get_counter(client, "/registration/workers"), grow)


# Judging: the judge's list and the score sheet POST


def marking_setup(tree) -> MarkingSetup:
    setup = MarkingSetup(tree)
    db.session.commit()
    return setup


def test_the_score_sheet_post_and_the_judges_list(tree, login_as):
    setup = marking_setup(tree)
    client = login_as(setup.judge2)
    codes = iter([setup.code(i) for i in range(4)])

    def grow(n):
        # More work for the judge: further events judged, each with its entries and marks.
        for _ in range(n):
            other = MarkingSetup(tree)
            db.session.add(RoleGrant(user=setup.judge2, role=Role.JUDGE,
                                     event_id=other.event.id))

    def post_count():
        code = next(codes)
        url = f"/judging/events/{setup.event.id}/sheets/{code}"
        page = client.get(url).get_data(as_text=True)
        fields = re.findall(r'name="(mark-\d+)"', page)
        data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                        page).group(1),
                "version": re.search(r'name="version"[^>]*value="([^"]*)"', page).group(1),
                "action": "submit", **{name: "10" for name in fields}}
        response, sent = statements(lambda: client.post(url, data=data))
        assert response.status_code == 303
        return sent

    assert_flat(post_count, grow)
    assert_flat(get_counter(client, "/judging/"), grow)
    assert_flat(get_counter(client, f"/judging/events/{setup.event.id}/sheets"), grow)


# The public results page


def published(tree) -> MarkingSetup:
    setup = MarkingSetup(tree)
    setup.officer = make_user("jiami")
    db.session.add(RoleGrant(user=setup.officer, role=Role.ENCRYPTION_OFFICER,
                             competition_id=setup.competition.id))
    setup.finish([30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88])
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=utcnow() - timedelta(hours=1))
    db.session.commit()
    return setup


def test_the_public_results_page(tree, client, login_as, app):
    setup = published(tree)
    template = db.session.scalars(sa.select(Result).where(
        Result.event_id == setup.event.id)).first()
    ranked = [len(setup.entries)]

    def grow(n):
        # Further results in the published version, as a larger event would have.
        for _ in range(n):
            entry = make_entry(setup.event, make_worker(make_enterprise(tree.city),
                                                        name="赵志强"))
            ranked[0] += 1
            db.session.add(Result(
                event_id=setup.event.id, entry_id=entry.id, version=template.version,
                rank=ranked[0], total=Decimal("50.00"), components=template.components,
                standardised=template.standardised, awards=[],
                **{name: getattr(template, name) for name in (
                    "time_used", "practical", "theory") if hasattr(template, name)}))

    url = f"/events/{setup.event.id}/results"

    def uncached(counter):
        # A published version's rows never change, so the rendered table is kept; the rows
        # added here would not show. Count the page as it is rendered afresh.
        def count():
            app.extensions.pop("results_cache", None)
            return counter()
        return count

    assert_flat(uncached(get_counter(client, url)), grow)  # anonymous
    assert_flat(uncached(get_counter(login_as(setup.organiser), url)), grow)


# Services that write a row per entry in one go


def test_the_draw_tells_every_entrant_in_a_fixed_number_of_statements(tree):
    from competitions.registration.draw import draw_event

    organiser = make_organiser(tree.city, "drawer")

    def drawn_with(n):
        competition = make_competition(tree.city, name=f"抽签{n}", state=CompetitionState.REVIEW)
        event = make_event(competition, occupation=f"抽签工种{n}")
        for _ in range(n):
            make_entry(event, make_worker(make_enterprise(tree.city), name="钱工人",
                                          user=make_user()))
        db.session.commit()
        _response, sent = statements(lambda: draw_event(organiser, event))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.kind == "entry_drawn", Notification.params["event_id"].as_integer()
            == event.id)) == n
        db.session.rollback()
        return sent

    few, many = drawn_with(FEW), drawn_with(MANY)
    assert len(few) == len(many), Counter(many) - Counter(few)
