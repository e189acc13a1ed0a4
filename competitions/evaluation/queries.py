"""The aggregate queries behind the evaluation's measures (measures.py states what they count).

Every query reads the subtree by one range of organisations.path and employers by a subquery of
those organisations' ids, and returns grouped counts: no row per worker reaches Python. The
costly step is finding the employer of each of the year's entrants (a join with the workers);
each statement does it once, in a CTE its parts share, and an evaluation runs two such
statements (the cells with the totals, and the enterprises that never entered), a trend one
for all its years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from competitions.contests.models import Competition, CompetitionState, Drill, DrillPlace, Event
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Ownership, Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, PromotionEligibility
from competitions.registration.models import Entry, EntryMember, EntryStatus, Nomination, Worker
from competitions.results.models import Result, TitleAward, TitleState

if TYPE_CHECKING:
    from competitions.evaluation.measures import Filters

LIST_LIMIT = 200  # names listed of never-entered enterprises and units without a workforce
ACTIVE = [status for status in EntryStatus if status.is_active]
EMPLOYING = [kind for kind in OrgKind if kind.employs_workers]
NON_PUBLIC = [ownership for ownership in Ownership if ownership.is_non_public]
CELL = ("child", "industry", "ownership", "size")  # the columns every grouped query returns


class _strpos(FunctionElement):
    """The 1-based position of a substring (0: absent): instr() on SQLite, strpos() on
    PostgreSQL."""

    type = sa.Integer()
    inherit_cache = True


@compiles(_strpos)
def _strpos_default(element, compiler, **kw):
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_strpos, "postgresql")
def _strpos_postgresql(element, compiler, **kw):
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _year_of(column) -> sa.ColumnElement[int]:
    return sa.cast(sa.extract("year", column), sa.Integer)


def _count_if(*conditions) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0))


class Scope:
    """The SQL pieces shared by the queries: the subtree, the years and the filters. Every
    people query returns (worker_id, employer_id, year, …), employers in the units only."""

    def __init__(self, organisation: Organisation, years: list[int], filters: Filters):
        self.root, self.years, self.filters = organisation, sorted(set(years)), filters
        self.unit_filtered = any((filters.industry, filters.ownership, filters.size))
        self.drills_count = filters.tier in (None, Tier.ENTERPRISE)

    def units(self) -> list[sa.ColumnElement[bool]]:
        """The subtree's organisations that match the filters (one range scan on the path)."""
        conditions = [Organisation.in_subtree(self.root.path)]
        if self.filters.industry is not None:
            conditions.append(Organisation.industry == self.filters.industry)
        if self.filters.ownership is not None:
            conditions.append(Organisation.ownership == self.filters.ownership)
        if self.filters.size is not None:
            conditions.append(Organisation.size == self.filters.size)
        return conditions

    def unit_ids(self) -> sa.Select:
        return sa.select(Organisation.id).where(*self.units())

    def cell(self) -> list[sa.ColumnElement]:
        """The child of the root whose subtree holds the unit (its id as text: the path segment
        after the root's; NULL for the root itself), and the unit's industry, ownership, size."""
        rest = sa.func.substr(Organisation.path, len(self.root.path) + 1)
        child = sa.case((Organisation.id == self.root.id, sa.null()),
                        else_=sa.func.substr(rest, 1, _strpos(rest, "/") - 1))
        return [child.label("child"), Organisation.industry, Organisation.ownership,
                Organisation.size]

    def _in_years(self, column) -> sa.ColumnElement[bool]:
        return sa.or_(*(sa.and_(column >= date(year, 1, 1), column < date(year + 1, 1, 1))
                        for year in self.years))

    def competitions(self) -> sa.Subquery:
        """The competitions of the years (by their first day; by their year when it is not
        set) and the filtered tier: (id, year)."""
        year = sa.case((Competition.starts_on.is_(None), Competition.year),
                       else_=_year_of(Competition.starts_on))
        query = sa.select(Competition.id, year.label("year")).where(sa.or_(
            self._in_years(Competition.starts_on),
            sa.and_(Competition.starts_on.is_(None), Competition.year.in_(self.years))))
        if self.filters.tier is not None:
            query = query.where(Competition.tier == self.filters.tier)
        return query.subquery()

    def members(self) -> sa.Select:
        """Entry members in live entries: (worker_id, employer_id, year, entry_id, event_id)."""
        competitions = self.competitions()
        return (sa.select(EntryMember.worker_id, Worker.employer_id, competitions.c.year,
                          EntryMember.entry_id, EntryMember.event_id)
                .join(Event, Event.id == EntryMember.event_id)
                .join(competitions, competitions.c.id == Event.competition_id)
                .join(Entry, Entry.id == EntryMember.entry_id)
                .join(Worker, Worker.id == EntryMember.worker_id)
                .where(EntryMember.active, Entry.status.in_(ACTIVE),
                       Worker.employer_id.in_(self.unit_ids())))

    def drills(self) -> sa.Select:
        """The units' drills: (organisation_id, year, unnamed), unnamed being the participants
        beyond the named places, never below 0."""
        places = (sa.select(sa.func.count()).where(DrillPlace.drill_id == Drill.id)
                  .correlate(Drill).scalar_subquery())
        unnamed = sa.case((Drill.participants > places, Drill.participants - places), else_=0)
        query = (sa.select(Drill.organisation_id, _year_of(Drill.held_on).label("year"),
                           unnamed.label("unnamed"))
                 .where(Drill.organisation_id.in_(self.unit_ids()), self._in_years(Drill.held_on)))
        return query if self.drills_count else query.where(sa.false())

    def participants(self, members: sa.CTE) -> sa.Select | sa.CompoundSelect:
        """Distinct named participants: entrants and named drill places."""
        entrants = sa.select(members.c.worker_id, members.c.employer_id, members.c.year)
        if not self.drills_count:
            return entrants.distinct()
        places = (sa.select(DrillPlace.worker_id, Worker.employer_id,
                            _year_of(Drill.held_on).label("year"))
                  .join(Drill, Drill.id == DrillPlace.drill_id)
                  .join(Worker, Worker.id == DrillPlace.worker_id)
                  .where(self._in_years(Drill.held_on), Worker.employer_id.in_(self.unit_ids())))
        return sa.union(entrants, places)

    def beneficiaries(self, members: sa.CTE) -> sa.CompoundSelect:
        """Distinct workers with an award, an approved title, a nomination sent up or a
        confirmed promotion."""
        competitions, units = self.competitions(), self.unit_ids()
        results = current_results()
        awarded = (sa.select(members.c.worker_id, members.c.employer_id, members.c.year)
                   .join(results, results.c.entry_id == members.c.entry_id)
                   .where(award_count(results) > 0))

        def of_the_years(model, competition_id, *conditions):
            return (sa.select(model.worker_id, Worker.employer_id, competitions.c.year)
                    .join(competitions, competitions.c.id == competition_id)
                    .join(Worker, Worker.id == model.worker_id)
                    .where(Worker.employer_id.in_(units), *conditions))

        return sa.union(
            awarded,
            of_the_years(TitleAward, TitleAward.competition_id,
                         TitleAward.state == TitleState.APPROVED),
            of_the_years(Nomination, Nomination.source_competition_id),
            of_the_years(PromotionEligibility, PromotionEligibility.competition_id,
                         PromotionEligibility.status == EligibilityStatus.CONFIRMED))


