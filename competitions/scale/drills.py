"""Enterprise drills (岗位练兵、技术比武) for the scale province: each year about one employing
unit in eight records one, most naming their winners, some only counting participants."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from competitions.bulk import Ids, Writer
from competitions.contests.models import Drill, DrillPlace
from competitions.scale.people import Workforce
from competitions.scale.tree import Unit, employing_units

DRILL_SHARE = 0.12  # of employing units, each year
NAMED_SHARE = 0.65  # of drills: the winners are named


class Drills:
    def __init__(self, rng: random.Random, ids: Ids, province: Unit, workforce: Workforce,
                 occupations: dict[str, int]):
        self.rng, self.ids, self.province = rng, ids, province
        self.workforce, self.occupations = workforce, occupations
        self.drills = Writer(Drill)
        self.places = Writer(DrillPlace, parents=(self.drills,))

    def write_year(self, year: int) -> None:
        rng = self.rng
        for unit in employing_units(self.province):
            if rng.random() >= DRILL_SHARE:
                continue
            occupation = rng.choice(unit.occupations)
            held = date(year, 3, 1) + timedelta(days=rng.randrange(270))
            named = rng.sample(range(unit.first, unit.first + unit.workers),
                               min(unit.workers, rng.randint(1, 3))
                               ) if rng.random() < NAMED_SHARE else []
            drill_id = self.ids.one(Drill.__table__)
            kind = rng.choice(("岗位练兵", "技术比武"))
            self.drills.add({"id": drill_id, "organisation_id": unit.id,
                             "occupation_id": self.occupations[occupation],
                             "name": f"{year}年{occupation}{kind}", "held_on": held,
                             "participants": max(len(named), rng.randint(
                                 3, max(3, min(300, unit.workforce or unit.workers)))),
                             "recorded_by_id": None,
                             "created_at": datetime.combine(held, time(8)) + timedelta(days=3)})
            for place, index in enumerate(named, 1):
                self.places.add({"drill_id": drill_id, "worker_id": self.workforce.ids[index],
                                 "place": place})

    def flush(self) -> None:
        self.places.flush()
