"""Each publication of an event's results is kept as a version (issue 15): an upheld appeal
puts the published results under review (复核中) instead of hiding them, and republication
supersedes them without erasing them."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.audit.reconcile import reconcile_results
from competitions.audit.services import verify_chain
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging import marking, signoff
from competitions.judging.models import ScoreSheet
from competitions.masking import mask_name
from competitions.results import exports, lifecycle, services
from competitions.results.models import Result
from tests.conftest import login
from tests.factories import MarkingSetup

# Per entry: A1 (of 40), B1 (of 60), T1 (of 100); totals 80.00, 76.00, 77.00, 82.40.
A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree).with_results_officials()
    db.session.flush()
    return setup


def published(setup, now):
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=now)
    db.session.commit()


def reopened_by_appeal(setup, now):
    """李小红 (entry 1, ranked 4th) appeals; the arbitrators uphold it."""
    published(setup, now)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误", now=now)
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=True, reason="B1 计分错误")
    db.session.commit()


def republished(setup, now):
    """The chief judge raises entry 1's B1 to 60 (total 90.00, now first); published again."""
    reopened_by_appeal(setup, now)
    for sheet in db.session.scalars(sa.select(ScoreSheet).where(
            ScoreSheet.entry_id == setup.entries[1].id)):
        if any(m.criterion_id == setup.b1.id for m in sheet.marks):
            marking.correct_mark(setup.chief, sheet, setup.b1, D(60), "仲裁改判")
    signoff.sign_off(setup.chief, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=now + timedelta(days=2))
    db.session.commit()


def row_of(html: str, text: str) -> str:
    return next(row for row in re.findall(r"<tr.*?</tr>", html, re.S) if text in row)


def test_an_upheld_appeal_keeps_the_results_public_under_review(client, setup):
    reopened_by_appeal(setup, utcnow())
    event_id, competition_id = setup.event.id, setup.competition.id
    response = client.get(f"/events/{event_id}/results")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "复核中" in page and 'data-testid="results-under-review"' in page
    assert 'data-testid="results-notice"' not in page  # no live notice, no appeal invitation
    assert "82.40" in page and "76.00" in page  # the last published results, still readable
    assert client.get(f"/events/{event_id}/notice.pdf").status_code == 200
    listing = client.get(f"/competitions/{competition_id}").get_data(as_text=True)
    assert f"/events/{event_id}/results" in listing and "复核中" in listing
    assert reconcile_results() == [] and verify_chain()[1] is None


def test_the_worker_sees_their_last_rank_as_under_review(client, setup):
    reopened_by_appeal(setup, utcnow())
    entry_id, event_id = setup.entries[1].id, setup.event.id
    login(client, setup.entrant)
    page = client.get("/registration/entries").get_data(as_text=True)
    cell = re.search(rf'data-testid="result-{entry_id}">(.*?)</td>', page, re.S).group(1)
    assert f'data-testid="under-review-{entry_id}"' in cell and "复核中" in cell
    assert f"/events/{event_id}/results" in cell
    assert client.get(f"/events/{event_id}/results").status_code == 200


def test_republication_supersedes_the_old_version_and_keeps_it_readable(client, setup):
    republished(setup, utcnow())
    event, first = setup.event, setup.entries[1].id
    assert [v.number for v in services.result_versions(event)] == [2, 1]
    current = services.published_results(event)
    assert len(current) == 4 and current[0].entry_id == first and current[0].total == D("90")
    assert services.published_results(event, version=1)[-1].entry_id == first
    assert [row.total for row in exports.result_rows(event)][0] == D("90.00")
    event_id = event.id

    page = client.get(f"/events/{event_id}/results").get_data(as_text=True)
    assert 'data-testid="results-notice"' in page
    assert 'data-testid="results-superseded"' not in page
    assert 'data-testid="result-version-1"' in page and 'data-testid="result-version-2"' in page
    assert "<strong>90.00</strong>" in page and "复核中" not in page

    old = client.get(f"/events/{event_id}/results?version=1")
    assert old.status_code == 200
    old_page = old.get_data(as_text=True)
    assert 'data-testid="results-superseded"' in old_page
    assert "<strong>90.00</strong>" not in old_page
    assert "<strong>82.40</strong>" in old_page and 'data-testid="appeal-deadline"' not in old_page
    assert client.get(f"/events/{event_id}/notice.pdf?version=1").status_code == 200
    assert client.get(f"/events/{event_id}/results?version=3").status_code == 404
    assert reconcile_results() == [] and verify_chain()[1] is None


def test_a_superseded_version_changed_in_the_database_is_found(setup):
    republished(setup, utcnow())
    db.session.execute(sa.update(Result).where(Result.event_id == setup.event.id,
                                               Result.version == 1).values(rank=Result.rank + 1))
    db.session.commit()
    assert reconcile_results() == [f"event {setup.event.id} (version 1): the stored results "
                                   "(ranks, totals or awards) are not the ones published"]


def test_the_results_page_names_the_employer_and_the_nominating_unit(client, setup, tree):
    setup.entries[0].unit = tree.city  # entered within the city union's quota
    published(setup, utcnow())
    page = client.get(f"/events/{setup.event.id}/results").get_data(as_text=True)
    nominated = row_of(page, mask_name(setup.workers[0].name))
    assert "南京钢铁集团" in nominated and "南京市总工会" in nominated
    own = row_of(page, mask_name(setup.workers[2].name))
    assert setup.elsewhere[0].name in own and "南京市总工会" not in own


def test_final_results_formally_reopened_stay_public_under_review(client, setup):
    now = utcnow()
    published(setup, now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    lifecycle.reopen_results(setup.organiser, setup.event, "发现录入错误")
    db.session.commit()
    assert lifecycle.reopening_appeal(setup.event) is None  # reopened, not appealed
    page = client.get(f"/events/{setup.event.id}/results").get_data(as_text=True)
    assert 'data-testid="results-under-review"' in page and "复核中" in page
    assert 'data-testid="results-final"' not in page
    assert reconcile_results() == [] and verify_chain()[1] is None
