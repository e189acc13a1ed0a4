"""Demo competitions: a Nanjing contest feeding a provincial one, drawn in part; Suzhou open.

Everything goes through the services, as an organiser would through the pages, so the audit
log, the notifications and the stage machine hold real history.
"""

from datetime import timedelta

import sqlalchemy as sa

from competitions.accounts.models import Role, User
from competitions.accounts.services import create_user, grant_role
from competitions.contests import services as contests
from competitions.contests.models import Competition, CompetitionClass, EventGroup
from competitions.demo import judging as demo_judging
from competitions.demo.judging import seed_judging
from competitions.demo.results import seed_results
from competitions.demo.timeline import NANJING_VENUE, TIMELINE, Timeline
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.organisations.models import Organisation, Tier
from competitions.promotion.models import Occupation
from competitions.registration import entries
from competitions.registration.models import Worker

# The names carry the year each contest starts in, which depends on the day of loading.
PROVINCIAL, NANJING, SUZHOU = TIMELINE.provincial, TIMELINE.nanjing, TIMELINE.suzhou
ENCRYPTION_OFFICER = ("nj_jiami", "加密裁判 林海")
ARBITRATOR = ("nj_zhongcai", "仲裁 马立群")


def _user(username) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _org(name) -> Organisation:
    return db.session.scalar(sa.select(Organisation).where(Organisation.name == name))


def _occupation(name) -> Occupation:
    return db.session.scalar(sa.select(Occupation).where(Occupation.name == name))


def _competition(actor, organiser, name, tier, starts_on, events, *, feeds=None,
                 nomination_required=None) -> Competition:
    competition = contests.create_competition(
        actor, organiser, name=name, year=starts_on.year, tier=tier,
        competition_class=CompetitionClass.CLASS_1, starts_on=starts_on,
        ends_on=starts_on + timedelta(days=2), feeds=feeds)
    for occupation in events:
        extra = {} if nomination_required is None else {"nomination_required":
                                                         nomination_required}
        contests.add_event(actor, competition, occupation=_occupation(occupation),
                           group=EventGroup.EMPLOYEE, **extra)
    contests.transition(actor, competition, "open_registration")
    return competition


def _workers_of(city: Organisation) -> list[Worker]:
    return list(db.session.scalars(sa.select(Worker).join(Worker.employer).where(
        Organisation.in_subtree(city.path)).order_by(Worker.id)))


def _register_some(actor, event, candidates, count) -> list:
    """Register up to `count` eligible candidates; quota and eligibility refusals skip one."""
    registered = []
    for worker in candidates:
        if len(registered) == count:
            break
        try:
            registered.append(entries.register(actor, event, [worker]))
        except DomainError:
            continue
    return registered


def seed_competitions(created: dict, password: str, timeline: Timeline = TIMELINE) -> None:
    if db.session.scalar(sa.select(Competition.id).where(Competition.name == timeline.nanjing)):
        return
    province, nanjing, suzhou = _org("江苏省总工会"), _org("南京市总工会"), _org("苏州市总工会")
    js, nj, sz = _user("js_organiser"), _user("nj_organiser"), _user("sz_organiser")
    provincial = _competition(js, province, timeline.provincial, Tier.PROVINCIAL,
                              timeline.provincial_starts, ["焊工", "电工"])
    city = _competition(nj, nanjing, timeline.nanjing, Tier.CITY, timeline.city_starts,
                        ["焊工", "电工"], feeds=provincial, nomination_required=False)
    welding, electrical = city.events
    people = _workers_of(nanjing)
    workers_with_login = [w for w in people if w.user_id]
    # Welding: a full field, all approved, then drawn.
    welders = _register_some(nj, welding, workers_with_login[:1] + people, 8)
    for entry in welders:
        entries.decide(nj, entry, approve=True)
    # Electrical: one entry in each state, for the pages to show.
    left = [w for w in people if all(m.worker_id != w.id for e in welders for m in e.members)]
    own = [w for w in workers_with_login if w in left][:1]
    pending_endorsement = _register_some(own[0].user, electrical, own, 1) if own else []
    others = _register_some(nj, electrical, [w for w in left if w not in own], 4)
    if len(others) == 4:
        entries.decide(nj, others[1], approve=True)
        entries.decide(nj, others[2], approve=False, reason="未按要求提交技能等级证书复印件")
        entries.withdraw(nj, others[3], reason="本人因工作安排申请退赛")
    contests.transition(nj, city, "close_registration")
    welding.checkin_at, welding.venue = timeline.checkin(city.starts_on), NANJING_VENUE
    demo_judging.draw_event(nj, welding)
    officer = create_user(None, username=ENCRYPTION_OFFICER[0], password=password,
                          display_name=ENCRYPTION_OFFICER[1])
    grant_role(nj, officer, Role.ENCRYPTION_OFFICER, competition_id=city.id)
    arbitrator = create_user(None, username=ARBITRATOR[0], password=password,
                             display_name=ARBITRATOR[1])
    grant_role(nj, arbitrator, Role.ARBITRATOR, competition_id=city.id)
    seed_judging(timeline.nanjing)
    last_year = seed_results((_user, _org, _competition, _workers_of, _register_some),
                             provincial, password, timeline)
    # Suzhou: open for registration, no nomination needed; a few entries waiting.
    open_city = _competition(sz, suzhou, timeline.suzhou, Tier.CITY, timeline.suzhou_starts,
                             ["电工", "焊工"], nomination_required=False)
    # One entry per employer, so that quota is left for the workers who log in themselves.
    one_each = {}
    for worker in _workers_of(suzhou):
        if not worker.user_id:
            one_each.setdefault(worker.employer_id, worker)
    _register_some(sz, open_city.events[0], list(one_each.values()), 3)
    created["competitions"] = 4
    created["entries"] = len(welders) + len(pending_endorsement) + len(others) + 3 + last_year
