"""The evaluation's measures (issue 17) on a small hand-built tree, every answer worked out here.

The tree (2027 unless said), under 南京市总工会 (city) beside 苏州市总工会 (other_city):

    city ─ 南京钢铁集团 firm   state, C, large, 1000 workers: w1 w2 w5 w6 w8
         ─ 玄武区总工会 district ─ 玄武民营公司 private  private, C, medium, 200: w3 w4
         ─ 金陵外资公司 foreign   foreign, I, small, 100 (nobody entered)
         ─ 南京技师学院 school    a school, workforce not recorded: w7
    other_city ─ 苏州电气公司 other_firm  state, D, 500: w9

    city competition (CITY): events A (焊工) and B (电工); provincial competition (PROVINCIAL,
    organised by the province): event P; a 2026 city competition: event O.
    w1  A, B and P (twice in a year, two tiers); gold and first prize in A (version 2; version 1
        had a silver); a named place in the firm's drill
    w2  A; an approved title (and a pending one, not counted)
    w3  A; nominated from the city competition to P; excellence award in P
    w4  B, withdrawn
    w5  A; a confirmed promotion to level 3 (and a declined one, not counted)
    w6  a named place in the firm's drill
    w7  A (a school's worker)
    w8  O only (2026)
    w9  P; bronze
    drills: the firm's, 30 participants with w1 and w6 named; the private firm's, 12 and no
    names; the other city's firm's, 5 and no names; a 2026 drill of the firm, 50.
"""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from competitions.contests.models import Drill, DrillPlace
from competitions.evaluation.measures import Filters, Rate, UnitRef, evaluate, trend
from competitions.extensions import db
from competitions.organisations.models import EnterpriseSize, OrgKind, Ownership, Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, PromotionEligibility
from competitions.registration.models import EntryStatus, Nomination
from competitions.results.honours import HonourTitle
from competitions.results.models import Result, TitleAward, TitleState
from tests.factories import (
    make_competition,
    make_enterprise,
    make_entry,
    make_event,
    make_occupation,
    make_org,
    make_worker,
)


def profile(org, workforce=None, industry=None, ownership=None, size=None):
    org.workforce, org.industry, org.ownership, org.size = workforce, industry, ownership, size
    return org


def result(entry, awards, version=1, rank=1):
    db.session.add(Result(event_id=entry.event_id, entry_id=entry.id, version=version, rank=rank,
                          total=Decimal("90"), standardised=rank, awards=awards))


def drill(org, participants, named=(), held_on=date(2027, 5, 1)):
    record = Drill(organisation_id=org.id, occupation_id=make_occupation().id, name="岗位练兵",
                   held_on=held_on, participants=participants)
    record.places = [DrillPlace(worker_id=w.id, place=i + 1) for i, w in enumerate(named)]
    db.session.add(record)


