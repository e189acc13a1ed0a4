"""Three years of competitions for the scale province: each year a district contest in every
district, a city contest in every city feeding the provincial one, and the provincial contest
whose entrants are the cities' nominees; entries with their members and statuses, published
results with awards, titles for the winners and confirmed promotions."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from competitions.bulk import Ids, Writer
from competitions.contests.models import (
    DEFAULT_AWARD_CONFIG,
    Competition,
    CompetitionState,
    Event,
    EventGroup,
    EventStage,
)
from competitions.organisations.models import Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, PromotionEligibility
from competitions.registration.models import (
    Entry,
    EntryMember,
    EntryStatus,
    Nomination,
    WorkerTitle,
)
from competitions.results.award_plans import AwardConfig, plan_awards
from competitions.results.honours import HonourTitle
from competitions.results.models import Result, TitleAward, TitleState
from competitions.scale.people import Workforce
from competitions.scale.tree import Unit, walk

STATUSES = [(EntryStatus.APPROVED, 88), (EntryStatus.WITHDRAWN, 6), (EntryStatus.REJECTED, 6)]
CITY_SHARE = 0.45  # of a year's entries; the province has the nominees, the districts the rest
CITY_EVENTS, DISTRICT_EVENTS, PROVINCE_EVENTS = 8, 3, 10
ADVANCE = 3  # the top three of a city event go on to the provincial one
TITLES = {Tier.PROVINCIAL: (HonourTitle.PROVINCIAL_TECHNICAL_EXPERT, "provincial_nengshou"),
          Tier.CITY: (HonourTitle.CITY_TECHNICAL_EXPERT, "city_nengshou")}


@dataclass
class Ranked:
    """An approved entry, ranked, as its competition's follow-ups need it."""

    entry_id: int
    worker_index: int
    rank: int
    awards: tuple[str, ...]


