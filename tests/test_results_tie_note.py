"""The public results page explains a tie that the time used broke (issue 16): a note on the
tied rows and, under the table, the rule and the competition's tie-break order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext

from competitions.contests.models import CompetitionState, EventStage
from competitions.database import utcnow
from competitions.extensions import db
from competitions.results.models import Result
from tests.factories import make_competition, make_entry, make_event, make_worker


def publish_directly(event, standings):
    """Published results inserted as a publication would store them: `standings` lists
    (worker, rank, total, time used in seconds, awards), best first."""
    now = utcnow()
    event.stage = EventStage.PUBLISHED
    event.notice_ends_at = event.appeals_close_at = now + timedelta(days=5)
    entries = []
    for worker, rank, total, time_used, awards in standings:
        entry = make_entry(event, worker)
        entries.append(entry)
        db.session.add(Result(event_id=event.id, entry_id=entry.id, rank=rank,
                              total=Decimal(total), time_used=time_used, standardised=700,
                              practical=Decimal(total), components=[], awards=list(awards),
                              computed_at=now))
    db.session.flush()
    return entries


@pytest.fixture
def contest(tree):
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    return competition, make_event(competition)


def workers(tree, n):
    return [make_worker(tree.firm, name=name, phone=f"1391234560{i}")
            for i, name in enumerate(["王大明", "李小红", "赵志强"][:n])]


def results_page(client, event):
    response = client.get(f"/events/{event.id}/results")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text(app, msgid, **params):
    with app.test_request_context(), force_locale("zh"):
        return gettext(msgid, **params)


def test_a_tie_broken_by_time_used_is_noted_on_both_rows_and_explained(app, client, tree,
                                                                      contest):
    competition, event = contest
    a, b, c = workers(tree, 3)
    publish_directly(event, [(a, 1, "90.00", 3500, ["gold"]), (b, 2, "90.00", 3600, ["silver"]),
                             (c, 3, "70.00", 3000, [])])
    db.session.commit()
    page = results_page(client, event)
    assert 'data-testid="tie-note-1"' in page and 'data-testid="tie-note-2"' in page
    assert 'data-testid="tie-note-3"' not in page  # a lower total: no tie
    assert page.count(text(app, "Equal total: ranked by time used")) == 2
    assert text(app, "Where totals are equal, the entrant who used less time ranks first.") in page
    order = " → ".join(text(app, label) for label in ("Shorter time used",
                                                       "Higher practical score",
                                                       "Higher theory score"))
    assert text(app, "Tie-break order of this competition: %(order)s.", order=order) in page


def test_the_note_cites_the_competitions_own_order(app, client, tree, contest):
    competition, event = contest
    competition.tie_breaks = ["practical", "time_used"]
    a, b = workers(tree, 2)
    publish_directly(event, [(a, 1, "90.00", 3500, []), (b, 2, "90.00", 3600, [])])
    db.session.commit()
    page = results_page(client, event)
    assert page.count(text(app, "Equal total: ranked by time used")) == 2
    order = " → ".join(text(app, label) for label in ("Higher practical score",
                                                       "Shorter time used"))
    assert text(app, "Tie-break order of this competition: %(order)s.", order=order) in page


def test_no_note_without_a_broken_tie(app, client, tree, contest):
    _competition, event = contest
    a, b, c = workers(tree, 3)
    # b and c are equal on everything: they share the rank, nothing broke the tie
    publish_directly(event, [(a, 1, "90.00", 3500, []), (b, 2, "80.00", 3600, []),
                             (c, 2, "80.00", 3600, [])])
    db.session.commit()
    page = results_page(client, event)
    assert "tie-note" not in page and 'data-testid="tie-rule"' not in page


def test_the_phone_layout_labels_each_cell(app, client, tree, contest):
    _competition, event = contest
    (a,) = workers(tree, 1)
    publish_directly(event, [(a, 1, "90.00", 3500, ["gold"])])
    db.session.commit()
    page = results_page(client, event)
    assert 'class="list results-table cards"' in page
    for label in ("Rank", "Total", "Award"):
        assert f'data-label="{text(app, label)}"' in page
