"""Factory helpers with keyword defaults: make_org(parent=city), make_worker(employer=firm)."""

import itertools
from datetime import date, timedelta

import sqlalchemy as sa
from stdnum.cn import ric

from competitions.accounts.models import Role, RoleGrant, User
from competitions.contests.models import Competition, CompetitionState, Event, EventGroup
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.promotion.models import Occupation
from competitions.registration.idcard import parse_id_number
from competitions.registration.models import Entry, EntryMember, EntryStatus, Worker

PASSWORD = "secret123"
_counter = itertools.count(1)


def valid_id_number(birth: date = date(1990, 5, 17), serial: int | None = None,
                    region: str = "320102", male: bool = True) -> str:
    """A resident ID number with a correct check digit (region 320102: 南京市玄武区)."""
    serial = next(_counter) % 500 if serial is None else serial
    order = serial * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{order % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_org(name=None, *, parent=None, kind=None, tier=None) -> Organisation:
    """Insert directly (no service, no audit) so tests set up trees cheaply."""
    if tier is None:
        tier = parent.tier if parent is not None else Tier.NATIONAL
    if kind is None:
        kind = OrgKind.UNION
    org = Organisation(name=name or f"单位{next(_counter)}", kind=kind, tier=tier, parent=parent)
    db.session.add(org)
    db.session.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    db.session.flush()
    return org


def make_enterprise(parent, name=None) -> Organisation:
    return make_org(name, parent=parent, kind=OrgKind.ENTERPRISE, tier=Tier.ENTERPRISE)


def make_user(username=None, *, password=PASSWORD, display_name=None, roles=(),
              organisation=None, **kwargs) -> User:
    username = username or f"user{next(_counter)}"
    user = User(username=username, display_name=display_name or username, **kwargs)
    user.set_password(password)
    db.session.add(user)
    for role in roles:
        db.session.add(RoleGrant(user=user, role=role,
                                 organisation=organisation if role is not Role.ADMIN else None))
    db.session.flush()
    return user


def make_admin(username="admin") -> User:
    return make_user(username, roles=[Role.ADMIN])


def make_organiser(organisation, username=None) -> User:
    return make_user(username, roles=[Role.ORGANISER], organisation=organisation)


def make_worker(employer, *, name="张三明", user=None, id_number=None, phone="13812345678",
                **kwargs) -> Worker:
    identity = parse_id_number(id_number or valid_id_number())
    worker = Worker(name=name, id_number=identity.number, birth_date=identity.birth_date,
                    sex=identity.sex, phone=phone, employer=employer, user=user, **kwargs)
    db.session.add(worker)
    db.session.flush()
    return worker


class Tree:
    """A small realistic tree: national → province → two cities → enterprises in each."""

    def __init__(self):
        self.national = make_org("中华全国总工会", tier=Tier.NATIONAL)
        self.province = make_org("江苏省总工会", parent=self.national, tier=Tier.PROVINCIAL)
        self.city = make_org("南京市总工会", parent=self.province, tier=Tier.CITY)
        self.other_city = make_org("苏州市总工会", parent=self.province, tier=Tier.CITY)
        self.firm = make_enterprise(self.city, "南京钢铁集团")
        self.other_firm = make_enterprise(self.other_city, "苏州电气公司")


def make_occupation(name="焊工"):
    occupation = db.session.scalar(sa.select(Occupation).where(Occupation.name == name))
    if occupation is None:
        occupation = Occupation(name=name)
        db.session.add(occupation)
        db.session.flush()
    return occupation


def make_competition(organiser, *, name="2026年南京市职工职业技能大赛", tier=None,
                     state=CompetitionState.REGISTRATION, starts_on=date(2027, 3, 15),
                     **kwargs) -> Competition:
    """Inserted directly, already in `state` (taking registrations by default), no date window."""
    kwargs.setdefault("ends_on", starts_on + timedelta(days=2) if starts_on else None)
    competition = Competition(name=name, year=(starts_on or date.today()).year,
                              tier=tier or organiser.tier, organiser=organiser, state=state,
                              starts_on=starts_on, **kwargs)
    db.session.add(competition)
    db.session.flush()
    return competition


def make_event(competition, occupation="焊工", *, group=EventGroup.EMPLOYEE, **kwargs) -> Event:
    """An individual event with the usual settings: 16 to retirement, quota 3, no capacity."""
    values = {"team_size": 1, "quota_per_org": 3, "min_age": 16, "until_retirement": True,
              "female_retirement_base": 55, "barred_titles": [], "nomination_required": False}
    values.update(kwargs)
    if isinstance(occupation, str):
        occupation = make_occupation(occupation)
    event = Event(competition=competition, occupation=occupation, group=group, **values)
    db.session.add(event)
    db.session.flush()
    return event


def make_entry(event, worker=None, *, status=EntryStatus.APPROVED, unit=None,
               team=None) -> Entry:
    """An entry inserted directly (no service); a team when `team` lists its workers."""
    workers = team or [worker]
    entry = Entry(event=event, unit=unit or workers[0].employer, status=status,
                  team_name="第一队" if team else None)
    entry.members = [EntryMember(event_id=event.id, worker=w, is_leader=(i == 0),
                                 active=status.is_active) for i, w in enumerate(workers)]
    db.session.add(entry)
    db.session.flush()
    return entry
