"""Demo results: last year's Nanjing contest, finalised end to end.

2025年南京市职工职业技能大赛 (welding) was marked, signed off, decrypted and published; an
entrant appealed and the arbitrators dismissed it; the notice ended and the results were
finalised, with medals, a city title approved (another still pending), and its top three
nominated to the provincial contest it feeds. Everything goes through the services, with the
clock moved back so that the notice period has run its course.
"""

import io
from datetime import date, timedelta

from openpyxl import Workbook

from competitions.accounts.models import Role
from competitions.accounts.services import grant_role
from competitions.contests import services as contests
from competitions.database import clock_at
from competitions.demo import judging as demo_judging
from competitions.demo.timeline import NANJING_VENUE, TIMELINE, Timeline
from competitions.judging import score_import, signoff
from competitions.promotion import rules as promotion_rules
from competitions.registration import draw, entries
from competitions.results import honours_rules, lifecycle
from competitions.results.models import TitleAward

LAST_YEAR = TIMELINE.last_year_name


def seed_results(helpers, provincial, password, timeline: Timeline = TIMELINE) -> int:
    """Build and finalise last year's contest, each step on its day of last autumn (the clock
    moved there); return how many entries it had."""
    with clock_at(timeline.last_registered):
        contest, welding, field = _registered(helpers, provincial, timeline)
    with clock_at(timeline.last_marked):
        _marked(helpers, welding, field)
    _published_and_final(helpers, contest, welding, field, timeline)
    return len(field)


def _registered(helpers, provincial, timeline):
    _user, _org, _competition, _workers_of, _register_some = helpers
    nj, nanjing = _user("nj_organiser"), _org("南京市总工会")
    contest = _competition(nj, nanjing, timeline.last_year_name, nanjing.tier,
                           timeline.last_starts, ["焊工"], feeds=provincial,
                           nomination_required=False)
    contest.title_rules, contest.award_scheme = [["city_nengshou", {}]], "medals_half"
    _certificates_signed_by(contest, nanjing, _org("南京市人力资源和社会保障局"))
    contest.promotion_rules = promotion_rules.preset("tianjin_2024_city1").to_json()
    # Long enough that the eligibilities left undecided last autumn still wait today.
    contest.promotion_expiry_days = 480
    contest.notice_hours, contest.appeal_hours = 5 * 24, 2 * 24  # appeals in the first 2 days
    welding = contest.events[0]
    people = _workers_of(nanjing)
    with_login = [w for w in people if w.user_id]
    field = _register_some(nj, welding, with_login[1:3] + people[20:], 10)
    for entry in field:
        entries.decide(nj, entry, approve=True)
    _welding_levels_recorded(field, welding.occupation)
    contests.transition(nj, contest, "close_registration")
    welding.checkin_at, welding.venue = timeline.checkin(contest.starts_on), NANJING_VENUE
    demo_judging.draw_event(nj, welding)
    officer, arbitrator = _user("nj_jiami"), _user("nj_zhongcai")
    grant_role(nj, officer, Role.ENCRYPTION_OFFICER, competition_id=contest.id)
    grant_role(nj, arbitrator, Role.ARBITRATOR, competition_id=contest.id)
    return contest, welding, field


def _marked(helpers, welding, field) -> None:
    _user = helpers[0]
    nj = _user("nj_organiser")
    chief, judges = demo_judging.staff_and_scheme(nj, welding)
    signoff.start_marking(chief, welding)
    demo_judging.mark(welding, judges, drafts=False)
    _import_theory(chief, welding)
    for n, entry in enumerate(sorted(field, key=lambda e: e.blind_code)):
        signoff.record_time(chief, welding, entry, 5400 - 97 * n)
    demo_judging.accept_flags(chief, welding)
    signoff.sign_off(chief, welding)