class World:
    def __init__(self, tree):
        self.tree = tree
        city = tree.city
        self.district = make_org("玄武区总工会", parent=city, tier=Tier.DISTRICT)
        self.firm = profile(tree.firm, 1000, "C", Ownership.STATE, EnterpriseSize.LARGE)
        self.private = profile(make_enterprise(self.district, "玄武民营公司"), 200, "C",
                               Ownership.PRIVATE, EnterpriseSize.MEDIUM)
        self.foreign = profile(make_enterprise(city, "金陵外资公司"), 100, "I", Ownership.FOREIGN,
                               EnterpriseSize.SMALL)
        self.school = make_org("南京技师学院", parent=city, kind=OrgKind.SCHOOL,
                               tier=Tier.ENTERPRISE)
        self.other_firm = profile(tree.other_firm, 500, "D", Ownership.STATE)
        w = {n: make_worker(employer, name=f"工人{n}") for n, employer in [
            (1, self.firm), (2, self.firm), (3, self.private), (4, self.private),
            (5, self.firm), (6, self.firm), (7, self.school), (8, self.firm),
            (9, self.other_firm)]}
        self.w = w

        city_games = make_competition(city, tier=Tier.CITY, starts_on=date(2027, 3, 15))
        a, b = make_event(city_games, "焊工"), make_event(city_games, "电工")
        province_games = make_competition(tree.province, name="2027年江苏省职工职业技能大赛",
                                          tier=Tier.PROVINCIAL, starts_on=date(2027, 9, 1))
        p = make_event(province_games, "焊工")
        last_year = make_competition(city, name="2026年南京市职工职业技能大赛", tier=Tier.CITY,
                                     starts_on=date(2026, 4, 1))
        o = make_event(last_year, "焊工")

        w1_a = make_entry(a, w[1])
        make_entry(b, w[1])
        make_entry(p, w[1])
        w2_a = make_entry(a, w[2])
        make_entry(a, w[3])
        w3_p = make_entry(p, w[3])
        make_entry(b, w[4], status=EntryStatus.WITHDRAWN)
        w5_a = make_entry(a, w[5])
        make_entry(a, w[7])
        make_entry(o, w[8])
        w9_p = make_entry(p, w[9])

        result(w1_a, ["silver"], version=1)
        result(w1_a, ["first_prize", "gold"], version=2)
        result(w2_a, [], version=2, rank=5)
        result(w3_p, ["excellence"], rank=4)
        result(w9_p, ["bronze"], rank=3)
        for worker, title, state in ((w[2], HonourTitle.CITY_TECHNICAL_EXPERT, TitleState.APPROVED),
                                     (w[5], HonourTitle.TECHNICAL_CHAMPION, TitleState.PENDING)):
            db.session.add(TitleAward(competition_id=city_games.id, event_id=a.id,
                                      worker_id=worker.id, title=title, rule="city_expert",
                                      rank=1, state=state))
        db.session.add(Nomination(event_id=p.id, worker_id=w[3].id,
                                  source_competition_id=city_games.id))
        for entry, worker, status in ((w5_a, w[5], EligibilityStatus.CONFIRMED),
                                      (w2_a, w[2], EligibilityStatus.DECLINED)):
            db.session.add(PromotionEligibility(
                competition_id=city_games.id, event_id=a.id, entry_id=entry.id,
                worker_id=worker.id, occupation_id=a.occupation_id, rule_name="jiangsu",
                rule_version=1, code="eligible", eligible=True, from_level=SkillLevel.LEVEL_4,
                to_level=SkillLevel.LEVEL_3, reason="获奖晋级", rank=2, status=status))

        drill(self.firm, 30, named=[w[1], w[6]])
        drill(self.private, 12)
        drill(self.other_firm, 5)
        drill(self.firm, 50, held_on=date(2026, 6, 1))
        db.session.commit()


@pytest.fixture
def world(tree):
    return World(tree)


def figures(rows):
    return {row.key: (row.workforce, row.participants, row.beneficiaries) for row in rows}


def test_city_figures(world):
    e = evaluate(world.tree.city, 2027)
    assert e.organisation == UnitRef(world.tree.city.id, "南京市总工会")
    assert e.workforce == 1300  # the school has none recorded: listed, not guessed
    assert e.units_without_workforce == [UnitRef(world.school.id, "南京技师学院")]
    assert e.units_without_workforce_count == 1
    # w1 entered A, B and P (two tiers): once; w4 withdrew; w8 entered in 2026
    assert e.entrants == 5
    assert e.entries == 8  # w1 3, w2 1, w3 2, w5 1, w7 1
    assert e.named_participants == 6  # the entrants and w6, named in the firm's drill
    assert e.drills == 2
    assert e.unnamed_drill_participants == 28 + 12  # the firm's 30 less its 2 named; 12
    assert e.participation == Rate(46, 1300)
    assert e.participation.percent == Decimal("3.54")
    # w1 award, w2 title, w3 nomination and award, w5 promotion; not w9 (other city)
    assert e.beneficiaries == 4
    assert e.benefit == Rate(4, 1300)
    assert e.benefit_of_participants == Rate(4, 6)
    assert (e.enterprises, e.enterprises_entered) == (3, 2)
    assert (e.non_public_enterprises, e.non_public_entered) == (2, 1)
    assert e.never_entered == [UnitRef(world.foreign.id, "金陵外资公司")]
    assert e.competitions_by_tier == {Tier.CITY: 1}  # the provincial one is the province's
    assert e.events_by_tier == {Tier.CITY: 2}
    assert e.outcomes.awards == 3  # gold and first prize (current version); excellence
    assert e.outcomes.titles == 1
    assert e.outcomes.promotions == {SkillLevel.LEVEL_3: 1}
    assert (e.outcomes.nominations_sent, e.outcomes.nominees_awarded) == (1, 1)


