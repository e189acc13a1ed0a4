"""Results from signed-off marks; decryption, notice, appeals, finalisation and advancement."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.audit.services import verify_chain
from competitions.contests.models import CompetitionState, EventStage
from competitions.database import utcnow
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.judging import marking, signoff
from competitions.judging.models import ScoreSheet
from competitions.notifications.models import Notification
from competitions.registration.models import Nomination, WorkerTitle
from competitions.results import honours_rules, lifecycle, services, settings
from competitions.results.awards import Award
from competitions.results.honours import HonourTitle
from competitions.results.models import AppealStatus, TitleAward, TitleState
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_event,
    make_organiser,
    make_user,
)

# Per entry: A1 (of 40), B1 (of 60), T1 (of 100). Practical = A1 + B1 (out of 100).
A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]
# totals: 0.3·T1 + 0.7·(A1+B1) = 80.00, 76.00, 77.00, 82.40


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree).with_results_officials()
    db.session.flush()
    return setup


def totals(lines):
    return [(line.entry.id, line.rank, line.total) for line in lines]


def test_results_follow_the_weights_and_rank_by_total(setup):
    setup.finish(A1, B1, T1)
    lines = services.compute_results(setup.event)
    e = [entry.id for entry in setup.entries]
    assert totals(lines) == [(e[3], 1, D("82.40")), (e[0], 2, D("80.00")),
                             (e[2], 3, D("77.00")), (e[1], 4, D("76.00"))]
    assert lines[0].practical == D(80) and lines[0].theory == D(88)
    assert all(isinstance(line.total, D) for line in lines)
    assert [line.awards for line in lines][:2] == [(Award.GOLD,), (Award.SILVER,)]
    assert lines[1].standardised > 700 > lines[3].standardised


def test_equal_totals_are_separated_by_time_used_then_shared(setup):
    setup.finish([30, 30, 30, 40], B1[:2] + [50, 40], [80, 90, 80, 88], sign=False)  # 0 = 2
    signoff.record_time(setup.chief, setup.event, setup.entries[2], 3500)
    signoff.record_time(setup.chief, setup.event, setup.entries[0], 3600)
    signoff.sign_off(setup.chief, setup.event)
    lines = {line.entry.id: line for line in services.compute_results(setup.event)}
    first, second = lines[setup.entries[2].id], lines[setup.entries[0].id]
    assert first.total == second.total == D(80)
    assert (first.rank, second.rank) == (2, 3) and second.decided_by == "time_used"


def test_a_penalty_comes_off_its_component(setup):
    setup.finish(A1, B1, T1, sign=False)
    practical = setup.scheme.components[1]
    signoff.add_penalty(setup.chief, setup.event, setup.entries[3], practical, D(10), "违规")
    signoff.sign_off(setup.chief, setup.event)
    line = next(x for x in services.compute_results(setup.event)
                if x.entry.id == setup.entries[3].id)
    assert line.practical == D(70) and line.total == D("75.40") and line.penalties == D(10)


def test_only_the_encryption_officer_decrypts_and_only_after_sign_off(setup):
    setup.finish(A1, B1, T1, sign=False)
    with pytest.raises(lifecycle.ResultsRefused):
        lifecycle.decrypt(setup.officer, setup.event)
    signoff.sign_off(setup.chief, setup.event)
    for actor in (setup.organiser, setup.chief, setup.arbitrator):
        with pytest.raises(PermissionDenied):
            lifecycle.decrypt(actor, setup.event)
    assert not lifecycle.names_visible(setup.event)
    lifecycle.decrypt(setup.officer, setup.event)
    assert lifecycle.names_visible(setup.event) and setup.event.stage is EventStage.DECRYPTED


def published(setup, now):
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=now)


def test_publishing_needs_decryption_and_opens_a_five_day_notice(setup):
    setup.finish(A1, B1, T1)
    with pytest.raises(lifecycle.ResultsRefused):
        lifecycle.publish(setup.organiser, setup.event)
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    assert setup.event.notice_ends_at == setup.event.appeals_close_at == now + timedelta(days=5)
    stored = services.published_results(setup.event)
    assert [r.rank for r in stored] == [1, 2, 3, 4] and stored[0].awards == [Award.GOLD.value]


def test_appeals_come_from_the_entrant_or_their_units_organiser_during_the_notice(setup):
    now = utcnow()
    published(setup, now)
    entry = setup.entries[1]
    stranger = make_user("stranger")
    with pytest.raises(PermissionDenied):
        lifecycle.file_appeal(stranger, entry, "不服", now=now)
    with pytest.raises(lifecycle.ResultsRefused) as refused:
        lifecycle.file_appeal(setup.entrant, entry, "  ", now=now)
    assert refused.value.field == "text"
    appeal = lifecycle.file_appeal(setup.entrant, entry, "B1 评分有误", now=now)
    unit_organiser = make_organiser(setup.workers[1].employer)
    lifecycle.file_appeal(unit_organiser, entry, "同上", now=now)
    later = now + timedelta(days=6)
    with pytest.raises(lifecycle.ResultsRefused):
        lifecycle.file_appeal(setup.entrant, entry, "逾期", now=later)
    assert appeal.status is AppealStatus.OPEN


def test_a_two_hour_appeal_window_closes_on_the_minute_named_in_local_time(setup):
    """深圳 2016 (RULES.md D): appeals within 2 hours, while the notice runs 5 days."""
    setup.competition.notice_hours, setup.competition.appeal_hours = 5 * 24, 2
    published_at = datetime(2026, 12, 6, 4, 0)  # 12:00 in Beijing
    published(setup, published_at)
    deadline = published_at + timedelta(hours=2)
    assert setup.event.appeals_close_at == deadline
    assert setup.event.notice_ends_at == published_at + timedelta(days=5)
    entry = setup.entries[1]
    lifecycle.file_appeal(setup.entrant, entry, "B1 评分有误", now=deadline - timedelta(minutes=1))
    late = deadline + timedelta(minutes=1)
    with pytest.raises(lifecycle.ResultsRefused) as refused:
        lifecycle.file_appeal(setup.entrant, entry, "逾期", now=late)
    assert str(refused.value.message) == "申诉期已于 2026年12月6日 14:00 截止。"
    assert lifecycle.in_notice(setup.event, late) and not lifecycle.appeals_open(setup.event, late)
    with pytest.raises(lifecycle.ResultsRefused) as refused:  # the notice still runs
        lifecycle.finalise(setup.organiser, setup.event, now=late)
    assert str(refused.value.message) == "公示期至 2026年12月11日 12:00 结束。"


def results_settings(competition, **overrides) -> dict:
    values = {name: getattr(competition, name) for name in settings.SETTINGS}
    return values | overrides


@pytest.mark.parametrize("notice, appeal", [(1, 1), (2, 2), (30 * 24, 2), (30 * 24, 30 * 24)])
def test_the_notice_and_appeal_window_are_whole_hours_the_window_within_the_notice(
        setup, notice, appeal):
    values = results_settings(setup.competition, notice_hours=notice, appeal_hours=appeal)
    settings.save_results_settings(setup.organiser, setup.competition, **values)
    assert (setup.competition.notice_hours, setup.competition.appeal_hours) == (notice, appeal)


@pytest.mark.parametrize("notice, appeal, field", [
    (0, 1, "notice_hours"), (30 * 24 + 1, 2, "notice_hours"), (True, 1, "notice_hours"),
    (D(48), 2, "notice_hours"), (48, 0, "appeal_hours"), (48, 49, "appeal_hours"),
    (48, 1.5, "appeal_hours"),
])
def test_periods_out_of_bounds_are_refused_naming_the_setting(setup, notice, appeal, field):
    values = results_settings(setup.competition, notice_hours=notice, appeal_hours=appeal)
    with pytest.raises(lifecycle.ResultsRefused) as refused:
        settings.save_results_settings(setup.organiser, setup.competition, **values)
    assert refused.value.field == field
    assert (setup.competition.notice_hours, setup.competition.appeal_hours) == (120, 120)


def test_finalising_is_refused_during_the_notice_and_with_an_open_appeal(setup):
    now = utcnow()
    published(setup, now)
    with pytest.raises(lifecycle.ResultsRefused):
        lifecycle.finalise(setup.organiser, setup.event, now=now)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误", now=now)
    after = now + timedelta(days=5, seconds=1)
    with pytest.raises(lifecycle.ResultsRefused) as refused:
        lifecycle.finalise(setup.organiser, setup.event, now=after)
    assert "仲裁" in refused.value.message
    with pytest.raises(PermissionDenied):
        lifecycle.decide_appeal(setup.organiser, appeal, upheld=False, reason="无")
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=False, reason="评分符合细则")
    with pytest.raises(lifecycle.ResultsRefused):
        lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=True, reason="改判")
    lifecycle.finalise(setup.organiser, setup.event, now=after)
    assert setup.event.stage is EventStage.FINAL


def test_an_upheld_appeal_reopens_marking_and_republishing_restarts_the_notice(setup):
    now = utcnow()
    published(setup, now)
    first_end = setup.event.notice_ends_at
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误", now=now)
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=True, reason="B1 计分错误")
    assert setup.event.stage is EventStage.SCORING
    assert db.session.scalar(sa.select(Notification.kind).where(
        Notification.user_id == setup.chief.id)) == "appeal_upheld"
    sheet = db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.entry_id == setup.entries[1].id, ScoreSheet.judge_id == setup.judge2.id))
    for judge_sheet in db.session.scalars(sa.select(ScoreSheet).where(
            ScoreSheet.entry_id == setup.entries[1].id)):
        if any(m.criterion_id == setup.b1.id for m in judge_sheet.marks):
            marking.correct_mark(setup.chief, judge_sheet, setup.b1, D(60), "仲裁改判")
    assert sheet is not None
    signoff.sign_off(setup.chief, setup.event)
    later = now + timedelta(days=2)
    lifecycle.publish(setup.organiser, setup.event, now=later)
    assert setup.event.notice_ends_at == later + timedelta(days=5) > first_end
    assert setup.event.appeals_close_at == later + timedelta(days=5)
    top = services.published_results(setup.event)[0]
    assert top.entry_id == setup.entries[1].id and top.total == D("90.00")
    db.session.commit()
    assert verify_chain()[1] is None and signoff.reconcile_marks() == []


def test_final_results_refuse_changes_until_formally_reopened(setup):
    now = utcnow()
    published(setup, now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    with pytest.raises(signoff.SignOffRefused):
        signoff.reopen(setup.chief, setup.event, "想改")
    with pytest.raises(marking.MarkingClosed):
        signoff.record_time(setup.chief, setup.event, setup.entries[0], 10)
    with pytest.raises(lifecycle.ResultsRefused) as refused:
        lifecycle.reopen_results(setup.organiser, setup.event, "")
    assert refused.value.field == "reason"
    lifecycle.reopen_results(setup.organiser, setup.event, "发现录入错误，经组委会同意重新开启")
    assert setup.event.stage is EventStage.SIGNED_OFF
    signoff.reopen(setup.chief, setup.event, "更正录入错误")


def test_finalising_recommends_titles_pending_approval_and_never_twice(setup):
    setup.competition.title_rules = [["city_ladder", {}]]
    now = utcnow()
    published(setup, now)
    champion = setup.workers[3]
    db.session.add(WorkerTitle(worker_id=setup.workers[0].id,
                               title=HonourTitle.TECHNICAL_PACESETTER, year=2020))
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    awards = {a.worker_id: a for a in db.session.scalars(sa.select(TitleAward))}
    assert awards[champion.id].title is HonourTitle.TECHNICAL_CHAMPION
    assert awards[champion.id].state is TitleState.PENDING
    assert setup.workers[0].id not in awards  # already holds 技术标兵
    assert awards[setup.workers[2].id].title is HonourTitle.CITY_TECHNICAL_EXPERT
    honours_rules.decide_title(setup.organiser, awards[champion.id], approve=True,
                               note="市总工会 2026 第12号文")
    assert db.session.scalar(sa.select(WorkerTitle.title).where(
        WorkerTitle.worker_id == champion.id)) is HonourTitle.TECHNICAL_CHAMPION
    with pytest.raises(PermissionDenied):
        honours_rules.decide_title(setup.chief, awards[setup.workers[2].id], approve=True)


def test_a_final_competition_sends_its_top_n_on_with_ties_at_the_cut_off(setup):
    provincial = make_competition(setup.tree.province, name="省赛",
                                  state=CompetitionState.REGISTRATION)
    target = make_event(provincial, setup.event.occupation)
    setup.competition.feeds = provincial
    setup.competition.advance_top_n = 2
    setup.finish([30, 30, 20, 30], [50, 40, 60, 50], [80, 90, 70, 80])  # 0 and 3 tie at 80
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    ranks = {r.entry_id: r.rank for r in services.published_results(setup.event)}
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    assert setup.competition.state is CompetitionState.FINAL
    nominated = set(db.session.scalars(sa.select(Nomination.worker_id).where(
        Nomination.event_id == target.id)))
    expected = {w.id for w, e in zip(setup.workers, setup.entries, strict=True)
                if ranks[e.id] <= 2}
    assert nominated == expected and len(expected) >= 2


def test_a_team_event_ranks_the_team_and_every_member_shares_its_outcome(tree):
    setup = MarkingSetup(tree, teams=True).with_results_officials()
    setup.competition.title_rules = [["city_ladder", {}]]
    provincial = make_competition(setup.tree.province, name="省赛",
                                  state=CompetitionState.REGISTRATION)
    target = make_event(provincial, setup.event.occupation, team_size=2)
    setup.competition.feeds, setup.competition.advance_top_n = provincial, 1
    # the reserve steps in for both team members' enterprise, as for individuals
    setup.finish(A1, B1, T1)
    lines = services.compute_results(setup.event)
    assert [len(line.entry.members) for line in lines] == [2, 2, 2, 2]
    assert totals(lines)[0] == (setup.entries[3].id, 1, D("82.40"))
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    champions = {a.worker_id for a in db.session.scalars(sa.select(TitleAward).where(
        TitleAward.title == HonourTitle.TECHNICAL_CHAMPION))}
    assert champions == {setup.workers[3].id, setup.partners[3].id}
    nominated = set(db.session.scalars(sa.select(Nomination.worker_id).where(
        Nomination.event_id == target.id)))
    assert nominated == champions