def current_results() -> sa.Subquery:
    """The current version of each result (as Result.is_current(), but joined once rather than
    looked up per row): (entry_id, event_id, awards)."""
    latest = (sa.select(Result.event_id, sa.func.max(Result.version).label("version"))
              .group_by(Result.event_id).subquery())
    return (sa.select(Result.entry_id, Result.event_id, Result.awards)
            .join(latest, sa.and_(latest.c.event_id == Result.event_id,
                                  latest.c.version == Result.version)).subquery())


def award_count(results: sa.Subquery) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.json_array_length(results.c.awards), 0)


@dataclass
class Cell:
    """The figures of one (child, industry, ownership, size) combination of units."""

    workforce: int = 0
    without_workforce: int = 0
    enterprises: int = 0
    entered: int = 0
    non_public: int = 0
    non_public_entered: int = 0
    participants: int = 0
    beneficiaries: int = 0


CELL_FIGURES = [name for name in Cell.__dataclass_fields__]


@dataclass
class Totals:
    """The subtree's figures that are not sums over cells (a team's entry may span units)."""

    entries: int = 0
    entrants: int = 0
    drills: int = 0
    unnamed: int = 0
    awards: int = 0
    titles: int = 0
    nominations: int = 0
    nominees_awarded: int = 0


def _per_employer(people: sa.Select | sa.CompoundSelect, name: str) -> sa.CTE:
    people = people.subquery()
    return (sa.select(people.c.employer_id, sa.func.count().label("n"))
            .group_by(people.c.employer_id).cte(name))


