"""Panels, score sheets, sign-off and corrections, as services (DESIGN.md §3–§5)."""

import json
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.audit.services import verify_chain
from competitions.contests.models import EventStage
from competitions.errors import DomainError, NotFound, PermissionDenied
from competitions.extensions import db
from competitions.judging import marking, panels, signoff
from competitions.judging.models import ImportedMark, Mark, ScoreSheet
from competitions.notifications.models import Notification
from tests.factories import MarkingSetup


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree)
    db.session.commit()
    return setup


def submit_all(setup, b1_marks=(D(50), D(51), D(52))):
    """Every judge submits every sheet: A1 = 30, B1 from `b1_marks` by seat order."""
    for judge in (setup.conflicted, setup.judge2, setup.judge3, setup.reserve):
        for work in marking.judge_work(judge, setup.event):
            values = {}
            for criterion in work.criteria:
                if criterion.id == setup.a1.id:
                    values[criterion.id] = D(30)
                else:
                    cell = next(c for c in panels.panel_cells(setup.event)
                                if c.blind_code == work.blind_code
                                and c.criterion.id == setup.b1.id)
                    values[criterion.id] = b1_marks[cell.panel.index(judge.id)]
            marking.save_sheet(judge, setup.event, work.blind_code, values,
                               version=work.version, submit=True)


def import_theory(setup, score=D("88.5")):
    for entry in setup.entries:
        db.session.add(ImportedMark(event_id=setup.event.id, entry_id=entry.id,
                                    criterion_id=setup.t1.id, value=score))
    db.session.flush()


def test_a_judge_is_kept_off_entrants_of_their_own_unit_and_enterprise_group(setup):
    cells = {(c.blind_code, c.criterion.code): c for c in panels.panel_cells(setup.event)}
    own_unit, subsidiary, other = (cells[(setup.code(i), "B1")] for i in (0, 1, 2))
    assert setup.conflicted.id not in own_unit.panel and setup.reserve.id in own_unit.panel
    assert own_unit.excluded[setup.conflicted.id] == "unit"
    assert subsidiary.excluded[setup.conflicted.id] == "enterprise"
    assert other.panel == [setup.conflicted.id, setup.judge2.id, setup.judge3.id]
    work = {w.blind_code for w in marking.judge_work(setup.conflicted, setup.event)}
    assert work == {setup.code(2), setup.code(3)}
    with pytest.raises(NotFound):
        marking.open_sheet(setup.conflicted, setup.event, setup.code(0))
    with pytest.raises(PermissionDenied):
        marking.save_sheet(setup.conflicted, setup.event, setup.code(2), {setup.a1.id: D(3)},
                           version=0)


def test_a_judge_without_a_recorded_unit_marks_nobody(setup):
    setup.judge3.employer = None
    db.session.flush()
    cells = [c for c in panels.panel_cells(setup.event) if c.criterion.code == "B1"]
    assert all(setup.judge3.id not in c.panel for c in cells)
    assert all(c.excluded[setup.judge3.id] == "unknown" for c in cells)


def test_starting_is_refused_when_a_panel_cannot_be_staffed_without_a_conflict(tree):
    setup = MarkingSetup(tree, start=False)
    panels.set_panel(setup.organiser, setup.b1, [setup.conflicted, setup.judge2, setup.judge3])
    with pytest.raises(signoff.SignOffRefused) as refused:
        signoff.start_marking(setup.chief, setup.event)
    assert "B1" in refused.value.message and setup.event.stage is EventStage.DRAWN


def test_starting_marking_locks_the_scheme(setup):
    assert setup.event.stage is EventStage.SCORING
    assert setup.scheme.locked_at is not None


def test_a_draft_saves_and_the_same_post_twice_creates_one_mark(setup):
    code, a1 = setup.code(0), setup.a1.id
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D("12.5")}, version=0)
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D("12.5")}, version=0)
    db.session.commit()
    sheet = db.session.scalar(sa.select(ScoreSheet))
    assert [m.value for m in sheet.marks] == [D("12.5")] and sheet.version == 1
    assert db.session.scalar(sa.select(sa.func.count(Mark.id))) == 1


def test_a_stale_form_is_refused_instead_of_overwriting(setup):
    code, a1 = setup.code(0), setup.a1.id
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D(10)}, version=0)
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D(11)}, version=1)
    db.session.commit()
    with pytest.raises(marking.StaleSheet):
        marking.save_sheet(setup.judge2, setup.event, code, {a1: D(12)}, version=1)
    db.session.rollback()
    assert db.session.scalar(sa.select(Mark.value)) == D(11)


