"""The draw: numbers, check-in codes and secret blind codes; who may run it and who may see it."""

import random
import subprocess
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import (
    CompetitionState,
    EventStage,
)
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.registration import draw as drawing
from competitions.registration.models import Entry, EntryStatus
from tests.factories import (
    make_admin,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)


def drawn_setup(tree, entrants=5):
    """A city competition under review with one event of `entrants` approved entries, drawn."""
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    event = make_event(competition, quota_per_org=None)
    workers = [make_worker(tree.firm, name=f"选手{i}",
                           id_number=valid_id_number(date(1990, 1, 1 + i % 28), serial=i))
               for i in range(entrants)]
    entries = [make_entry(event, w) for w in workers]
    return competition, event, entries


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def setup(tree):
    competition, event, entries = drawn_setup(tree)
    organiser = make_organiser(tree.city, "nj_organiser")
    people = SimpleNamespace(
        anonymous=None,
        worker=make_user("worker"),
        other_organiser=make_organiser(tree.other_city, "sz_organiser"),
        unit_organiser=make_organiser(tree.firm, "firm_organiser"),
        organiser=organiser,
        judge=make_user("judge"),
        officer=make_user("officer"),
        admin=make_admin(),
    )
    make_worker(tree.firm, name="职工甲", user=people.worker)
    db.session.add(RoleGrant(user=people.judge, role=Role.JUDGE, event_id=event.id))
    db.session.add(RoleGrant(user=people.officer, role=Role.ENCRYPTION_OFFICER,
                             competition_id=competition.id))
    db.session.commit()
    return SimpleNamespace(competition=competition, event=event, entries=entries, people=people)


def run_draw(setup, rng=None):
    entries = drawing.draw_event(setup.people.organiser, setup.event, rng=rng)
    db.session.commit()
    return entries


def codes(entries, name):
    return [getattr(entry, name) for entry in entries]


# The service


def test_draw_gives_every_entry_unique_number_checkin_code_and_blind_code(setup):
    entries = run_draw(setup)
    assert len(entries) == 5
    for name in ("entry_number", "checkin_code", "blind_code"):
        values = codes(entries, name)
        assert None not in values and len(set(values)) == 5, name
    assert sorted(codes(entries, "entry_number")) == ["001", "002", "003", "004", "005"]
    assert sorted(codes(entries, "checkin_code")) == ["J001", "J002", "J003", "J004", "J005"]
    assert setup.event.stage is EventStage.DRAWN and setup.event.drawn_at is not None
    assert setup.competition.state is CompetitionState.DRAWN  # its only event is drawn


def test_blind_codes_use_the_unambiguous_alphabet_and_length(setup):
    for entry in run_draw(setup):
        assert len(entry.blind_code) == drawing.BLIND_LENGTH == 8
        assert set(entry.blind_code) <= set(drawing.BLIND_ALPHABET)
        assert not set(entry.blind_code) & set("0O1I2Z5S8B")