def _totals(scope: Scope, members: sa.CTE) -> list[sa.ColumnElement]:
    """The Totals as scalar subqueries: uncorrelated, so evaluated once however many rows."""
    competitions, units = scope.competitions(), scope.unit_ids()
    drills = scope.drills().subquery()
    results = current_results()
    awards = (sa.select(sa.func.sum(award_count(results)))
              .select_from(members).join(results, results.c.entry_id == members.c.entry_id))
    titles = (sa.select(sa.func.count()).select_from(TitleAward)
              .join(Worker, Worker.id == TitleAward.worker_id)
              .where(TitleAward.state == TitleState.APPROVED,
                     TitleAward.competition_id.in_(sa.select(competitions.c.id)),
                     Worker.employer_id.in_(units)))
    sent = (sa.select(sa.func.count()).select_from(Nomination)
            .join(Worker, Worker.id == Nomination.worker_id)
            .where(Nomination.source_competition_id.in_(sa.select(competitions.c.id)),
                   Worker.employer_id.in_(units)))
    # A few hundred nominations: the current version looked up per row is cheap here.
    won = (sa.select(EntryMember.id)
           .join(Result, Result.entry_id == EntryMember.entry_id)
           .where(EntryMember.worker_id == Nomination.worker_id,
                  EntryMember.event_id == Nomination.event_id, EntryMember.active,
                  Result.is_current(),
                  sa.func.coalesce(sa.func.json_array_length(Result.awards), 0) > 0)
           .correlate(Nomination))
    return [query.scalar_subquery() for query in (
        sa.select(sa.func.count(sa.distinct(members.c.entry_id))),
        sa.select(sa.func.count(sa.distinct(members.c.worker_id))),
        sa.select(sa.func.count()).select_from(drills),
        sa.select(sa.func.sum(drills.c.unnamed)),
        awards, titles, sent, sent.where(sa.exists(won)))]


def cells(scope: Scope) -> tuple[dict[tuple, Cell], Totals, list[sa.Row]]:
    """One grouped statement: by cell, the units' workforce and coverage, the named participants
    and the beneficiaries; the Totals, repeated on every row; and the first LIST_LIMIT
    enterprises by name that never entered, each splitting off a row of its cell (so the year's
    entrants are read once, not again for the list). Distinct workers are counted per employer,
    then summed: exact, since each worker has one employer."""
    members = scope.members().cte("members")
    participants = _per_employer(scope.participants(members), "participants")
    beneficiaries = _per_employer(scope.beneficiaries(members), "beneficiaries")
    entered = sa.select(members.c.employer_id).distinct().cte("entered")
    never = sa.and_(Organisation.kind == OrgKind.ENTERPRISE, entered.c.employer_id.is_(None))
    units = (sa.select(*scope.cell(), Organisation.id, Organisation.name, Organisation.kind,
                       Organisation.workforce,
                       entered.c.employer_id.is_not(None).label("entered"),
                       never.label("never"),
                       sa.func.row_number().over(partition_by=never,
                                                 order_by=(Organisation.name, Organisation.id)
                                                 ).label("place"))
             .outerjoin(entered, entered.c.employer_id == Organisation.id)
             .where(*scope.units()).subquery("units"))
    employing = units.c.kind.in_(EMPLOYING)
    enterprise = units.c.kind == OrgKind.ENTERPRISE
    non_public = sa.and_(enterprise, units.c.ownership.in_(NON_PUBLIC))
    listed = sa.and_(units.c.never, units.c.place <= LIST_LIMIT)
    listing = [sa.case((listed, units.c[name])) for name in ("place", "id", "name")]
    query = (sa.select(units.c.child, units.c.industry, units.c.ownership, units.c.size,
                       *(column.label(name) for column, name in zip(
                           listing, ("place", "id", "name"), strict=True)),
                       sa.func.sum(sa.case((employing, units.c.workforce), else_=0)),
                       _count_if(employing, units.c.workforce.is_(None)),
                       _count_if(enterprise), _count_if(enterprise, units.c.entered),
                       _count_if(non_public), _count_if(non_public, units.c.entered),
                       sa.func.sum(participants.c.n), sa.func.sum(beneficiaries.c.n),
                       *_totals(scope, members))
             .outerjoin(participants, participants.c.employer_id == units.c.id)
             .outerjoin(beneficiaries, beneficiaries.c.employer_id == units.c.id)
             .group_by(*(units.c[name] for name in CELL), *listing))
    found: dict[tuple, Cell] = {}
    totals, never_entered = Totals(), []
    for row in db.session.execute(query):
        values = [int(value or 0) for value in row[7:]]
        cell = found.setdefault(tuple(row[:4]), Cell())
        for name, value in zip(CELL_FIGURES, values, strict=False):
            setattr(cell, name, getattr(cell, name) + value)
        totals = Totals(*values[len(CELL_FIGURES):])
        if row.id is not None:
            never_entered.append(row)
    return found, totals, sorted(never_entered, key=lambda row: row.place)


