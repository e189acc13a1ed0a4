"""Factory helpers with keyword defaults: make_org(parent=city), make_worker(employer=firm)."""

import io
import itertools
from datetime import date, timedelta

import sqlalchemy as sa
from openpyxl import Workbook
from stdnum.cn import ric

from competitions.accounts.models import SYSTEM, Role, RoleGrant, User
from competitions.audit.services import record
from competitions.contests.models import Competition, CompetitionState, Event, EventGroup
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.promotion.models import Occupation
from competitions.registration.idcard import parse_id_number
from competitions.registration.models import Entry, EntryMember, EntryStatus, Worker
from competitions.registration.services import worker_snapshot

PASSWORD = "secret123"
_counter = itertools.count(1)


def valid_id_number(birth: date | None = None, serial: int | None = None,
                    region: str = "320102", male: bool = True) -> str:
    """A resident ID number with a correct check digit (region 320102: 南京市玄武区).

    Numbers with a serial a test chose are born on 1990-05-17; numbers drawn from the counter
    a day later, so a test's chosen number never meets one the factories drew."""
    if birth is None:
        birth = date(1990, 5, 17) if serial is not None else date(1990, 5, 18)
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
    # As the services do: `flask audit verify` reports a worker the log never recorded.
    record(SYSTEM, "worker.create", worker, after=worker_snapshot(worker))
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


class MarkingSetup:
    """A drawn city event ready for marking (DESIGN.md §4): theory 30 % imported (T1), practical
    70 % of a measurement (A1, one judge) and a judgement (B1, a panel of 3).

    Judges: `conflicted` works for 南京钢铁集团 like two of the four entrants; `judge2` and
    `judge3` work elsewhere; `reserve` sits fourth on B1's panel and steps in for `conflicted`.
    """

    def __init__(self, tree, *, start=True, teams=False):
        from decimal import Decimal as D

        from competitions.judging import panels, services, signoff
        from competitions.judging.models import Aggregation, ComponentKind, CriterionKind
        from competitions.registration.draw import draw_event

        self.tree = tree
        self.organiser = make_organiser(tree.city, f"organiser{next(_counter)}")
        self.competition = make_competition(tree.city, state=CompetitionState.REVIEW)
        self.event = make_event(self.competition, team_size=2 if teams else 1)
        self.steel_rolling = make_enterprise(tree.firm, "南钢轧钢厂")
        self.elsewhere = [make_enterprise(tree.city, f"南京企业{i}") for i in range(3)]
        employers = [tree.firm, self.steel_rolling, self.elsewhere[0], self.elsewhere[1]]
        names = ["王大明", "李小红", "赵志强", "陈美玲"]
        self.workers = [make_worker(unit, name=name, phone=f"1391234567{i}")
                        for i, (unit, name) in enumerate(zip(employers, names, strict=True))]
        if teams:  # each entrant leads a pair with a workmate from the same unit
            self.partners = [make_worker(w.employer, name=f"{w.name[0]}伙伴{i}",
                                         phone=f"1381234567{i}")
                             for i, w in enumerate(self.workers)]
            self.entries = [make_entry(self.event, team=[w, p])
                            for w, p in zip(self.workers, self.partners, strict=True)]
        else:
            self.entries = [make_entry(self.event, w) for w in self.workers]
        draw_event(self.organiser, self.event)

        def official(role, username, employer):
            user = make_user(username, display_name=f"{username}裁判", employer=employer)
            db.session.add(RoleGrant(user=user, role=role, event_id=self.event.id))
            db.session.flush()
            return user

        n = next(_counter)
        self.chief = official(Role.CHIEF_JUDGE, f"chief{n}", self.elsewhere[2])
        self.conflicted = official(Role.JUDGE, f"conflicted{n}", tree.firm)
        self.judge2 = official(Role.JUDGE, f"judgetwo{n}", self.elsewhere[2])
        self.judge3 = official(Role.JUDGE, f"judgethree{n}", tree.other_firm)
        self.reserve = official(Role.JUDGE, f"reserve{n}", tree.other_firm)

        self.scheme = services.scheme_for(self.organiser, self.event)
        theory = services.add_component(self.organiser, self.scheme, name="理论",
                                        kind=ComponentKind.THEORY, weight=D(30))
        practical = services.add_component(self.organiser, self.scheme, name="实操",
                                           kind=ComponentKind.PRACTICAL, weight=D(70))
        self.t1 = services.add_criterion(self.organiser, theory, code="T1", description="理论考试",
                                         max_mark=D(100), kind=CriterionKind.IMPORTED)
        self.a1 = services.add_criterion(self.organiser, practical, code="A1",
                                         description="尺寸精度", max_mark=D(40),
                                         kind=CriterionKind.MEASUREMENT)
        self.b1 = services.add_criterion(self.organiser, practical, code="B1",
                                         description="焊缝外观", max_mark=D(60),
                                         kind=CriterionKind.JUDGEMENT, panel_size=3,
                                         aggregation=Aggregation.MEAN)
        panels.set_panel(self.organiser, self.a1, [self.judge2])
        panels.set_panel(self.organiser, self.b1,
                         [self.conflicted, self.judge2, self.judge3, self.reserve])
        if start:
            signoff.start_marking(self.chief, self.event)
        db.session.flush()

    def code(self, index: int) -> str:
        return self.entries[index].blind_code

    def with_results_officials(self):
        """An encryption officer and an arbitrator of the competition, and a login for the
        second entrant (李小红) so that they can appeal."""
        self.officer, self.arbitrator = make_user("jiami"), make_user("zhongcai")
        for user, role in ((self.officer, Role.ENCRYPTION_OFFICER),
                           (self.arbitrator, Role.ARBITRATOR)):
            db.session.add(RoleGrant(user=user, role=role, competition_id=self.competition.id))
        self.entrant = make_user("entrant")
        self.workers[1].user = self.entrant
        db.session.flush()
        return self

    def finish(self, a1, b1, t1, *, sign=True):
        """Every judge submits; entry i gets A1 a1[i] and B1 b1[i] from each of its panel, and
        the theory score t1[i] (imported through the service); then the chief judge signs off."""
        from decimal import Decimal as D

        from competitions.judging import marking, score_import, signoff

        index = {entry.blind_code: i for i, entry in enumerate(self.entries)}
        for judge in (self.conflicted, self.judge2, self.judge3, self.reserve):
            for work in marking.judge_work(judge, self.event):
                i = index[work.blind_code]
                values = {c.id: D(a1[i]) if c.id == self.a1.id else D(b1[i])
                          for c in work.criteria}
                marking.save_sheet(judge, self.event, work.blind_code, values,
                                   version=work.version, submit=True)
        content = make_xlsx(["加密号", "T1"], [[entry.blind_code, str(score)]
                                              for entry, score in zip(self.entries, t1,
                                                                      strict=True)])
        staged = score_import.stage_upload(self.chief, self.event, "theory.xlsx", content)
        score_import.confirm(self.chief, staged)
        if sign:
            signoff.sign_off(self.chief, self.event)
        db.session.flush()


def make_xlsx(header, rows) -> bytes:
    """A workbook as an uploaded file would be: one sheet, a header row, then `rows`."""
    workbook = Workbook()
    workbook.active.append(list(header))
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
