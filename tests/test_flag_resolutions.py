"""Flagged panels must be resolved before sign-off: accepted with a note, or corrected
(issue 15; DESIGN.md §4–§5)."""

import html
import json
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from competitions.audit.models import AuditEntry
from competitions.audit.services import verify_chain
from competitions.contests.models import EventStage
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.judging import flags, marking, panels, score_import, signoff
from competitions.judging.models import FlagResolution, ScoreSheet
from competitions.judging.views import signoff as _routes  # noqa: F401  (routes)
from tests.factories import MarkingSetup, make_xlsx

WIDE = (D(10), D(50), D(55))  # B1 by seat order: 75 % of the maximum (60) apart
NOTE = "裁判组合议：该裁判对焊缝咬边扣分有现场记录，维持原评分。"


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree)
    db.session.commit()
    return setup


def complete(setup, b1_marks=WIDE, wide=None):
    """Every judge submits (A1 = 30; B1 from `b1_marks` by seat order, only for the entries
    in `wide` if given, else (50, 51, 52)), and the theory scores are imported."""
    cells = {(c.blind_code, c.criterion.id): c for c in panels.panel_cells(setup.event)}
    for judge in (setup.conflicted, setup.judge2, setup.judge3, setup.reserve):
        for work in marking.judge_work(judge, setup.event):
            chosen = b1_marks if wide is None or work.blind_code in wide else (50, 51, 52)
            values = {c.id: D(30) if c.id == setup.a1.id else
                      D(chosen[cells[(work.blind_code, c.id)].panel.index(judge.id)])
                      for c in work.criteria}
            marking.save_sheet(judge, setup.event, work.blind_code, values,
                               version=work.version, submit=True)
    content = make_xlsx(["赛位号", "T1"], [[e.blind_code, "88.5"] for e in setup.entries])
    score_import.confirm(setup.chief, score_import.stage_upload(
        setup.chief, setup.event, "theory.xlsx", content))
    db.session.flush()


def sheet_of(setup, judge, index) -> ScoreSheet:
    return db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.judge_id == judge.id, ScoreSheet.entry_id == setup.entries[index].id))


def unresolved(setup) -> list[str]:
    return [flag.name for flag in signoff.overview(setup.event).unresolved]


def test_sign_off_is_refused_while_a_flag_is_unresolved_and_the_message_names_it(setup):
    complete(setup, wide={setup.code(2)})
    with pytest.raises(signoff.SignOffRefused) as refused:
        signoff.sign_off(setup.chief, setup.event)
    with force_locale("en"):
        message = str(refused.value.message)
    assert "1 flagged panels are not resolved" in message
    assert f"{setup.code(2)} B1" in message and setup.code(3) not in message
    assert setup.event.stage is EventStage.SCORING
    flags.accept_flag(setup.chief, setup.event, setup.entries[2], setup.b1, NOTE)
    signoff.sign_off(setup.chief, setup.event)
    assert setup.event.stage is EventStage.SIGNED_OFF


def test_accepting_needs_a_note_and_is_audited(setup):
    complete(setup, wide={setup.code(2)})
    with pytest.raises(DomainError) as refused:
        flags.accept_flag(setup.chief, setup.event, setup.entries[2], setup.b1, "  ")
    assert refused.value.field == "note"
    assert unresolved(setup) == [f"{setup.code(2)} B1"]
    flags.accept_flag(setup.chief, setup.event, setup.entries[2], setup.b1, NOTE)
    flags.accept_flag(setup.chief, setup.event, setup.entries[2], setup.b1, NOTE)  # twice
    assert unresolved(setup) == []
    resolution = db.session.scalar(sa.select(FlagResolution))
    assert (resolution.spread, resolution.note, resolution.resolved_by_id) == (
        D(75), NOTE, setup.chief.id)
    db.session.commit()
    recorded = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "flag.accept")).all()
    assert len(recorded) == 1 and recorded[0].reason == NOTE
    assert recorded[0].chain == f"event:{setup.event.id}"
    assert json.loads(recorded[0].after)["spread"] == "75.0000"
    assert verify_chain()[1] is None and flags.reconcile_flag_resolutions() == []
    db.session.execute(sa.update(FlagResolution).values(note="改过的记录"))
    db.session.commit()
    assert flags.reconcile_flag_resolutions() != []
    assert "flag.accept" in [h.action for h in signoff.mark_history(setup.entries[2])]