def headlines(scope: Scope) -> dict[tuple[str, int], int]:
    """The trend's figures for all the scope's years in one statement: {(measure, year): n} for
    participants, unnamed, beneficiaries and entered (enterprises), and (measure, 0) for the
    year-independent workforce and enterprises."""
    members = scope.members().cte("members")
    parts = []
    for name, people in (("participants", scope.participants(members).subquery()),
                         ("beneficiaries", scope.beneficiaries(members).subquery())):
        parts.append(sa.select(sa.literal(name), people.c.year, sa.func.count())
                     .group_by(people.c.year))
    drills = scope.drills().subquery()
    parts.append(sa.select(sa.literal("unnamed"), drills.c.year, sa.func.sum(drills.c.unnamed))
                 .group_by(drills.c.year))
    parts.append(sa.select(sa.literal("entered"), members.c.year,
                           sa.func.count(sa.distinct(members.c.employer_id)))
                 .join(Organisation, Organisation.id == members.c.employer_id)
                 .where(Organisation.kind == OrgKind.ENTERPRISE).group_by(members.c.year))
    units = sa.select(
        sa.func.sum(sa.case((Organisation.kind.in_(EMPLOYING), Organisation.workforce),
                            else_=0)).label("workforce"),
        _count_if(Organisation.kind == OrgKind.ENTERPRISE).label("enterprises"),
    ).where(*scope.units()).subquery()
    parts += [sa.select(sa.literal(name), sa.literal(0), units.c[name])
              for name in ("workforce", "enterprises")]
    return {(name, int(year)): int(n or 0)
            for name, year, n in db.session.execute(sa.union_all(*parts))}


def children(organisation: Organisation) -> list[sa.Row]:
    """The organisation's direct children, by name: (id, name)."""
    return db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .where(Organisation.parent_id == organisation.id)
        .order_by(Organisation.name, Organisation.id)).all()


def _first_units(scope: Scope, *conditions) -> list[sa.Row]:
    """The first LIST_LIMIT of the units matching `conditions`, by name: (id, name)."""
    query = (sa.select(Organisation.id, Organisation.name)
             .where(*scope.units(), *conditions)
             .order_by(Organisation.name, Organisation.id).limit(LIST_LIMIT))
    return db.session.execute(query).all()


def without_workforce(scope: Scope) -> list[sa.Row]:
    return _first_units(scope, Organisation.kind.in_(EMPLOYING), Organisation.workforce.is_(None))


def held(scope: Scope) -> tuple[dict[Tier, int], dict[Tier, int]]:
    """Competitions and events held in the subtree, by tier (one statement)."""
    organisers = sa.select(Organisation.id).where(Organisation.in_subtree(scope.root.path))
    of_the_year = sa.select(scope.competitions().c.id)
    query = (sa.select(Competition.tier, sa.func.count(sa.distinct(Competition.id)),
                       sa.func.count(sa.distinct(Event.id)))
             .where(Competition.organiser_id.in_(organisers), Competition.id.in_(of_the_year),
                    Competition.state != CompetitionState.DRAFT))
    if scope.unit_filtered:
        reached = scope.members().with_only_columns(EntryMember.event_id)
        query = query.join(Event, Event.competition_id == Competition.id).where(
            Event.id.in_(reached))
    else:
        query = query.outerjoin(Event, Event.competition_id == Competition.id)
    competitions, events = {}, {}
    for tier, n_competitions, n_events in db.session.execute(query.group_by(Competition.tier)):
        competitions[tier], events[tier] = n_competitions, n_events
    return competitions, events


def promotions(scope: Scope) -> dict[SkillLevel, int]:
    """Confirmed promotions by the level reached (one statement)."""
    competitions = scope.competitions()
    query = (sa.select(PromotionEligibility.to_level, sa.func.count())
             .join(Worker, Worker.id == PromotionEligibility.worker_id)
             .where(PromotionEligibility.status == EligibilityStatus.CONFIRMED,
                    PromotionEligibility.to_level.is_not(None),
                    PromotionEligibility.competition_id.in_(sa.select(competitions.c.id)),
                    Worker.employer_id.in_(scope.unit_ids()))
             .group_by(PromotionEligibility.to_level))
    counts = {level: n for level, n in db.session.execute(query)}
    return {level: counts[level] for level in SkillLevel if level in counts}