@pytest.mark.parametrize(("value", "message"), [(D("40.5"), "0"), (D("-1"), "0"),
                                                (D("12.3"), "0.5")])
def test_marks_outside_the_range_or_off_the_step_are_refused_and_nothing_is_saved(
        setup, value, message):
    with pytest.raises(marking.SheetInvalid) as refused:
        marking.save_sheet(setup.judge2, setup.event, setup.code(0),
                           {setup.a1.id: value}, version=0)
    assert message in refused.value.errors[setup.a1.id]
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == 0


def test_submitting_needs_every_mark_and_locks_the_sheet(setup):
    code, a1, b1 = setup.code(0), setup.a1.id, setup.b1.id
    with pytest.raises(marking.SheetInvalid) as refused:
        marking.save_sheet(setup.judge2, setup.event, code, {a1: D(10)}, version=0, submit=True)
    assert set(refused.value.errors) == {b1}
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D(10), b1: D(40)}, version=0,
                       submit=True)
    # the same submit posted again is a no-op, not an error
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D(10), b1: D(40)}, version=0,
                       submit=True)
    with pytest.raises(marking.SheetLocked):
        marking.save_sheet(setup.judge2, setup.event, code, {a1: D(11), b1: D(40)}, version=1)


def test_the_chief_judge_returns_a_sheet_with_a_reason_and_the_judge_is_told(setup):
    code, a1, b1 = setup.code(0), setup.a1.id, setup.b1.id
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D(10), b1: D(40)}, version=0,
                       submit=True)
    sheet = db.session.scalar(sa.select(ScoreSheet))
    with pytest.raises(PermissionDenied):
        marking.return_sheet(setup.judge3, sheet, "no")
    with pytest.raises(DomainError):
        marking.return_sheet(setup.chief, sheet, "  ")
    marking.return_sheet(setup.chief, sheet, "B1 与其他裁判差距过大，请复核")
    assert db.session.scalar(sa.select(Notification.kind).where(
        Notification.user_id == setup.judge2.id).order_by(Notification.id.desc()).limit(1)) \
        == "sheet_returned"
    marking.save_sheet(setup.judge2, setup.event, code, {a1: D(10), b1: D(50)},
                       version=sheet.version, submit=True)
    assert {m.value for m in sheet.marks} == {D(10), D(50)}


def expected_next(judge, event, after):
    """What the next sheet is by definition: the first unsubmitted sheet of the judge's whole
    work after `after`, wrapping round."""
    waiting = [w.blind_code for w in marking.judge_work(judge, event) if not w.is_submitted]
    return ([code for code in waiting if code > after] or waiting or [None])[0]


@pytest.mark.parametrize("batch", [1, 2, 10])
def test_the_next_sheet_to_submit_follows_the_code_order_and_wraps_round(setup, batch):
    judges = (setup.conflicted, setup.judge2, setup.judge3, setup.reserve)
    codes = sorted(e.blind_code for e in setup.entries)
    panels.declare_conflict(setup.judge3, setup.event, setup.entries[2], "我认识这位选手")
    for rounds in range(3):
        for judge in judges:
            setting = panels.panel_setting(setup.event)  # read once, as a submit does
            for after in ["", *codes, "ZZZ"]:
                expected = expected_next(judge, setup.event, after)
                assert marking.next_to_submit(judge, setup.event, after, batch=batch) == \
                    expected, (judge.username, after, rounds)
                assert marking.next_to_submit(judge, setup.event, after, batch=batch,
                                              setting=setting) == expected
        for judge in judges:  # submit each judge's next sheet, and look again
            code = marking.next_to_submit(judge, setup.event, batch=batch)
            if code is not None:
                work = marking.open_sheet(judge, setup.event, code)
                marking.save_sheet(judge, setup.event, code,
                                   {c.id: D(0) for c in work.criteria}, version=work.version,
                                   submit=True)
    reserve_work = marking.judge_work(setup.reserve, setup.event)
    assert reserve_work and len(reserve_work) < len(codes)  # a reserve marks only some entries
    with pytest.raises(PermissionDenied):
        marking.next_to_submit(setup.chief, setup.event)


def test_a_declared_conflict_brings_in_the_reserve(setup):
    entry = setup.entries[2]
    panels.declare_conflict(setup.judge3, setup.event, entry, "我认识这位选手")
    panels.declare_conflict(setup.judge3, setup.event, entry, "我认识这位选手")  # double post
    cell = next(c for c in panels.panel_cells(setup.event)
                if c.blind_code == setup.code(2) and c.criterion.code == "B1")
    assert setup.judge3.id not in cell.panel and setup.reserve.id in cell.panel
    assert cell.excluded[setup.judge3.id] == "declared"