def test_city_breakdowns_add_up(world):
    e = evaluate(world.tree.city, 2027)
    district, firm, foreign, school = world.district, world.firm, world.foreign, world.school
    assert [row.key for row in e.by_child] == [str(org.id) for org in sorted(
        [district, firm, foreign, school], key=lambda org: org.name)]
    assert figures(e.by_child) == {str(district.id): (200, 1, 1), str(firm.id): (1000, 4, 3),
                                   str(foreign.id): (100, 0, 0), str(school.id): (0, 1, 0)}
    for rows in (e.by_child, e.by_industry, e.by_ownership, e.by_size):
        assert sum(r.workforce for r in rows) == e.workforce
        assert sum(r.participants for r in rows) == e.named_participants
        assert sum(r.beneficiaries for r in rows) == e.beneficiaries
    assert figures(e.by_industry) == {"C": (1200, 5, 4), "I": (100, 0, 0),
                                      "unrecorded": (0, 1, 0)}
    assert [row.key for row in e.by_ownership] == ["state", "private", "foreign", "unrecorded"]
    assert figures(e.by_size) == {"large": (1000, 4, 3), "medium": (200, 1, 1),
                                  "small": (100, 0, 0), "unrecorded": (0, 1, 0)}
    assert e.by_industry[0].label.startswith("C ")
    assert e.by_child[0].participation == Rate(e.by_child[0].participants,
                                               e.by_child[0].workforce)


def test_province_counts_both_cities(world):
    e = evaluate(world.tree.province, 2027)
    assert e.workforce == 1800
    assert (e.entrants, e.named_participants, e.beneficiaries) == (6, 7, 5)
    assert e.unnamed_drill_participants == 45
    assert e.competitions_by_tier == {Tier.CITY: 1, Tier.PROVINCIAL: 1}
    assert (e.enterprises, e.enterprises_entered) == (4, 3)
    assert e.outcomes.awards == 4
    assert figures(e.by_child) == {str(world.tree.city.id): (1300, 6, 4),
                                   str(world.tree.other_city.id): (500, 1, 1)}


def test_sibling_sees_only_its_own_subtree(world):
    e = evaluate(world.tree.other_city, 2027)
    assert (e.workforce, e.entrants, e.entries, e.named_participants) == (500, 1, 1, 1)
    assert (e.beneficiaries, e.drills, e.unnamed_drill_participants) == (1, 1, 5)
    assert e.outcomes.awards == 1 and e.outcomes.titles == 0
    assert e.outcomes.nominations_sent == 0 and e.outcomes.promotions == {}
    assert e.competitions_by_tier == {} and e.units_without_workforce == []


def test_another_year_counts_only_its_own(world):
    e = evaluate(world.tree.city, 2026)
    assert (e.entrants, e.entries, e.named_participants) == (1, 1, 1)  # w8
    assert (e.drills, e.unnamed_drill_participants) == (1, 50)
    assert e.beneficiaries == 0 and e.outcomes.awards == 0
    assert e.competitions_by_tier == {Tier.CITY: 1}
    assert e.enterprises_entered == 1


def test_filter_by_tier(world):
    city = evaluate(world.tree.city, 2027, Filters(tier=Tier.CITY))
    assert (city.entrants, city.entries, city.named_participants) == (5, 6, 5)
    assert (city.drills, city.unnamed_drill_participants) == (0, 0)  # drills: enterprise tier
    assert city.beneficiaries == 4  # w3's nomination came from the city competition
    assert city.outcomes.awards == 2
    assert (city.outcomes.nominations_sent, city.outcomes.nominees_awarded) == (1, 1)

    provincial = evaluate(world.tree.city, 2027, Filters(tier=Tier.PROVINCIAL))
    assert (provincial.entrants, provincial.named_participants) == (2, 2)  # w1, w3
    assert provincial.beneficiaries == 1  # w3's excellence award; w1 won at the city tier
    assert provincial.competitions_by_tier == {}
    assert provincial.outcomes.titles == 0 and provincial.outcomes.promotions == {}

    drills = evaluate(world.tree.city, 2027, Filters(tier=Tier.ENTERPRISE))
    assert (drills.entrants, drills.named_participants) == (0, 2)  # w1, w6 by name
    assert (drills.drills, drills.unnamed_drill_participants) == (2, 40)
    assert drills.enterprises_entered == 0


