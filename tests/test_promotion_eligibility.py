"""Promotion eligibility: assessed at finalisation under the competition's rule set, decided by
the HR officers covering it, raising the level in the event's occupation with its history, all
audited; a reopening flags what was decided and recomputes what was not."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.audit.reconcile import reconcile_promotions
from competitions.audit.services import verify_chain
from competitions.database import utcnow
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.judging import marking, signoff
from competitions.judging.models import ScoreSheet
from competitions.notifications.models import Notification
from competitions.organisations.models import OrgKind
from competitions.promotion import eligibility
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, LevelChange, PromotionEligibility
from competitions.promotion.rules import ReasonCode, preset
from competitions.promotion.worker_levels import level_in, set_level
from competitions.results import lifecycle
from tests.factories import MarkingSetup, make_occupation, make_org, make_organiser, make_user
from tests.test_results import A1, B1, T1

# Totals 80.00, 76.00, 77.00, 82.40: ranks 2, 4, 3, 1. Levels in 焊工: 高级工, none, 技师, 高级技师.
LEVELS = [SkillLevel.LEVEL_3, None, SkillLevel.LEVEL_2, SkillLevel.LEVEL_1]


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree).with_results_officials()
    setup.competition.promotion_rules = preset("national_class1_2015").to_json()
    for worker, level in zip(setup.workers, LEVELS, strict=True):
        if level is not None:
            set_level(None, worker, setup.event.occupation, level, on=utcnow().date(),
                      source="recorded")
    bureau = make_org("江苏省人力资源和社会保障厅", parent=tree.province,
                      tier=tree.province.tier, kind=OrgKind.HR_BUREAU)
    setup.hr = make_user("hr_officer")
    db.session.add(RoleGrant(user=setup.hr, role=Role.HR_OFFICER, organisation=bureau,
                             covers=tree.province))
    setup.elsewhere_hr = make_user("hr_elsewhere")
    db.session.add(RoleGrant(user=setup.elsewhere_hr, role=Role.HR_OFFICER,
                             organisation=tree.other_city))
    db.session.flush()
    return setup


def finalised(setup, when=None):
    when = when or utcnow() - timedelta(days=6)
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=when)
    lifecycle.finalise(setup.organiser, setup.event, now=when + timedelta(days=6))
    db.session.commit()


def of(setup, index) -> PromotionEligibility:
    return db.session.scalar(sa.select(PromotionEligibility).where(
        PromotionEligibility.worker_id == setup.workers[index].id))


def test_finalising_assesses_every_entrant_with_a_reason_citing_the_rule(setup):
    finalised(setup)
    outcomes = {i: of(setup, i) for i in range(4)}
    assert (outcomes[0].code, outcomes[0].to_level) == ("eligible", SkillLevel.LEVEL_2)
    assert (outcomes[2].code, outcomes[2].to_level) == ("eligible", SkillLevel.LEVEL_1)
    assert outcomes[1].code == ReasonCode.LEVEL_UNKNOWN.value and not outcomes[1].eligible
    assert outcomes[3].code == ReasonCode.AT_CAP.value and outcomes[3].to_level is None
    assert all("第五届全国职工职业技能大赛" in o.reason for o in outcomes.values() if o.eligible)
    assert {o.status for o in outcomes.values()} == {EligibilityStatus.PENDING}
    assert outcomes[0].expires_at is not None and outcomes[1].expires_at is None


def test_a_competition_without_rules_assesses_nobody(setup):
    setup.competition.promotion_rules = {}
    finalised(setup)
    assert db.session.scalar(sa.select(sa.func.count(PromotionEligibility.id))) == 0


def test_the_covering_hr_officer_confirms_and_the_level_rises_in_that_occupation(setup):
    electrician = make_occupation("电工")
    set_level(None, setup.workers[0], electrician, SkillLevel.LEVEL_4, on=utcnow().date(),
              source="recorded")
    finalised(setup)
    entrant = of(setup, 0)
    with pytest.raises(eligibility.PromotionRefused) as refused:
        eligibility.confirm(setup.hr, entrant, document_no=" ")
    assert refused.value.field == "document_no"
    eligibility.confirm(setup.hr, entrant, document_no="苏人社技〔2026〕3号")
    db.session.commit()
    worker = setup.workers[0]
    assert level_in(worker, setup.event.occupation_id) is SkillLevel.LEVEL_2
    assert level_in(worker, electrician.id) is SkillLevel.LEVEL_4  # the other occupation stays
    change = db.session.scalars(sa.select(LevelChange).where(
        LevelChange.worker_id == worker.id, LevelChange.source == "promotion")).one()
    assert (change.from_level, change.to_level, change.document_no) == (
        SkillLevel.LEVEL_3, SkillLevel.LEVEL_2, "苏人社技〔2026〕3号")
    assert entrant.status is EligibilityStatus.CONFIRMED and entrant.decided_at is not None
    with pytest.raises(eligibility.PromotionRefused):
        eligibility.confirm(setup.hr, entrant, document_no="again")
    assert verify_chain()[1] is None and reconcile_promotions() == []


def test_only_those_covering_the_competition_decide(setup, tree):
    finalised(setup)
    entrant = of(setup, 0)
    for user in (setup.elsewhere_hr, setup.organiser, make_organiser(tree.other_city),
                 setup.entrant):
        with pytest.raises(PermissionDenied):
            eligibility.confirm(user, entrant, document_no="x")
    setup.competition.promotion_by_organisers = True
    eligibility.decline(setup.organiser, entrant, reason="岗位年限不足")
    assert entrant.status is EligibilityStatus.DECLINED


def test_declining_needs_a_reason_and_the_worker_and_unit_are_told(setup):
    setup.workers[0].user = make_user("wangdaming")
    unit_organiser = make_organiser(setup.entries[0].unit, "unit_organiser")
    finalised(setup)
    entrant = of(setup, 0)
    with pytest.raises(eligibility.PromotionRefused) as refused:
        eligibility.decline(setup.hr, entrant, reason="")
    assert refused.value.field == "reason"
    eligibility.decline(setup.hr, entrant, reason="岗位年限不足")
    db.session.commit()
    told = set(db.session.scalars(sa.select(Notification.user_id).where(
        Notification.kind == "promotion_decided")))
    assert told == {setup.workers[0].user.id, unit_organiser.id}
    assert reconcile_promotions() == []


def test_an_ineligible_or_expired_eligibility_cannot_be_confirmed(setup):
    finalised(setup)
    with pytest.raises(eligibility.PromotionRefused):
        eligibility.confirm(setup.hr, of(setup, 1), document_no="x")  # level unknown
    entrant = of(setup, 0)
    later = entrant.expires_at + timedelta(minutes=1)
    assert entrant.is_expired(later)
    with pytest.raises(eligibility.PromotionRefused):
        eligibility.confirm(setup.hr, entrant, document_no="x", now=later)
    expired = db.session.scalars(eligibility.eligibilities(
        setup.hr, status="expired", now=later)).all()
    assert entrant in expired


def test_the_certificate_number_is_the_national_22_character_format_for_the_level(setup):
    finalised(setup)
    entrant = of(setup, 0)  # → 技师 (level digit 2)
    for bad in ("Y00003200012326400001", "X000032000123262000001", "Y000032000123263000001"):
        with pytest.raises(eligibility.PromotionRefused) as refused:
            eligibility.confirm(setup.hr, entrant, document_no="文号", certificate_no=bad)
        assert refused.value.field == "certificate_no"
    eligibility.confirm(setup.hr, entrant, document_no="文号")
    eligibility.add_certificate(setup.hr, entrant, "y000032000123262000001")
    assert entrant.certificate_no == "Y000032000123262000001"
    db.session.commit()
    assert reconcile_promotions() == []


def test_a_reopening_flags_decided_ones_and_recomputes_the_rest(setup):
    finalised(setup)
    eligibility.confirm(setup.hr, of(setup, 0), document_no="文号")
    db.session.commit()
    lifecycle.reopen_results(setup.organiser, setup.event, "复核")
    assert of(setup, 0).needs_review
    with pytest.raises(eligibility.PromotionRefused):  # results reopened: wait
        eligibility.confirm(setup.hr, of(setup, 2), document_no="x")
    # entry 2's A1 corrected from 20 to 40: first place (91.00), still eligible, recomputed
    signoff.reopen(setup.chief, setup.event, "更正")
    for sheet in db.session.scalars(sa.select(ScoreSheet).where(
            ScoreSheet.entry_id == setup.entries[2].id)):
        if any(m.criterion_id == setup.a1.id for m in sheet.marks):
            marking.correct_mark(setup.chief, sheet, setup.a1, D(40), "复核")
    signoff.sign_off(setup.chief, setup.event)
    now = utcnow() - timedelta(days=6)
    lifecycle.publish(setup.organiser, setup.event, now=now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    db.session.commit()
    assert of(setup, 2).rank == 1 and of(setup, 2).status is EligibilityStatus.PENDING
    assert of(setup, 0).status is EligibilityStatus.CONFIRMED
    assert reconcile_promotions() == []


def test_team_members_are_assessed_one_by_one(tree):
    setup = MarkingSetup(tree, teams=True).with_results_officials()
    setup.competition.promotion_rules = preset("national_class1_2015").to_json()
    set_level(None, setup.workers[3], setup.event.occupation, SkillLevel.LEVEL_3,
              on=utcnow().date(), source="recorded")
    finalised(setup)
    leader = db.session.scalar(sa.select(PromotionEligibility).where(
        PromotionEligibility.worker_id == setup.workers[3].id))
    partner = db.session.scalar(sa.select(PromotionEligibility).where(
        PromotionEligibility.worker_id == setup.partners[3].id))
    assert leader.eligible and leader.to_level is SkillLevel.LEVEL_2
    assert not partner.eligible and partner.code == ReasonCode.LEVEL_UNKNOWN.value


def test_a_decision_changed_in_the_database_is_reported(setup, as_owner):
    finalised(setup)
    eligibility.confirm(setup.hr, of(setup, 0), document_no="文号")
    db.session.commit()
    as_owner("UPDATE promotion_eligibilities SET to_level = 'level1' WHERE id = :id",
             id=of(setup, 0).id)
    as_owner("UPDATE promotion_eligibilities SET status = 'confirmed', decided_at = :now "
             "WHERE id = :id", id=of(setup, 2).id, now=utcnow())
    problems = reconcile_promotions()
    assert any("to_level" in p for p in problems)
    assert any("never recorded" in p for p in problems)
