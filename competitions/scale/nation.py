"""The national seed's organisations and people: 中华全国总工会 and the 31 provincial unions
under it, each with enterprises and schools whose workers enter and a 技师学院 whose teachers
judge; the entrants' worker profiles, each with an account; and the officials' accounts.

No account gets a password hash: hashing is the slow part of creating one (scrypt, ~50 ms),
and a benchmark signs in only the few it needs, through one-time links (scale/links.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from competitions.accounts.models import User
from competitions.bulk import Ids, Writer
from competitions.contests.models import EventGroup
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Ownership, Tier
from competitions.promotion.levels import SkillLevel
from competitions.registration.models import Worker
from competitions.registration.sex import Sex
from competitions.scale.identity import IdNumbers, birth_date_of
from competitions.scale.judged import Entrant
from competitions.scale.people import person_name
from competitions.scale.provinces import NATIONAL_UNION, PROVINCES
from competitions.scale.regions import BRANDS, INDUSTRIES
from competitions.scale.tree import OWNERSHIPS, size_of

ENTERPRISES, SCHOOLS = 8, 2  # per province: where its entrants work
# Not a hash: werkzeug's check_password_hash never matches it, so no password signs in.
NO_PASSWORD = "!"
LEVELS = {EventGroup.EMPLOYEE: (SkillLevel.LEVEL_3, SkillLevel.LEVEL_2),
          EventGroup.STUDENT: (SkillLevel.LEVEL_4, SkillLevel.LEVEL_3),
          EventGroup.TEACHER: (SkillLevel.LEVEL_2, SkillLevel.LEVEL_1)}


@dataclass
class Province:
    id: int
    short: str
    codes: tuple[str, ...]
    weight: int
    enterprises: list[int] = field(default_factory=list)
    schools: list[int] = field(default_factory=list)
    college: int = 0  # the 技师学院 whose teachers judge; no entrant works there


@dataclass
class Nation:
    root: int
    provinces: list[Province]
    organisations: int


def write_nation(rng: random.Random, ids: Ids, year: int, now: datetime) -> Nation:
    """Insert the national tree (a new root beside whatever the database holds)."""
    writer = Writer(Organisation)
    root = ids.one(Organisation.__table__)
    writer.add(_org(root, NATIONAL_UNION, OrgKind.UNION, Tier.NATIONAL, None, now))
    names: set[str] = set()
    provinces = []
    for name, short, code, counties, population in PROVINCES:
        province = Province(ids.one(Organisation.__table__), short, counties, population)
        writer.add(_org(province.id, f"{name}总工会", OrgKind.UNION, Tier.PROVINCIAL,
                        (root, f"/{root}/"), now, region_code=code))
        parent = (province.id, f"/{root}/{province.id}/")
        for _ in range(ENTERPRISES):
            unit = ids.one(Organisation.__table__)
            letters = list(INDUSTRIES)
            industry = rng.choices(letters, [INDUSTRIES[x][0] for x in letters])[0]
            stem = f"{short}{rng.choice(BRANDS)}{rng.choice(INDUSTRIES[industry][1])}"
            ownership = rng.choices([o for o, _w in OWNERSHIPS], [w for _o, w in OWNERSHIPS])[0]
            suffix = rng.choice(("有限公司", "股份有限公司", "集团有限公司"))
            writer.add(_org(unit, _unique(stem + suffix, names), OrgKind.ENTERPRISE,
                            Tier.ENTERPRISE, parent, now, industry=industry,
                            ownership=ownership, workforce=int(rng.lognormvariate(7.5, 1)),
                            year=year))
            province.enterprises.append(unit)
        for _ in range(SCHOOLS):
            unit = ids.one(Organisation.__table__)
            writer.add(_org(unit, _unique(f"{short}{rng.choice(BRANDS)}高级技工学校", names),
                            OrgKind.SCHOOL, Tier.ENTERPRISE, parent, now, industry="P",
                            ownership=Ownership.STATE, workforce=rng.randint(150, 600),
                            year=year))
            province.schools.append(unit)
        province.college = ids.one(Organisation.__table__)
        writer.add(_org(province.college, f"{short}技师学院", OrgKind.SCHOOL, Tier.ENTERPRISE,
                        parent, now, industry="P", ownership=Ownership.STATE,
                        workforce=rng.randint(300, 900), year=year))
        provinces.append(province)
    writer.flush()
    return Nation(root, provinces, writer.count)


def _unique(name: str, names: set[str]) -> str:
    stem, n = name, 1
    while name in names:
        n += 1
        name = f"{stem}（{n}）"
    names.add(name)
    return name


def _org(org_id: int, name: str, kind: OrgKind, tier: Tier, parent: tuple[int, str] | None,
         now: datetime, *, region_code: str | None = None, industry: str | None = None,
         ownership: Ownership | None = None, workforce: int | None = None,
         year: int | None = None) -> dict:
    """`parent`: its (id, path)."""
    return {"id": org_id, "name": name, "kind": kind, "tier": tier,
            "parent_id": parent[0] if parent else None,
            "path": f"{parent[1] if parent else '/'}{org_id}/", "region_code": region_code,
            "workforce": workforce, "workforce_year": year if workforce is not None else None,
            "industry": industry, "ownership": ownership,
            "size": size_of(workforce) if workforce is not None else None, "created_at": now}


class People:
    """Writes the entrants (a worker profile and an account each) and the officials'
    accounts. With `check_stored`, drawn ID numbers already stored (a database seeded before,
    --force) are drawn again, a thousand checked at a time."""

    def __init__(self, rng: random.Random, ids: Ids, nation: Nation, year: int, now: datetime,
                 *, check_stored: bool = False):
        self.rng, self.ids, self.nation, self.now = rng, ids, nation, now
        self.check_stored = check_stored
        self.users = Writer(User)
        self.workers = Writer(Worker, parents=(self.users,))
        self.weights = [p.weight for p in nation.provinces]
        # Disjoint birth ranges, so that the two never draw the same number.
        self.numbers = {EventGroup.STUDENT: IdNumbers(date(year - 22, 1, 1),
                                                      date(year - 17, 12, 31)),
                        EventGroup.EMPLOYEE: IdNumbers(date(year - 58, 1, 1),
                                                       date(year - 23, 12, 31))}

    def entrants(self, n: int, group: EventGroup, occupation_id: int) -> list[Entrant]:
        """n new workers of `group`, their provinces weighted by population: employees work
        for its enterprises, students and teachers at its schools; each enters through their
        provincial union."""
        rng = self.rng
        provinces = rng.choices(self.nation.provinces, self.weights, k=n)
        sexes = [rng.random() < 0.6 for _ in provinces]
        numbers = self._numbers(group, [(rng.choice(p.codes), male)
                                        for p, male in zip(provinces, sexes, strict=True)])
        worker_ids = self.ids.take(Worker.__table__, n)
        entrants = []
        for province, male, number, worker_id in zip(provinces, sexes, numbers, worker_ids,
                                                     strict=True):
            employer = rng.choice(province.enterprises if group is EventGroup.EMPLOYEE
                                  else province.schools)
            name = person_name(rng)
            user_id = self._user("worker", name, None)
            level = rng.choice(LEVELS[group])
            self.workers.add({
                "id": worker_id, "user_id": user_id, "name": name, "id_number": number,
                "birth_date": birth_date_of(number), "sex": Sex.MALE if male else Sex.FEMALE,
                "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}", "email": None,
                "employer_id": employer, "occupation_id": occupation_id, "skill_level": level,
                "skill_certificate_no": None, "group": group, "created_at": self.now,
                "updated_at": self.now})
            entrants.append(Entrant(worker_id, province.id, employer))
        return entrants

    def official(self, role: str, employer_id: int | None) -> int:
        """An official's account (username "<role>-<id>"); returns its id."""
        return self._user(role, person_name(self.rng), employer_id)

    def judges(self, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """n judges from the colleges of n different provinces, and their units."""
        colleges = [p.college for p in self.rng.sample(self.nation.provinces, n)]
        return tuple(self.official("judge", c) for c in colleges), tuple(colleges)

    def _user(self, role: str, name: str, employer_id: int | None) -> int:
        user_id = self.ids.one(User.__table__)
        self.users.add({"id": user_id, "username": f"{role}-{user_id}", "email": None,
                        "phone": None, "display_name": name, "password_hash": NO_PASSWORD,
                        "locale": None, "email_notifications": True, "active": True,
                        "employer_id": employer_id, "failed_logins": 0, "locked_until": None,
                        "last_login_at": None, "created_at": self.now})
        return user_id

    def _numbers(self, group: EventGroup, wanted: list[tuple[str, bool]]) -> list[str]:
        numbers = self.numbers[EventGroup.STUDENT if group is EventGroup.STUDENT
                               else EventGroup.EMPLOYEE]
        drawn = [numbers.draw(region, male) for region, male in wanted]
        while self.check_stored:
            stored = set()
            for start in range(0, len(drawn), 1000):
                stored.update(db.session.scalars(sa.select(Worker.id_number).where(
                    Worker.id_number.in_(drawn[start:start + 1000]))))
            if not stored:
                break
            drawn = [numbers.draw(region, male) if number in stored else number
                     for number, (region, male) in zip(drawn, wanted, strict=True)]
        return drawn

