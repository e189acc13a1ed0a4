"""The public results pages: nothing before publication, masked names and no personal data
after it, the notice and how to appeal, the distribution chart; the organisers' spreadsheet."""

import re
from datetime import timedelta

import pytest

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import CompetitionState
from competitions.database import utcnow
from competitions.extensions import db
from competitions.masking import mask_name
from competitions.results import lifecycle
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)
from tests.test_security import inline_code

# Per entry: A1 (of 40), B1 (of 60), T1 (of 100); totals 80.00, 76.00, 77.00, 82.40.
A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]
TOTALS = ["82.40", "80.00", "77.00", "76.00"]  # in rank order: entries 3, 0, 2, 1
BY_RANK = [3, 0, 2, 1]


def results_setup(tree) -> MarkingSetup:
    """MarkingSetup with the competition's encryption officer (`officer`)."""
    setup = MarkingSetup(tree)
    setup.officer = make_user("jiami")
    db.session.add(RoleGrant(user=setup.officer, role=Role.ENCRYPTION_OFFICER,
                             competition_id=setup.competition.id))
    db.session.flush()
    return setup


@pytest.fixture
def setup(tree):
    return results_setup(tree)


def publish(setup, now=None):
    """Marks in, signed off, decrypted by the encryption officer, published by the organiser."""
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=now or utcnow())
    db.session.commit()


def secrets(setup) -> list[str]:
    """What a public page must never show: names, ID and phone numbers, blind and check-in
    codes, and the officials' names."""
    found = []
    for worker, entry in zip(setup.workers, setup.entries, strict=True):
        found += [worker.name, worker.id_number, worker.phone, entry.blind_code]
    found += [user.display_name for user in (setup.chief, setup.judge2, setup.judge3)]
    return found


def shows_checkin_code(html: str, code: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", html) is not None


def results_url(setup):
    return f"/events/{setup.event.id}/results"


def test_results_are_not_public_before_publication(client, setup):
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    db.session.commit()
    event_id = setup.event.id
    assert client.get(f"/events/{event_id}/results").status_code == 404
    assert client.get(f"/events/{event_id}/notice.pdf").status_code == 404
    page = client.get(f"/competitions/{setup.competition.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/events/{event_id}/results" not in html
    for secret in secrets(setup):
        assert secret not in html


def test_a_draft_competition_is_not_public(client, tree):
    draft = make_competition(tree.city, name="草稿竞赛", state=CompetitionState.DRAFT)
    shown = make_competition(tree.city, name="2026年南京市焊工比武")
    db.session.commit()
    assert client.get(f"/competitions/{draft.id}").status_code == 404
    assert client.get("/competitions/999999").status_code == 404
    listing = client.get("/competitions").get_data(as_text=True)
    assert "2026年南京市焊工比武" in listing and "草稿竞赛" not in listing
    assert f"/competitions/{shown.id}" in listing


def test_published_results_show_masked_names_ranks_and_totals_only(client, setup):
    publish(setup)
    response = client.get(results_url(setup))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = html[html.index('data-testid="public-results"'):]
    positions = [table.index(mask_name(setup.workers[i].name)) for i in BY_RANK]
    assert positions == sorted(positions)  # best first
    for total in TOTALS:
        assert total in table
    assert "南京钢铁集团" in table and "理论" in table and "实操" in table
    for secret in secrets(setup):
        assert secret not in html, secret
    for entry in setup.entries:
        assert not shows_checkin_code(html, entry.checkin_code), entry.checkin_code
    assert inline_code(html) == []


def test_the_results_page_draws_the_distribution_as_an_accessible_svg(client, setup):
    publish(setup)
    html = client.get(results_url(setup)).get_data(as_text=True)
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'class="distribution-chart"' in svg and 'role="img"' in svg
    label = re.search(r'aria-label="([^"]+)"', svg).group(1)
    assert f"<title>{label}</title>" in svg
    assert svg.count('data-testid="chart-column"') == 10  # 0–10 … 90–100
    assert svg.count('class="bar"') == 2  # 76, 77 in 70–80; 80, 82.4 in 80–90
    assert "<script" not in svg and "style=" not in svg


def test_during_the_notice_the_page_says_until_when_and_how_to_appeal(client, setup):
    publish(setup)
    client.set_cookie("lang", "en")
    html = client.get(results_url(setup)).get_data(as_text=True)
    assert 'data-testid="results-notice"' in html
    assert "Public notice until" in html
    assert "organiser writes to the competition" in html
    assert 'data-testid="notice-pdf"' in html
    assert 'data-testid="results-xlsx"' not in html  # anonymous: no spreadsheet link
    competition = client.get(f"/competitions/{setup.competition.id}").get_data(as_text=True)
    assert "On public notice until" in competition and results_url(setup) in competition


def test_after_the_notice_and_once_final_the_page_says_so(client, setup):
    now = utcnow() - timedelta(days=6)
    publish(setup, now=now)
    client.set_cookie("lang", "en")
    html = client.get(results_url(setup)).get_data(as_text=True)
    assert 'data-testid="results-notice-ended"' in html and "writes to" not in html
    lifecycle.finalise(setup.organiser, setup.event)
    db.session.commit()
    html = client.get(results_url(setup)).get_data(as_text=True)
    assert "These results are final." in html and "writes to" not in html
    competition = client.get(f"/competitions/{setup.competition.id}").get_data(as_text=True)
    assert "Results final" in competition


def test_the_competitions_page_counts_events_with_results_and_home_links_it(client, setup):
    publish(setup)
    make_event(setup.competition, "电工")
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.get("/competitions").get_data(as_text=True)
    assert setup.competition.name in html and "Events with results: 1" in html
    assert 'href="/competitions"' in client.get("/").get_data(as_text=True)


def test_the_notice_pdf_is_public_once_published(client, setup):
    publish(setup)
    response = client.get(f"/events/{setup.event.id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")


# --- the organisers' spreadsheet -----------------------------------------------------------

def test_the_spreadsheet_is_for_the_competitions_organisers_only(client, setup, tree,
                                                                  login_as):
    publish(setup)
    url = f"/events/{setup.event.id}/results.xlsx"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous.headers["Location"]
    outsider = make_organiser(tree.other_city)
    worker = make_worker(tree.firm, name="周一鸣", user=make_user()).user
    db.session.commit()
    for user in (outsider, worker, setup.chief, setup.officer):
        login_as(user)
        assert client.get(url).status_code == 403, user.username
        client.post("/accounts/logout")
    login_as(setup.organiser)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.data.startswith(b"PK")
    assert 'data-testid="results-xlsx"' in client.get(results_url(setup)).get_data(as_text=True)


def test_the_spreadsheet_waits_for_publication(client, setup, login_as):
    setup.finish(A1, B1, T1)
    db.session.commit()
    login_as(setup.organiser)
    assert client.get(f"/events/{setup.event.id}/results.xlsx").status_code == 404