def _published_and_final(helpers, contest, welding, field, timeline) -> None:
    """Decrypted and published a week after the contest; an appeal on the next day, dismissed
    the day after; final when the notice ended; a title approved and promotions decided in the
    weeks after."""
    _user = helpers[0]
    nj, officer, arbitrator = _user("nj_organiser"), _user("nj_jiami"), _user("nj_zhongcai")
    published_at = timeline.last_published
    with clock_at(published_at - timedelta(hours=2)):
        lifecycle.decrypt(officer, welding, now=published_at - timedelta(hours=2))
    with clock_at(published_at):
        lifecycle.publish(nj, welding, now=published_at)
    appellant = next(m.worker.user for e in field for m in e.members if m.worker.user_id)
    with clock_at(published_at + timedelta(days=1)):
        appeal = lifecycle.file_appeal(appellant, next(e for e in field if any(
            m.worker.user_id == appellant.id for m in e.members)),
            "本人认为焊缝外观成形一项评分偏低，请求复核。", now=published_at + timedelta(days=1))
    with clock_at(published_at + timedelta(days=1, hours=6)):
        lifecycle.decide_appeal(arbitrator, appeal, upheld=False,
                                reason="经调阅评分记录并询问评分裁判，评分符合评分细则，维持原成绩。")
    with clock_at(timeline.last_finalised):
        lifecycle.finalise(nj, welding, now=timeline.last_finalised)
    titles = sorted(welding_titles(welding), key=lambda award: award.rank)
    if titles:
        with clock_at(timeline.last_finalised + timedelta(days=14)):
            honours_rules.decide_title(nj, titles[0], approve=True,
                                       note=f"宁工发〔{timeline.last_year}〕第38号")
    decided = timeline.last_finalised + timedelta(days=20)
    with clock_at(decided):
        _promotions_reviewed(_user("js_hr"), welding, decided, timeline.last_year)


def _welding_levels_recorded(field, occupation) -> None:
    """The entrants' levels in 焊工, from their 职业技能等级证书 (those who hold a level; the
    others' stays unknown, and the assessment says so)."""
    from competitions.accounts.models import SYSTEM
    from competitions.promotion.worker_levels import level_in, set_level

    for entry in field:
        for member in entry.members:
            worker = member.worker
            if worker.skill_level and level_in(worker, occupation.id) is None:
                set_level(SYSTEM, worker, occupation, worker.skill_level,
                          on=date(2024, 6, 30), source="recorded")


def _promotions_reviewed(officer, event, now, year) -> None:
    """The provincial bureau's officer confirmed the first eligible winner's promotion and
    declined one; the rest await review."""
    import sqlalchemy as sa

    from competitions.extensions import db
    from competitions.promotion import eligibility
    from competitions.promotion.models import PromotionEligibility

    eligible = list(db.session.scalars(sa.select(PromotionEligibility).where(
        PromotionEligibility.event_id == event.id, PromotionEligibility.eligible.is_(True))
        .order_by(PromotionEligibility.rank, PromotionEligibility.id)))
    if eligible:
        eligibility.confirm(officer, eligible[0], document_no=f"苏人社技〔{year}〕第17号",
                            now=now)
    if len(eligible) > 1:
        eligibility.decline(officer, eligible[-1],
                            reason="参赛时未在本职业岗位连续工作满规定年限，暂不予晋升。", now=now)


def _certificates_signed_by(contest, *issuers) -> None:
    """The union and the HR bureau that co-organise it sign its certificates, each with its
    seal (uploaded as an organiser would: a transparent PNG)."""
    from dataclasses import replace

    from competitions.accounts.models import SYSTEM
    from competitions.certificates import services as certificates
    from competitions.certificates.models import ImageKind, OrganisationImage
    from competitions.certificates.settings import settings_of
    from competitions.demo.seals import red_seal
    from competitions.extensions import db

    certificates.save_settings(SYSTEM, contest, replace(
        settings_of(contest), issuer_ids=tuple(org.id for org in issuers)))
    for org in issuers:
        if db.session.scalar(db.select(OrganisationImage.id).where(
                OrganisationImage.organisation_id == org.id)) is None:
            certificates.save_image(SYSTEM, org, ImageKind.SEAL, red_seal(400, name=org.name))


def welding_titles(event) -> list[TitleAward]:
    from competitions.extensions import db
    return list(db.session.scalars(db.select(TitleAward).where(TitleAward.event_id == event.id)))


def _import_theory(chief, event) -> None:
    """The exam system's theory scores, uploaded as a spreadsheet like a chief judge would."""
    book = Workbook()
    book.active.append(["加密号", "T1"])
    drawn = sorted(draw.checkin_list(event), key=lambda e: e.blind_code)
    for n, entry in enumerate(drawn):
        book.active.append([entry.blind_code, str(60 + (n * 37) % 39)])
    content = io.BytesIO()
    book.save(content)
    staged = score_import.stage_upload(chief, event, "理论成绩.xlsx", content.getvalue())
    score_import.confirm(chief, staged)