def test_blind_codes_stay_unique_when_the_random_source_repeats(setup):
    class Repeating(random.Random):
        """Returns the same code twice in a row before moving on."""
        calls = 0

        def choice(self, seq):
            self.calls += 1
            return seq[(self.calls - 1) // (2 * drawing.BLIND_LENGTH) % len(seq)]

    entries = run_draw(setup, rng=Repeating(1))
    assert len(set(codes(entries, "blind_code"))) == len(entries)


def test_check_in_order_is_drawn_by_lot(setup):
    entries = run_draw(setup, rng=random.Random(7))
    by_number = sorted(entries, key=lambda e: e.entry_number)
    assert [e.checkin_code for e in by_number] != sorted(codes(entries, "checkin_code"))


def test_redraw_is_allowed_while_drawn_and_changes_the_codes(setup):
    first = {e.id: e.blind_code for e in run_draw(setup)}
    second = {e.id: e.blind_code for e in run_draw(setup)}
    assert first.keys() == second.keys() and first != second
    assert len(set(second.values())) == 5


def test_redraw_is_refused_once_scoring_has_started(setup):
    run_draw(setup)
    setup.event.stage = EventStage.SCORING
    db.session.commit()
    before = codes(setup.entries, "blind_code")
    with pytest.raises(drawing.DrawRefused, match="评分已经开始"):
        drawing.draw_event(setup.people.organiser, setup.event)
    db.session.rollback()
    assert codes(db.session.scalars(sa.select(Entry).order_by(Entry.id)), "blind_code") == before


def test_draw_is_refused_while_entries_await_a_decision(setup, tree):
    make_entry(setup.event, make_worker(tree.firm, name="待审"),
               status=EntryStatus.PENDING_APPROVAL)
    with pytest.raises(drawing.DrawRefused, match="还有 1 个报名等待"):
        drawing.draw_event(setup.people.organiser, setup.event)


def test_draw_is_refused_while_registration_is_open(setup):
    setup.competition.state = CompetitionState.REGISTRATION
    with pytest.raises(drawing.DrawRefused, match="请先截止报名"):
        drawing.draw_event(setup.people.organiser, setup.event)


def test_draw_is_refused_without_approved_entries(setup):
    event = make_event(setup.competition, "车工")
    with pytest.raises(drawing.DrawRefused, match="没有已审核通过的报名"):
        drawing.draw_event(setup.people.organiser, event)


def test_rejected_and_withdrawn_entries_get_no_codes(setup, tree):
    rejected = make_entry(setup.event, make_worker(tree.firm, name="落选"),
                          status=EntryStatus.REJECTED)
    run_draw(setup)
    assert rejected.entry_number is None and rejected.blind_code is None


@pytest.mark.parametrize("who", ["unit_organiser", "other_organiser", "judge", "officer"])
def test_only_the_competition_organisers_run_the_draw(setup, who):
    with pytest.raises(PermissionDenied):
        drawing.draw_event(getattr(setup.people, who), setup.event)


# The pages

ROLES = ["anonymous", "worker", "other_organiser", "unit_organiser", "judge", "officer",
         "organiser", "admin"]


@pytest.fixture
def as_role(setup, login_as, client):
    def _as(role):
        user = getattr(setup.people, role)
        return login_as(user) if user is not None else client
    return _as


def expected(role, allowed):
    return 302 if role == "anonymous" else 200 if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_draw_page_is_for_the_competition_organisers(setup, as_role, role):
    response = as_role(role).get(f"/registration/events/{setup.event.id}/draw")
    assert response.status_code == expected(role, {"organiser", "admin"})


@pytest.mark.parametrize("role", ROLES)
def test_blind_code_page_is_for_encryption_officers_and_admins_only(setup, as_role, role):
    run_draw(setup)
    response = as_role(role).get(f"/registration/events/{setup.event.id}/blind-codes")
    assert response.status_code == expected(role, {"officer", "admin"})
    page = response.get_data(as_text=True)
    for code in codes(setup.entries, "blind_code"):
        assert (code in page) is (response.status_code == 200)
    if response.status_code == 200:
        assert response.headers["Cache-Control"] == "no-store"


def test_encryption_officer_of_another_competition_sees_no_mapping(setup, tree, login_as):
    run_draw(setup)
    other = make_competition(tree.other_city, name="苏州大赛")
    outsider = make_user("outsider")
    db.session.add(RoleGrant(user=outsider, role=Role.ENCRYPTION_OFFICER,
                             competition_id=other.id))
    db.session.commit()
    response = login_as(outsider).get(f"/registration/events/{setup.event.id}/blind-codes")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_check_in_list_is_for_organisers_and_encryption_officers(setup, as_role, role):
    run_draw(setup)
    response = as_role(role).get(f"/registration/events/{setup.event.id}/checkin.pdf")
    assert response.status_code == expected(role, {"organiser", "officer", "admin"})
    if response.status_code == 200:
        assert response.mimetype == "application/pdf"


def test_check_in_list_of_an_undrawn_event_is_not_found(setup, as_role):
    assert as_role("organiser").get(
        f"/registration/events/{setup.event.id}/checkin.pdf").status_code == 404


def test_organiser_runs_the_draw_from_the_page(setup, as_role):
    client = as_role("organiser")
    response = client.post(f"/registration/events/{setup.event.id}/draw")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The draw is done: 5 entries" in page
    db.session.expire_all()
    assert setup.event.stage is EventStage.DRAWN
    assert all(e.blind_code for e in setup.entries)


@pytest.mark.parametrize("make_refused, message", [
    (lambda s, tree: setattr(s.competition, "state", CompetitionState.REGISTRATION),
     "Close registration before the draw."),
    (lambda s, tree: make_entry(s.event, make_worker(tree.firm, name="待审"),
                                status=EntryStatus.PENDING_ENDORSEMENT),
     "1 entries still await endorsement or approval."),
    (lambda s, tree: [setattr(e, "status", EntryStatus.WITHDRAWN) for e in s.entries],
     "There are no approved entries to draw."),
    (lambda s, tree: setattr(s.event, "stage", EventStage.SCORING),
     "Scoring has started: the draw cannot be redone."),
])
def test_draw_page_shows_why_the_draw_is_refused(setup, tree, as_role, make_refused, message):
    make_refused(setup, tree)
    db.session.commit()
    response = as_role("organiser").post(f"/registration/events/{setup.event.id}/draw")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert not any(e.blind_code for e in setup.entries)


def test_scoring_event_page_offers_no_draw_button(setup, as_role):
    run_draw(setup)
    setup.event.stage = EventStage.SCORING
    db.session.commit()
    page = as_role("organiser").get(f"/registration/events/{setup.event.id}/draw")
    text = page.get_data(as_text=True)
    assert 'data-testid="draw-locked"' in text and 'data-testid="run-draw"' not in text


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


def test_pages_an_organiser_sees_never_show_blind_codes(setup, as_role):
    run_draw(setup)
    client = as_role("organiser")
    event_id, competition_id = setup.event.id, setup.competition.id
    responses = [client.get(url) for url in (
        f"/registration/events/{event_id}/draw", f"/contests/{competition_id}",
        f"/registration/events/{event_id}/entries")]
    assert [r.status_code for r in responses] == [200, 200, 200]
    seen = [r.get_data(as_text=True) for r in responses]
    seen.append(pdf_text(client.get(f"/registration/events/{event_id}/checkin.pdf").data))
    export = client.get(f"/registration/events/{event_id}/export.xlsx").data
    from tests.test_exports import sheet_values
    seen.append(repr(sheet_values(export)))
    for entry in setup.entries:
        assert entry.checkin_code in seen[0] and entry.checkin_code in seen[-2]
        for text in seen:
            assert entry.blind_code not in text


def test_audit_log_records_the_draw_but_not_the_mapping(setup):
    from competitions.audit.models import AuditEntry
    run_draw(setup)
    logged = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "event.draw")).all()
    assert len(logged) == 1
    dump = repr([(e.before, e.after) for e in logged])
    assert not any(entry.blind_code in dump for entry in setup.entries)
