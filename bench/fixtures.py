"""Fixtures of the HTTP benchmarks, bulk-inserted (competitions/bulk.py) beside
whatever the database holds: events being marked, with their judges (mark_save), and a
competition open for registration with a thousand workers' accounts (entry_burst).

Each fixture is a city competition of its own area: a provincial union, a city union under
it, enterprises whose workers enter, and a 技师学院 whose teachers judge (so no judge is in
conflict with an entrant). Rows go in in batches; the draw, the marking schemes and the start
of marking go through the services, as an organiser and a chief judge would do them.

Every account shares one password hash, computed once and cheaply (pbkdf2, 1,000 rounds):
signing a thousand accounts in is set-up, not what is measured, and at the default strength
(scrypt, ~170 ms a check on this machine) their logins alone would take a minute and a half
of the two cores.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from competitions.accounts.models import Role, RoleGrant, User
from competitions.bulk import Ids, Writer
from competitions.contests.models import (
    DEFAULT_AWARD_CONFIG,
    Competition,
    CompetitionClass,
    CompetitionState,
    Event,
    EventGroup,
    EventStage,
)
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging import panels, services, signoff
from competitions.judging.models import Aggregation, ComponentKind, CriterionKind
from competitions.organisations.models import Organisation, OrgKind, Ownership, Tier
from competitions.promotion.models import Occupation
from competitions.registration.draw import draw_event
from competitions.registration.models import Entry, EntryMember, EntryStatus, Worker
from competitions.registration.sex import Sex
from competitions.scale.identity import IdNumbers, birth_date_of
from competitions.scale.people import person_name

PASSWORD = "bench-password-1"
PANEL = 3  # judges on each judgement criterion
REGION = "110101"  # the ID numbers' region code (北京市东城区)


@cache
def password_hash() -> str:
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def client_address(n: int) -> str:
    """The n-th simulated person's own address (10.0.0.0/8), sent as X-Forwarded-For."""
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


# --- shared rows ------------------------------------------------------------------------------

@dataclass
class Area:
    city: int
    enterprises: list[int]
    college: int


