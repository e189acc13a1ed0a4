"""A million workers for the scale province: names, valid and distinct ID numbers mostly of
their unit's district, occupations their unit runs, levels; no accounts."""

from __future__ import annotations

import random
from array import array
from datetime import date

import sqlalchemy as sa

from competitions.bulk import BATCH, Ids, Writer
from competitions.contests.models import EventGroup
from competitions.database import utcnow
from competitions.extensions import db
from competitions.organisations.models import OrgKind
from competitions.promotion.levels import SkillLevel
from competitions.registration.models import Worker
from competitions.registration.sex import Sex
from competitions.scale.identity import IdNumbers, birth_date_of
from competitions.scale.regions import CITIES, GIVEN, SURNAMES
from competitions.scale.tree import Unit, employing_units

LEVELS = [SkillLevel.LEVEL_5, SkillLevel.LEVEL_4, SkillLevel.LEVEL_3, SkillLevel.LEVEL_2]
ALL_CODES = [code for _city, _code, division in CITIES for _name, code in division]
PROVINCE_PREFIX = CITIES[0][1][:2]


def stored_numbers() -> set[str]:
    """ID numbers of the province already stored (only with --force): never drawn again."""
    return set(db.session.scalars(sa.select(Worker.id_number).where(
        Worker.id_number.startswith(PROVINCE_PREFIX))))


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


class Workforce:
    """The workers' ids in run order (Unit.first indexes it) and their levels: the little the
    entries need to know of each, in arrays rather than a million objects."""

    def __init__(self):
        self.ids = array("q")
        self.levels = array("b")  # index in SkillLevel, -1: none recorded

    def level(self, index: int) -> SkillLevel | None:
        value = self.levels[index]
        return list(SkillLevel)[value] if value >= 0 else None


def write_workers(rng: random.Random, ids: Ids, province: Unit, occupations: dict[str, int],
                  year: int, *, taken: set[str], step=None) -> Workforce:
    numbers = IdNumbers(date(year - 60, 1, 1), date(year - 18, 12, 31), taken=taken,
                        offsets={code: rng.randrange(20_000) for code in ALL_CODES})
    workforce = Workforce()
    writer = Writer(Worker, step)
    fresh: list[int] = []
    now = utcnow()
    levels = list(SkillLevel)
    for unit in employing_units(province):
        group = EventGroup.TEACHER if unit.kind is OrgKind.SCHOOL else EventGroup.EMPLOYEE
        for _ in range(unit.workers):
            if not fresh:
                fresh = ids.take(Worker.__table__, BATCH)[::-1]
            worker_id = fresh.pop()
            male = rng.random() < 0.55
            # Most were issued their card where they work; some came from elsewhere in the province.
            region = rng.choice(unit.districts if rng.random() < 0.7 else ALL_CODES)
            number = numbers.draw(region, male)
            level = rng.choice(LEVELS) if rng.random() < 0.6 else None
            occupation = rng.choice(unit.occupations) if rng.random() < 0.8 else None
            writer.add({"id": worker_id, "user_id": None, "name": person_name(rng),
                        "id_number": number, "birth_date": birth_date_of(number),
                        "sex": Sex.MALE if male else Sex.FEMALE,
                        "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                        "email": None, "employer_id": unit.id,
                        "occupation_id": occupations[occupation] if occupation else None,
                        "skill_level": level if occupation else None,
                        "skill_certificate_no": None, "group": group,
                        "created_at": now, "updated_at": now})
            workforce.ids.append(worker_id)
            workforce.levels.append(levels.index(level) if level and occupation else -1)
    writer.flush()
    return workforce