def test_filter_by_ownership(world):
    private = evaluate(world.tree.city, 2027, Filters(ownership=Ownership.PRIVATE))
    assert private.workforce == 200 and private.units_without_workforce == []
    assert (private.entrants, private.entries, private.named_participants) == (1, 2, 1)
    assert (private.drills, private.unnamed_drill_participants) == (1, 12)
    assert private.beneficiaries == 1 and private.outcomes.awards == 1
    assert (private.enterprises, private.enterprises_entered) == (1, 1)
    assert private.non_public_coverage == Rate(1, 1)
    # only the city competition's event A had a private firm's live entrant (w4 withdrew in B)
    assert private.competitions_by_tier == {Tier.CITY: 1}
    assert private.events_by_tier == {Tier.CITY: 1}
    assert figures(private.by_child)[str(world.district.id)] == (200, 1, 1)
    assert figures(private.by_child)[str(world.firm.id)] == (0, 0, 0)

    foreign = evaluate(world.tree.city, 2027, Filters(ownership=Ownership.FOREIGN))
    assert foreign.coverage == Rate(0, 1) and foreign.coverage.percent == Decimal("0.00")
    assert foreign.never_entered == [UnitRef(world.foreign.id, "金陵外资公司")]
    assert foreign.competitions_by_tier == {}


def test_filter_by_industry_and_size(world):
    e = evaluate(world.tree.province, 2027, Filters(industry="C", size=EnterpriseSize.LARGE))
    assert (e.workforce, e.named_participants, e.beneficiaries) == (1000, 4, 3)
    assert e.unnamed_drill_participants == 28


def test_trend(world):
    points = trend(world.tree.city, [2026, 2027])
    assert [p.year for p in points] == [2026, 2027]
    assert points[0].participation == Rate(1 + 50, 1300)
    assert points[0].benefit == Rate(0, 1300) and points[0].coverage == Rate(1, 3)
    assert points[1].participation == Rate(46, 1300)
    assert points[1].benefit == Rate(4, 1300) and points[1].coverage == Rate(2, 3)


def test_no_workforce_no_rate(world):
    e = evaluate(world.school, 2027)
    assert e.workforce == 0 and e.participation.percent is None
    assert e.named_participants == 1 and e.by_child == []


def count_statements(organisation, year=2027):
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    organisation.path, organisation.name  # noqa: B018 — loaded before counting
    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        evaluate(organisation, year)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    return len(statements)


def test_statement_count_does_not_grow_with_the_subtree(world):
    small = count_statements(world.tree.other_city)
    city_games = make_competition(world.tree.other_city, tier=Tier.CITY,
                                  name="2027年苏州市职工职业技能大赛")
    event = make_event(city_games, "焊工")
    for i in range(12):
        firm = profile(make_enterprise(world.tree.other_city, f"苏州企业{i}"), 50 + i, "C",
                       Ownership.PRIVATE, EnterpriseSize.SMALL)
        for _ in range(2):
            make_entry(event, make_worker(firm))
        drill(firm, 10)
    db.session.commit()
    assert evaluate(world.tree.other_city, 2027).entrants == 1 + 24
    assert count_statements(world.tree.other_city) == small
    assert small <= 10


def test_lists_stop_at_the_limit_but_counts_stay_exact(world, monkeypatch):
    from competitions.evaluation import queries
    monkeypatch.setattr(queries, "LIST_LIMIT", 1)
    second = profile(make_enterprise(world.tree.city, "南京A厂"), 10)
    db.session.commit()
    e = evaluate(world.tree.city, 2027)
    assert e.never_entered == [UnitRef(second.id, "南京A厂")]  # "南京A厂" sorts before "金陵…"
    assert e.enterprises - e.enterprises_entered == 2
    assert figures(e.by_child)[str(second.id)] == (10, 0, 0)
    assert e.workforce == 1310