class Rows:
    """The writers of one fixture, parents before children."""

    def __init__(self, seed: int):
        self.ids, self.rng, self.now = Ids(), random.Random(seed), utcnow()
        self.organisations = Writer(Organisation)
        self.occupations = Writer(Occupation)
        self.users = Writer(User, parents=(self.organisations,))
        self.workers = Writer(Worker, parents=(self.users, self.occupations))
        self.competitions = Writer(Competition, parents=(self.organisations,))
        self.events = Writer(Event, parents=(self.competitions, self.occupations))
        self.entries = Writer(Entry, parents=(self.events, self.workers))
        self.members = Writer(EntryMember, parents=(self.entries,))
        self.grants = Writer(RoleGrant, parents=(self.users, self.events))
        stored = set(db.session.scalars(sa.select(Worker.id_number).where(
            Worker.id_number.startswith(REGION))))
        year = self.now.year
        self.numbers = IdNumbers(datetime(year - 50, 1, 1).date(),
                                 datetime(year - 25, 12, 31).date(), taken=stored)

    def flush(self) -> None:
        for writer in (self.members, self.grants):
            writer.flush()

    def organisation(self, name: str, kind: OrgKind, tier: Tier,
                     parent: tuple[int, str] | None) -> tuple[int, str]:
        org_id = self.ids.one(Organisation.__table__)
        path = f"{parent[1] if parent else '/'}{org_id}/"
        self.organisations.add({
            "id": org_id, "name": name, "kind": kind, "tier": tier,
            "parent_id": parent[0] if parent else None, "path": path, "region_code": None,
            "workforce": None, "workforce_year": None, "industry": None,
            "ownership": Ownership.STATE if kind.employs_workers else None, "size": None,
            "created_at": self.now})
        return org_id, path

    def area(self, label: str, enterprises: int) -> Area:
        province = self.organisation(f"{label}省总工会", OrgKind.UNION, Tier.PROVINCIAL, None)
        city = self.organisation(f"{label}市总工会", OrgKind.UNION, Tier.CITY, province)
        firms = [self.organisation(f"{label}企业{n + 1:03d}有限公司", OrgKind.ENTERPRISE,
                                   Tier.ENTERPRISE, city)[0] for n in range(enterprises)]
        college = self.organisation(f"{label}技师学院", OrgKind.SCHOOL, Tier.ENTERPRISE, city)
        return Area(city[0], firms, college[0])

    def occupation_ids(self, label: str, n: int) -> list[int]:
        ids = self.ids.take(Occupation.__table__, n)
        for k, occupation_id in enumerate(ids):
            self.occupations.add({"id": occupation_id, "name": f"{label}工种{k + 1:03d}",
                                  "has_national_standard": True})
        return ids

    def user(self, username: str, employer_id: int | None) -> int:
        user_id = self.ids.one(User.__table__)
        self.users.add({"id": user_id, "username": username, "email": None, "phone": None,
                        "display_name": person_name(self.rng), "password_hash": password_hash(),
                        "locale": None, "email_notifications": True, "active": True,
                        "employer_id": employer_id, "failed_logins": 0, "locked_until": None,
                        "last_login_at": None, "created_at": self.now})
        return user_id

    def worker(self, employer_id: int, user_id: int | None, occupation_id: int | None) -> int:
        worker_id = self.ids.one(Worker.__table__)
        male = self.rng.random() < 0.6
        number = self.numbers.draw(REGION, male)
        self.workers.add({
            "id": worker_id, "user_id": user_id, "name": person_name(self.rng),
            "id_number": number, "birth_date": birth_date_of(number),
            "sex": Sex.MALE if male else Sex.FEMALE,
            "phone": f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}",
            "email": None, "employer_id": employer_id, "occupation_id": occupation_id,
            "skill_level": None, "skill_certificate_no": None, "group": EventGroup.EMPLOYEE,
            "created_at": self.now, "updated_at": self.now})
        return worker_id

    def grant(self, user_id: int, role: Role, *, organisation_id: int | None = None,
              event_id: int | None = None) -> None:
        self.grants.add({"user_id": user_id, "role": role, "organisation_id": organisation_id,
                         "competition_id": None, "event_id": event_id, "covers_id": None,
                         "granted_by_id": None, "created_at": self.now})

    def competition(self, name: str, organiser_id: int, state: CompetitionState,
                    opens: datetime, starts) -> int:
        competition_id = self.ids.one(Competition.__table__)
        self.competitions.add({
            "id": competition_id, "name": name, "description": None, "year": starts.year,
            "tier": Tier.CITY, "competition_class": CompetitionClass.UNCLASSIFIED,
            "organiser_id": organiser_id, "state": state, "registration_opens_at": opens,
            "registration_closes_at": opens + timedelta(days=3), "starts_on": starts,
            "ends_on": starts + timedelta(days=1), "feeds_id": None, "advance_top_n": 3,
            "award_scheme": "medals_half", "award_config": dict(DEFAULT_AWARD_CONFIG),
            "created_at": opens - timedelta(days=10)})
        return competition_id

    def event(self, competition_id: int, occupation_id: int, *, quota: int | None) -> int:
        event_id = self.ids.one(Event.__table__)
        self.events.add({
            "id": event_id, "competition_id": competition_id, "occupation_id": occupation_id,
            "group": EventGroup.EMPLOYEE, "team_size": 1, "capacity": None,
            "quota_per_org": quota, "min_age": 16, "until_retirement": True,
            "female_retirement_base": 55, "barred_titles": [], "nomination_required": False,
            "stage": EventStage.OPEN, "drawn_at": None, "decrypted_at": None,
            "checkin_at": None, "venue": None, "required_documents": [], "entry_counter": 0})
        return event_id


# --- mark_save: events being marked -----------------------------------------------------------

@dataclass(frozen=True)
class ScoringFixture:
    event_ids: list[int]
    judges: list[tuple[str, int]]  # (username, event id)
    entries: int  # per event; every judge has a sheet for each