def test_sign_off_is_refused_while_marks_are_missing(setup):
    with pytest.raises(signoff.SignOffRefused) as refused:
        signoff.sign_off(setup.chief, setup.event)
    # 4 entries × (A1 + 3 × B1 + imported T1)
    assert "20" in refused.value.message
    submit_all(setup)
    with pytest.raises(signoff.SignOffRefused) as refused:
        signoff.sign_off(setup.chief, setup.event)
    assert "4" in refused.value.message  # the theory scores


def test_only_the_chief_judge_signs_off(setup):
    submit_all(setup)
    import_theory(setup)
    for actor in (setup.organiser, setup.judge2):
        with pytest.raises(PermissionDenied):
            signoff.sign_off(actor, setup.event)


def test_sign_off_freezes_the_event_and_a_correction_needs_a_reason_and_a_fresh_sign_off(
        setup):
    submit_all(setup)
    import_theory(setup)
    signoff.sign_off(setup.chief, setup.event)
    assert setup.event.stage is EventStage.SIGNED_OFF
    sheet = db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.judge_id == setup.judge2.id, ScoreSheet.entry_id == setup.entries[3].id))
    with pytest.raises(marking.MarkingClosed):
        marking.save_sheet(setup.judge2, setup.event, setup.code(3), {setup.a1.id: D(1)},
                           version=sheet.version)
    with pytest.raises(marking.MarkingClosed):
        marking.correct_mark(setup.chief, sheet, setup.b1, D(45), "复核")
    with pytest.raises(DomainError):
        signoff.reopen(setup.chief, setup.event, "")
    signoff.reopen(setup.chief, setup.event, "仲裁要求复核 B1")
    marking.correct_mark(setup.chief, sheet, setup.b1, D(45), "复核后更正")
    assert setup.event.stage is EventStage.SCORING
    signoff.sign_off(setup.chief, setup.event)
    db.session.commit()
    db.session.commit()  # audit entries join their chains at commit
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-4:] == ["event.sign_off", "event.reopen", "mark.correct", "event.sign_off"]
    correction = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "mark.correct"))
    assert correction.reason == "复核后更正"
    assert json.loads(correction.before)["marks"] == {"B1": "51.00"}
    assert json.loads(correction.after)["marks"] == {"B1": "45.00"}


def test_a_wide_panel_is_flagged_for_discussion(setup):
    submit_all(setup, b1_marks=(D(10), D(50), D(55)))  # 75 % of the maximum apart
    state = signoff.overview(setup.event)
    assert {c.criterion.code for c in state.flagged} == {"B1"}
    assert len(state.flagged) == 4
    setup.scheme.spread_threshold = D(80)
    assert signoff.overview(setup.event).flagged == []


def test_time_and_penalties_are_recorded_by_the_chief_judge_and_kept_in_the_history(setup):
    entry = setup.entries[0]
    practical = setup.scheme.components[1]
    with pytest.raises(PermissionDenied):
        signoff.record_time(setup.judge2, setup.event, entry, 3600)
    signoff.record_time(setup.chief, setup.event, entry, 3540)
    with pytest.raises(DomainError) as refused:
        signoff.add_penalty(setup.chief, setup.event, entry, practical, D(5), "")
    assert refused.value.field == "reason"
    penalty = signoff.add_penalty(setup.chief, setup.event, entry, practical, D(5), "违规操作")
    signoff.withdraw_penalty(setup.chief, penalty, "录入错误")
    marking.save_sheet(setup.judge2, setup.event, setup.code(0), {setup.a1.id: D(10)},
                       version=0)
    db.session.commit()  # audit entries join their chains at commit
    history = signoff.mark_history(entry)
    assert [h.action for h in history] == ["timing.record", "penalty.add", "penalty.withdraw",
                                           "mark.save"]
    assert all("王大明" not in (h.after or "") for h in history)


def test_the_audit_chain_verifies_and_a_mark_changed_in_the_database_is_found(setup):
    submit_all(setup)
    import_theory(setup)
    db.session.commit()
    assert verify_chain()[1] is None
    assert signoff.reconcile_marks() != []  # the imported marks above bypassed the service
    db.session.execute(sa.delete(ImportedMark))
    db.session.commit()
    assert signoff.reconcile_marks() == []
    db.session.execute(sa.update(Mark).where(Mark.id == db.session.scalar(
        sa.select(sa.func.min(Mark.id)))).values(value=D(39)))
    db.session.commit()
    problems = signoff.reconcile_marks()
    assert len(problems) == 1 and "39.00" in problems[0]