@dataclass
class Contests:
    """Writes the competitions of the seed's years; the writers' counts are the summary's."""

    rng: random.Random
    ids: Ids
    province: Unit
    workforce: Workforce
    occupations: dict[str, int]
    step: object = None
    titled: set[tuple[int, HonourTitle]] = field(default_factory=set)

    def __post_init__(self):
        self.competitions = Writer(Competition)
        self.events = Writer(Event, parents=(self.competitions,))
        self.entries = Writer(Entry, self.step, parents=(self.events,))
        self.members = Writer(EntryMember, parents=(self.entries,))
        self.results = Writer(Result, parents=(self.entries,))
        self.nominations = Writer(Nomination, parents=(self.events,))
        self.titles = Writer(TitleAward, parents=(self.events,))
        self.worker_titles = Writer(WorkerTitle)
        self.promotions = Writer(PromotionEligibility, parents=(self.entries,))
        self.award_config = AwardConfig.from_json(DEFAULT_AWARD_CONFIG)
        self.cities = self.province.children
        self.districts = [d for city in self.cities for d in city.children
                          if not d.kind.employs_workers]

    def write_year(self, year: int, budget: int) -> None:
        rng = self.rng
        before = self.entries.added
        pool = sorted({o for unit in walk(self.province) for o in unit.occupations})
        provincial = self._competition(self.province, year, date(year, 9, 1), 60)
        provincial_events = {o: self._event(provincial, o, nominated=True)
                             for o in rng.sample(pool, min(PROVINCE_EVENTS, len(pool)))}
        nominees: dict[str, list[tuple[int, Unit, int]]] = {o: [] for o in provincial_events}
        for city in self.cities:
            competition = self._competition(city, year, date(year, 4, 1), 90,
                                            feeds=provincial)
            own = sorted({o for unit in walk(city) for o in unit.occupations})
            chosen = rng.sample(sorted(provincial_events), min(6, len(provincial_events)))
            chosen += rng.sample(sorted(set(own) - set(chosen)),
                                 min(CITY_EVENTS - len(chosen), len(set(own) - set(chosen))))
            share = budget * CITY_SHARE * city.workers / self.province.workers / len(chosen)
            for occupation in chosen:
                event = self._event(competition, occupation)
                ranked = self._entries(event, city, self._round(share))
                self._honour(competition, event, Tier.CITY, ranked)
                if occupation in nominees:
                    nominees[occupation] += [(r.worker_index, city, competition["id"])
                                             for r in ranked if r.rank <= ADVANCE]
        # The districts take what the cities and the nominees leave of the year's entries.
        left = budget - (self.entries.added - before) - sum(map(len, nominees.values()))
        in_districts = sum(district.workers for district in self.districts)
        for district in self.districts:
            competition = self._competition(district, year, date(year, 3, 1), 45)
            own = sorted({o for unit in walk(district) for o in unit.occupations})
            share = max(0, left) * district.workers / in_districts
            chosen = rng.sample(own, min(DISTRICT_EVENTS, len(own)))
            for occupation in chosen:
                event = self._event(competition, occupation)
                self._entries(event, district, self._round(share / len(chosen)))
        for occupation, event in provincial_events.items():
            ranked = self._nominated(event, provincial, nominees[occupation])
            self._honour(provincial, event, Tier.PROVINCIAL, ranked)

    def flush(self) -> None:
        for writer in (self.competitions, self.events, self.entries, self.members, self.results,
                       self.nominations, self.titles, self.worker_titles, self.promotions):
            writer.flush()

    # --- rows --------------------------------------------------------------------------------

    def _round(self, x: float) -> int:
        """Rounded up with probability its fraction, so small shares still add up."""
        whole = int(x)
        return whole + (self.rng.random() < x - whole)

    def _competition(self, organiser: Unit, year: int, earliest: date, spread: int,
                     feeds: dict | None = None) -> dict:
        starts = earliest + timedelta(days=self.rng.randrange(spread))
        opens = datetime.combine(starts - timedelta(days=40), time(1))
        row = {"id": self.ids.one(Competition.__table__),
               "name": f"{year}年{organiser.name.removesuffix('总工会')}职工职业技能大赛",
               "year": year, "tier": organiser.tier, "organiser_id": organiser.id,
               "state": CompetitionState.FINAL, "registration_opens_at": opens,
               "registration_closes_at": opens + timedelta(days=20), "starts_on": starts,
               "ends_on": starts + timedelta(days=2),
               "feeds_id": feeds["id"] if feeds else None, "advance_top_n": ADVANCE,
               "award_scheme": "medals_half", "award_config": dict(DEFAULT_AWARD_CONFIG),
               "created_at": opens - timedelta(days=10)}
        self.competitions.add(row)
        return row

    def _event(self, competition: dict, occupation: str, *, nominated: bool = False) -> dict:
        done = datetime.combine(competition["ends_on"], time(10))
        row = {"id": self.ids.one(Event.__table__), "competition_id": competition["id"],
               "occupation_id": self.occupations[occupation], "group": EventGroup.EMPLOYEE,
               "team_size": 1, "quota_per_org": None, "min_age": 16, "until_retirement": True,
               "female_retirement_base": 55, "barred_titles": [],
               "nomination_required": nominated, "stage": EventStage.FINAL,
               "drawn_at": done - timedelta(days=5), "decrypted_at": done,
               "notice_ends_at": done + timedelta(days=5),
               "appeals_close_at": done + timedelta(days=5),
               "finalised_at": done + timedelta(days=6), "entry_counter": 0}
        row["_competition"] = competition  # not a column: dropped before the insert
        self.events.add({k: v for k, v in row.items() if not k.startswith("_")})
        return row

    def _entries(self, event: dict, organiser: Unit, n: int) -> list[Ranked]:
        """n distinct workers of the organiser's subtree; each enters through the organiser's
        child that holds them (a district union, or an enterprise right under the organiser)."""
        n = min(n, organiser.workers)
        picked = self.rng.sample(range(organiser.first, organiser.first + organiser.workers), n)
        return self._enter(event, [(i, _child_holding(organiser, i)) for i in picked])

    def _nominated(self, event: dict, competition: dict,
                   nominees: list[tuple[int, Unit, int]]) -> list[Ranked]:
        made = datetime.combine(competition["starts_on"], time(2)) - timedelta(days=45)
        for index, city, source in nominees:
            self.nominations.add({"event_id": event["id"], "worker_id": self.workforce.ids[index],
                                  "nominated_by_id": city.id, "source_competition_id": source,
                                  "note": None, "created_at": made})
        return self._enter(event, [(index, city) for index, city, _source in nominees],
                           nominated=True)

    def _enter(self, event: dict, entrants: list[tuple[int, Unit]], *,
               nominated: bool = False) -> list[Ranked]:
        rng = self.rng
        competition = event["_competition"]
        registered = competition["registration_opens_at"] + timedelta(days=3)
        statuses = [s for s, _w in STATUSES]
        weights = [w for _s, w in STATUSES]
        entry_ids = self.ids.take(Entry.__table__, len(entrants))
        approved = []
        for number, ((index, unit), entry_id) in enumerate(zip(entrants, entry_ids,
                                                                 strict=True), 1):
            status = EntryStatus.APPROVED if nominated else rng.choices(statuses, weights)[0]
            self.entries.add({
                "id": entry_id, "event_id": event["id"], "team_name": None, "unit_id": unit.id,
                "status": status, "decision_reason": "不符合参赛条件"
                if status is EntryStatus.REJECTED else None,
                "entry_number": f"{number:04d}", "created_at": registered,
                "updated_at": registered + timedelta(days=10)})
            self.members.add({"entry_id": entry_id, "event_id": event["id"],
                              "worker_id": self.workforce.ids[index], "is_leader": True,
                              "active": status.is_active})
            if status is EntryStatus.APPROVED:
                approved.append((entry_id, index))
        return self._publish(event, approved)

    def _publish(self, event: dict, approved: list[tuple[int, int]]) -> list[Ranked]:
        """Results for the approved entries: ranked by total, ties sharing the better rank,
        awards by the medals_half preset."""
        scored = []
        for entry_id, index in approved:
            theory = Decimal(self.rng.uniform(55, 99)).quantize(Decimal("0.0001"))
            practical = Decimal(self.rng.uniform(50, 99)).quantize(Decimal("0.0001"))
            total = (theory * Decimal("0.3") + practical * Decimal("0.7")).quantize(
                Decimal("0.01"))
            scored.append((total, entry_id, index, theory, practical))
        scored.sort(key=lambda s: (-s[0], s[1]))
        ranks, ranked = [], []
        for position, (total, *_rest) in enumerate(scored, 1):
            ranks.append(ranks[-1] if ranks and scored[position - 2][0] == total else position)
        plan = plan_awards([(s[1], r) for s, r in zip(scored, ranks, strict=True)],
                           self.award_config) if scored else None
        computed = event["decrypted_at"]
        for (total, entry_id, index, theory, practical), rank in zip(scored, ranks, strict=True):
            awards = tuple(a.value for a in plan.awards[entry_id])
            self.results.add({"event_id": event["id"], "entry_id": entry_id, "version": 1,
                              "rank": rank, "total": total, "theory": theory,
                              "practical": practical, "components": [],
                              "penalties": Decimal(0), "time_used": None,
                              "standardised": int(total * 10), "awards": list(awards),
                              "computed_at": computed})
            ranked.append(Ranked(entry_id, index, rank, awards))
        return ranked

    def _honour(self, competition: dict, event: dict, tier: Tier, ranked: list[Ranked]) -> None:
        """The winner is titled; the top three are promoted a level, where they hold one."""
        title, rule = TITLES[tier]
        decided = event["finalised_at"] + timedelta(days=20)
        levels = list(SkillLevel)
        for r in ranked:
            worker_id = self.workforce.ids[r.worker_index]
            if r.rank == 1 and (worker_id, title) not in self.titled:
                self.titled.add((worker_id, title))
                self.titles.add({"competition_id": competition["id"], "event_id": event["id"],
                                 "worker_id": worker_id, "title": title, "rule": rule,
                                 "rank": 1, "state": TitleState.APPROVED, "decided_at": decided,
                                 "note": None, "created_at": event["finalised_at"]})
                self.worker_titles.add({"worker_id": worker_id, "title": title,
                                        "year": competition["year"]})
            level = self.workforce.level(r.worker_index)
            if r.rank <= ADVANCE and level is not None and level is not SkillLevel.LEVEL_1:
                self.promotions.add({
                    "competition_id": competition["id"], "event_id": event["id"],
                    "entry_id": r.entry_id, "worker_id": worker_id,
                    "occupation_id": event["occupation_id"], "rule_name": "scale",
                    "rule_version": 1, "code": "eligible", "eligible": True,
                    "from_level": level, "to_level": levels[levels.index(level) + 1],
                    "band": None, "reason": "竞赛成绩优异，晋升一级（规模测试数据）",
                    "rank": r.rank, "awards": list(r.awards),
                    "status": EligibilityStatus.CONFIRMED, "needs_review": False,
                    "computed_at": event["finalised_at"], "decided_at": decided})


def _child_holding(organiser: Unit, index: int) -> Unit:
    """The organiser's child whose run holds worker `index` (runs are in tree order)."""
    starts = [child.first for child in organiser.children]
    return organiser.children[bisect.bisect_right(starts, index) - 1]