def seed_scoring(*, events: int = 10, judges: int = 5, entries: int = 200, criteria: int = 3,
                 seed: int = 18) -> ScoringFixture:
    """`events` drawn events in scoring of `entries` approved entries each, with `judges`
    judges seated so that each marks every entry; flushes, never commits."""
    rows = Rows(seed)
    area = rows.area("评分基准", enterprises=20)
    organiser = rows.user("mark-organiser", area.city)
    rows.grant(organiser, Role.ORGANISER, organisation_id=area.city)
    starts = rows.now.date() + timedelta(days=1)
    competition = rows.competition("评分基准赛", area.city, CompetitionState.REVIEW,
                                   datetime.combine(starts - timedelta(days=30), time(1)),
                                   starts)
    event_ids, panel_of, chiefs, seats = [], {}, {}, []
    for n, occupation_id in enumerate(rows.occupation_ids("评分基准", events)):
        event_id = rows.event(competition, occupation_id, quota=None)
        entry_ids = rows.ids.take(Entry.__table__, entries)
        for k, entry_id in enumerate(entry_ids):
            unit = area.enterprises[k % len(area.enterprises)]
            worker = rows.worker(unit, None, occupation_id)
            rows.entries.add({
                "id": entry_id, "event_id": event_id, "team_name": None, "unit_id": unit,
                "status": EntryStatus.APPROVED, "registered_by_id": organiser,
                "endorsed_by_id": None, "decided_by_id": organiser, "decision_reason": None,
                "entry_number": None, "checkin_code": None, "blind_code": None,
                "created_at": rows.now, "updated_at": rows.now})
            rows.members.add({"entry_id": entry_id, "event_id": event_id, "worker_id": worker,
                              "is_leader": True, "active": True})
        names = [f"mark-judge-{n + 1:02d}-{j + 1}" for j in range(judges)]
        panel_of[event_id] = [rows.user(name, area.college) for name in names]
        for user_id in panel_of[event_id]:
            rows.grant(user_id, Role.JUDGE, event_id=event_id)
        chiefs[event_id] = rows.user(f"mark-chief-{n + 1:02d}", area.college)
        rows.grant(chiefs[event_id], Role.CHIEF_JUDGE, event_id=event_id)
        event_ids.append(event_id)
        seats.extend((name, event_id) for name in names)
    rows.flush()
    actor = db.session.get(User, organiser)
    for event_id in event_ids:
        event = db.session.get(Event, event_id)
        draw_event(actor, event)
        open_marking(actor, db.session.get(User, chiefs[event_id]), event,
                     [db.session.get(User, j) for j in panel_of[event_id]], criteria)
    return ScoringFixture(event_ids, seats, entries)


def open_marking(organiser: User, chief: User, event: Event, judges: list[User],
                 criteria: int) -> int:
    """The event's scheme (one practical component: a measurement criterion marked by one
    judge, then judgement criteria marked by panels of three, seated in turn round the judges
    until every judge has a seat), locked, and marking started. Returns the criteria made."""
    scheme = services.scheme_for(organiser, event)
    practical = services.add_component(organiser, scheme, name="实操",
                                       kind=ComponentKind.PRACTICAL, weight=Decimal(100))
    count = len(judges)
    needed = max(criteria, 1 + -(-(count - 1) // PANEL))
    seat = 0
    for n in range(needed):
        measurement = n == 0
        size = 1 if measurement else PANEL
        criterion = services.add_criterion(
            organiser, practical, code=f"{'M' if measurement else 'J'}{n + 1}",
            description=f"评分项{n + 1}", max_mark=Decimal(40 if measurement else 30),
            kind=CriterionKind.MEASUREMENT if measurement else CriterionKind.JUDGEMENT,
            panel_size=size, aggregation=Aggregation.MEAN)
        panels.set_panel(organiser, criterion, [judges[(seat + j) % count] for j in range(size)])
        seat += size
    signoff.start_marking(chief, event)
    return needed


# --- entry_burst: a competition open for registration -----------------------------------------

@dataclass(frozen=True)
class BurstFixture:
    competition_id: int
    event_ids: list[int]
    quota: int  # entries per unit and event
    workers: list[tuple[str, list[int]]]  # (username, the events they will enter)
    unit_of: dict[str, int]  # username → the unit whose quota their entries use


def seed_registration(*, workers: int = 1000, events: int = 100, units: int = 20,
                      quota: int = 2, picks: int = 3, seed: int = 19) -> BurstFixture:
    """A city competition open for registration now: `events` events with a quota of `quota`
    entries per enterprise, and `workers` workers with accounts spread over `units`
    enterprises, each to enter `picks` events drawn at random; flushes, never commits."""
    rows = Rows(seed)
    area = rows.area("报名基准", enterprises=units)
    organiser = rows.user("burst-organiser", area.city)
    rows.grant(organiser, Role.ORGANISER, organisation_id=area.city)
    opens = rows.now - timedelta(days=1)
    competition = rows.competition("报名基准赛", area.city, CompetitionState.REGISTRATION,
                                   opens, rows.now.date() + timedelta(days=60))
    event_ids = [rows.event(competition, occupation_id, quota=quota)
                 for occupation_id in rows.occupation_ids("报名基准", events)]
    chosen, unit_of = [], {}
    for n in range(workers):
        username = f"burst-worker-{n + 1:04d}"
        unit = area.enterprises[n % units]
        rows.worker(unit, rows.user(username, unit), None)
        chosen.append((username, rows.rng.sample(event_ids, picks)))
        unit_of[username] = unit
    rows.workers.flush()
    rows.flush()
    return BurstFixture(competition, event_ids, quota, chosen, unit_of)