def test_a_panel_within_the_threshold_has_nothing_to_accept(setup):
    complete(setup, wide={setup.code(2)})
    with pytest.raises(DomainError):
        flags.accept_flag(setup.chief, setup.event, setup.entries[3], setup.b1, NOTE)


def test_a_correction_within_the_threshold_clears_the_flag(setup):
    complete(setup, wide={setup.code(2)})
    outlier = sheet_of(setup, setup.conflicted, 2)  # the 10 of (10, 50, 55)
    marking.correct_mark(setup.chief, outlier, setup.b1, D(30), "复核后更正")
    assert unresolved(setup) == [f"{setup.code(2)} B1"]  # 30 to 55 is still 41.7 % apart
    marking.correct_mark(setup.chief, outlier, setup.b1, D(48), "合议后更正")
    assert signoff.overview(setup.event).flagged == []
    signoff.sign_off(setup.chief, setup.event)
    assert setup.event.stage is EventStage.SIGNED_OFF


@pytest.mark.parametrize("who", ["judge2", "organiser"])
def test_only_the_chief_judge_resolves_a_flag(setup, who):
    complete(setup, wide={setup.code(2)})
    with pytest.raises(PermissionDenied):
        flags.accept_flag(getattr(setup, who), setup.event, setup.entries[2], setup.b1, NOTE)
    assert unresolved(setup) == [f"{setup.code(2)} B1"]


def test_a_resolution_voided_by_a_later_mark_change_needs_resolving_again(setup):
    complete(setup, wide={setup.code(2)})
    flags.accept_flag(setup.chief, setup.event, setup.entries[2], setup.b1, NOTE)
    signoff.sign_off(setup.chief, setup.event)
    signoff.reopen(setup.chief, setup.event, "仲裁要求复核")
    assert unresolved(setup) == []  # nothing changed: the acceptance holds after reopening
    middle = sheet_of(setup, setup.judge2, 2)  # the 50 of (10, 50, 55): the spread stays
    marking.correct_mark(setup.chief, middle, setup.b1, D(40), "复核后更正")
    [flag] = signoff.overview(setup.event).flags
    assert flag.is_void and not flag.is_resolved
    with pytest.raises(signoff.SignOffRefused) as refused:
        signoff.sign_off(setup.chief, setup.event)
    assert f"{setup.code(2)} B1" in str(refused.value.message)
    flags.accept_flag(setup.chief, setup.event, setup.entries[2], setup.b1, "再次合议，维持。")
    signoff.sign_off(setup.chief, setup.event)
    assert db.session.scalar(sa.select(sa.func.count(FlagResolution.id))) == 1


# The page


def test_the_sign_off_page_lists_each_flag_with_a_form_and_counts_those_to_resolve(
        setup, client, login_as):
    complete(setup, wide={setup.code(2), setup.code(3)})
    db.session.commit()
    client.set_cookie("lang", "en")
    login_as(setup.chief)
    url = f"/judging/events/{setup.event.id}"
    page = html.unescape(client.get(f"{url}/overview").get_data(as_text=True))
    assert 'data-testid="count-unresolved">2<' in page
    assert f'data-testid="accept-flag-{setup.code(2)}-B1"' in page
    action = f"{url}/entries/{setup.code(2)}/flags/{setup.b1.id}/accept"
    field = f"flag{setup.entries[2].id}-{setup.b1.id}-note"
    response = client.post(action, data={field: ""})
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Say what the panel discussed" in page and 'data-testid="count-unresolved">2<' in page
    client.post(action, data={field: NOTE})
    page = html.unescape(client.get(f"{url}/overview").get_data(as_text=True))
    assert 'data-testid="count-unresolved">1<' in page and NOTE in page
    assert f'data-testid="accept-flag-{setup.code(2)}-B1"' not in page
    response = client.post(f"{url}/sign-off", data={})
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f"1 flagged panels are not resolved: {setup.code(3)} B1." in page


# The demo


def test_the_demo_resolved_last_years_flags_and_leaves_this_years_to_the_chief_judge(
        app, demo_data):
    from competitions.contests.models import Competition
    from competitions.demo.contests import NANJING
    from competitions.demo.results import LAST_YEAR

    events = {name: db.session.scalar(sa.select(Competition).where(
        Competition.name == name)).events[0] for name in (LAST_YEAR, NANJING)}
    last_year = signoff.overview(events[LAST_YEAR])
    assert last_year.flags and last_year.unresolved == []
    assert signoff.overview(events[NANJING]).unresolved
    assert flags.reconcile_flag_resolutions() == []
