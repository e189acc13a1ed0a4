"""The scale province's organisation tree: a provincial union, its 13 city unions, their 96
district unions, and the employing units (enterprises and a few schools) beneath them, each
with workforce, industry, ownership and size; and how many workers each unit employs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from competitions.bulk import Ids, Writer
from competitions.database import utcnow
from competitions.organisations.models import EnterpriseSize, Organisation, OrgKind, Ownership, Tier
from competitions.scale.regions import BRANDS, CITIES, INDUSTRIES, PROVINCE, SCHOOL_OCCUPATIONS

OWNERSHIPS = [(Ownership.PRIVATE, 58), (Ownership.STATE, 12), (Ownership.COLLECTIVE, 4),
              (Ownership.FOREIGN, 16), (Ownership.OTHER, 10)]
SCHOOL_SHARE = 0.03  # of employing units
UNDER_CITY_SHARE = 0.05  # employing units directly under a city union (its largest employers)
NOT_RECORDED_SHARE = 0.03  # units whose workforce nobody has entered: listed, never guessed
DISTRICTS = sum(len(division) for _city, _code, division in CITIES)
UNIONS = 1 + len(CITIES) + DISTRICTS


@dataclass
class Unit:
    """One organisation as planned; `first` and `workers` place its workers (or, for a union,
    its subtree's) in the seed's list of worker ids, where every subtree is one run."""

    id: int
    name: str
    kind: OrgKind
    tier: Tier
    parent: Unit | None
    region_code: str | None
    city: int = -1  # index in CITIES
    districts: tuple[str, ...] = ()  # region codes its workers' ID numbers mostly carry
    occupations: tuple[str, ...] = ()
    workers: int = 0
    first: int = 0
    workforce: int | None = None
    industry: str | None = None
    ownership: Ownership | None = None
    size: EnterpriseSize | None = None
    children: list[Unit] = field(default_factory=list)

    @property
    def path(self) -> str:
        return (self.parent.path if self.parent else "/") + f"{self.id}/"


def size_of(workforce: int) -> EnterpriseSize:
    """By headcount alone, as the industrial thresholds put it (大 ≥ 1000, 中 ≥ 300, 小 ≥ 20)."""
    if workforce >= 1000:
        return EnterpriseSize.LARGE
    if workforce >= 300:
        return EnterpriseSize.MEDIUM
    return EnterpriseSize.SMALL if workforce >= 20 else EnterpriseSize.MICRO


def organisation_count(workers: int) -> int:
    """About a hundred workers a unit, 10,000 organisations at most, every district at least one
    employing unit."""
    return max(UNIONS + DISTRICTS, min(10_000, workers // 100))


def plan_tree(rng: random.Random, ids: Ids, *, workers: int) -> Unit:
    """The whole tree, ids drawn, workers shared out; nothing written yet."""
    total = organisation_count(workers)
    employers = total - UNIONS
    if workers < employers:
        raise ValueError(f"{workers} workers cannot staff {employers} employing units")
    org_ids = iter(ids.take(Organisation.__table__, total))
    province = Unit(next(org_ids), f"{PROVINCE[0]}总工会", OrgKind.UNION, Tier.PROVINCIAL, None,
                    PROVINCE[1])
    districts: list[Unit] = []
    for index, (city_name, city_code, division) in enumerate(CITIES):
        city = Unit(next(org_ids), f"{city_name}总工会", OrgKind.UNION, Tier.CITY, province,
                    city_code, city=index, districts=tuple(code for _n, code in division))
        province.children.append(city)
        for name, code in division:
            district = Unit(next(org_ids), f"{city_name}{name}总工会", OrgKind.UNION,
                            Tier.DISTRICT, city, code, city=index, districts=(code,))
            city.children.append(district)
            districts.append(district)
    # Every district gets one employing unit, the rest go by weight; a few sit under a city.
    weights = [rng.lognormvariate(0, 0.6) for _ in districts]
    extra = rng.choices(districts, weights, k=employers - len(districts))
    parents = districts + [p.parent if rng.random() < UNDER_CITY_SHARE else p for p in extra]
    names: set[str] = set()
    for parent in parents:
        unit = _employing_unit(rng, next(org_ids), parent, names)
        parent.children.append(unit)
    _share_out(rng, province, workers)
    return province


def _employing_unit(rng: random.Random, unit_id: int, parent: Unit, names: set[str]) -> Unit:
    city_name = CITIES[parent.city][0].removesuffix("市")
    if rng.random() < SCHOOL_SHARE:
        kind, industry, occupations = OrgKind.SCHOOL, "P", SCHOOL_OCCUPATIONS
        stem = f"{city_name}{rng.choice(BRANDS)}" + rng.choice(("职业技术学校", "技师学院",
                                                               "高级技工学校"))
        ownership = Ownership.STATE
    else:
        kind = OrgKind.ENTERPRISE
        letters = list(INDUSTRIES)
        industry = rng.choices(letters, [INDUSTRIES[x][0] for x in letters])[0]
        _weight, words, occupations = INDUSTRIES[industry]
        stem = f"{city_name}{rng.choice(BRANDS)}{rng.choice(words)}" + rng.choice(
            ("有限公司", "有限公司", "股份有限公司", "集团有限公司"))
        ownership = rng.choices([o for o, _w in OWNERSHIPS], [w for _o, w in OWNERSHIPS])[0]
    name, n = stem, 1
    while name in names:  # names need not be unique, but a reader tells units apart by them
        n += 1
        name = stem.replace("有限公司", f"第{n}分公司") if "公司" in stem else f"{stem}{n}分校"
    names.add(name)
    picked = tuple(rng.sample(occupations, min(len(occupations), rng.randint(2, 4))))
    # Region codes stay on the unions: a unit's is its nearest ancestor's (region_of).
    return Unit(unit_id, name, kind, Tier.ENTERPRISE, parent, None,
                city=parent.city, districts=parent.districts, occupations=picked,
                industry=industry, ownership=ownership)


def employing_units(unit: Unit):
    """The subtree's employing units in tree order (the order their workers are numbered)."""
    for child in unit.children:
        if child.kind.employs_workers:
            yield child
        else:
            yield from employing_units(child)


def _share_out(rng: random.Random, province: Unit, workers: int) -> None:
    """Workers to units by a heavy-tailed weight (a few large employers, many small ones),
    every unit at least one; then each union's run is its subtree's."""
    units = list(employing_units(province))
    weights = [rng.lognormvariate(0, 1.2) for _ in units]
    spare = workers - len(units)
    scale = spare / sum(weights)
    shares = [int(w * scale) for w in weights]
    by_fraction = sorted(range(len(units)), key=lambda i: weights[i] * scale - shares[i],
                         reverse=True)
    for i in by_fraction[:spare - sum(shares)]:
        shares[i] += 1
    for unit, share in zip(units, shares, strict=True):
        unit.workers = 1 + share
        if rng.random() >= NOT_RECORDED_SHARE:
            # The workforce counts everyone employed; not all of them are on the platform.
            unit.workforce = round(unit.workers * rng.uniform(1.0, 1.6))
            unit.size = size_of(unit.workforce)
    _number_runs(province, 0)


def _number_runs(unit: Unit, first: int) -> int:
    """Give each unit its run [first, first + workers) in tree order; return the run's end."""
    unit.first = first
    if unit.kind.employs_workers:
        return first + unit.workers
    end = first
    for child in unit.children:
        end = _number_runs(child, end)
    unit.workers = end - first
    return end


def walk(unit: Unit):
    """Parents before children: the order rows can be inserted in."""
    level = [unit]
    while level:
        yield from level
        level = [child for parent in level for child in parent.children]


def write_tree(province: Unit, year: int, step=None) -> int:
    """Insert every organisation; recorded workforces are counted in `year`."""
    writer = Writer(Organisation, step)
    now = utcnow()
    for unit in walk(province):
        writer.add({"id": unit.id, "name": unit.name, "kind": unit.kind, "tier": unit.tier,
                    "parent_id": unit.parent.id if unit.parent else None, "path": unit.path,
                    "region_code": unit.region_code, "workforce": unit.workforce,
                    "workforce_year": year if unit.workforce is not None else None,
                    "industry": unit.industry, "ownership": unit.ownership, "size": unit.size,
                    "created_at": now})
    writer.flush()
    return writer.count
