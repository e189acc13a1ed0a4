"""Results: computed from the signed-off marks, ranked, awarded; the one service that feeds the
organiser's page, the public page, the exports and the CLI (STYLE.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from competitions.bulk import insert_rows
from competitions.collector import collector_paused
from competitions.contests.models import Competition, Event, EventStage
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging.models import ComponentKind
from competitions.judging.scoring import component_score, weighted_total
from competitions.registration.models import Entry
from competitions.results import ranking
from competitions.results.award_plans import AwardConfig, AwardPlan, Decision, plan_awards
from competitions.results.awards import Award
from competitions.results.marks import event_marks
from competitions.results.models import Result

# Stages from which an event's marks are final enough to compute results from.
RESULT_STAGES = (EventStage.SIGNED_OFF, EventStage.DECRYPTED, EventStage.PUBLISHED,
                 EventStage.FINAL)


@dataclass
class ResultLine:
    """One entry's result. `entry` carries names: show it only once the event is decrypted."""

    entry: Entry
    total: Decimal
    components: list[tuple[str, Decimal]] = field(default_factory=list)
    theory: Decimal | None = None
    practical: Decimal | None = None
    penalties: Decimal = Decimal(0)
    time_used: int | None = None
    rank: int = 0
    standardised: int = 700
    awards: tuple[Award, ...] = ()  # prize first, then medal
    decisions: tuple[Decision, ...] = ()  # the award rule step behind each (the preview)
    decided_by: str | None = None  # the tie-break step that separated it from the one above


def compute_results(event: Event) -> list[ResultLine]:
    """Component scores, weighted total, rank, standardised score and awards, best first."""
    return compute_with_plan(event).lines


@dataclass
class RankedResults:
    """An event's results, best first, and the award plan behind them: the bands with their
    cut-off places, for the organiser's preview."""

    lines: list[ResultLine]
    plan: AwardPlan | None


@collector_paused()
def compute_with_plan(event: Event) -> RankedResults:
    """compute_results, with the award plan for the preview."""
    lines = _scored_lines(event)
    if not lines:
        return RankedResults([], None)
    return rank_and_award(event.competition, lines)


def _scored_lines(event: Event) -> list[ResultLine]:
    """Each entry's component scores and weighted total, unranked.

    Component scores keep full precision; penalties come off the component they were given
    in (never below 0); only the weighted total is rounded, half-up to 2 places, and ranking
    uses that rounded total (DESIGN.md §4).
    """
    marks = event_marks(event)
    if marks.scheme is None or not marks.entries:
        return []
    components = [(component.id, component.name, component.kind, component.weight,
                   [c.id for c in component.criteria], [c.max_mark for c in component.criteria])
                  for component in marks.scheme.components]  # read once, not once an entry
    lines = []
    for row in marks.entries:
        deducted = {}
        for component_id, points in row.penalties:
            deducted[component_id] = deducted.get(component_id, 0) + points
        scored, line = [], ResultLine(row.entry, Decimal(0), time_used=row.seconds)
        for component_id, name, kind, weight, criteria, maxima in components:
            criteria_marks = [row.scores.get(criterion) for criterion in criteria]
            if any(mark is None for mark in criteria_marks):
                raise ValueError(f"entry {row.entry.id} lacks marks in {name}")
            score = component_score(criteria_marks, maxima)
            score = max(score - deducted.get(component_id, Decimal(0)), Decimal(0))
            line.penalties += deducted.get(component_id, Decimal(0))
            scored.append((score, weight))
            line.components.append((name, score))
            if kind is ComponentKind.THEORY and line.theory is None:
                line.theory = score
            if kind is ComponentKind.PRACTICAL and line.practical is None:
                line.practical = score
        line.total = weighted_total(scored)
        lines.append(line)
    return lines


def rank_and_award(competition: Competition, lines: list[ResultLine]) -> RankedResults:
    by_id = {line.entry.id: line for line in lines}
    standings = [ranking.Standing(line.entry.id, line.total, line.time_used, line.practical,
                                  line.theory) for line in lines]
    chain = competition.tie_breaks or list(ranking.DEFAULT_CHAIN)
    ranked = ranking.rank_entries(standings, chain)
    standardised = ranking.standardised_scores({line.entry.id: line.total for line in lines})
    plan = plan_awards([(r.standing.key, r.rank) for r in ranked],
                       AwardConfig.from_json(competition.award_config),
                       totals={line.entry.id: line.total for line in lines})
    ordered = []
    for previous, current in zip([None, *ranked], ranked, strict=False):
        line = by_id[current.standing.key]
        line.rank = current.rank
        line.standardised = standardised[line.entry.id]
        line.awards = plan.awards[line.entry.id]
        line.decisions = plan.decisions[line.entry.id]
        if previous is not None and previous.rank != current.rank:
            line.decided_by = ranking.decided_by(previous.standing, current.standing, chain)
        ordered.append(line)
    return RankedResults(ordered, plan)


def store_results(event: Event, lines: list[ResultLine], now: datetime | None = None) -> None:
    """Store `lines` as the event's next version of results, published `now`; earlier versions
    stay, superseded (the record of what each notice said). All lines in one statement (COPY
    on PostgreSQL), not an object each."""
    version = (current_version(event) or 0) + 1
    now = now or utcnow()
    rows = [{"event_id": event.id, "entry_id": line.entry.id, "version": version,
             "computed_at": now, "rank": line.rank, "total": line.total,
             "theory": line.theory, "practical": line.practical,
             "components": [[name, str(score)] for name, score in line.components],
             "penalties": line.penalties, "time_used": line.time_used,
             "standardised": line.standardised,
             "awards": [award.value for award in line.awards]}
            for line in lines]
    insert_rows(Result.__table__, rows)


def current_version(event: Event) -> int | None:
    """The number of the event's latest publication, None before the first."""
    return db.session.scalar(sa.select(sa.func.max(Result.version))
                             .where(Result.event_id == event.id))


def published_results(event: Event, version: int | None = None) -> list[Result]:
    """The snapshot the public notice shows, best first: the current version unless asked."""
    stmt = sa.select(Result).where(Result.event_id == event.id)
    stmt = stmt.where(Result.is_current() if version is None else Result.version == version)
    return list(db.session.scalars(stmt.order_by(Result.rank, Result.id)))


@dataclass(frozen=True)
class ResultVersion:
    """One publication of an event's results; superseded once a later one was published."""

    number: int
    published_at: datetime
    superseded_at: datetime | None  # when the next version was published

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


def result_versions(event: Event) -> list[ResultVersion]:
    """Every publication of the event's results, the latest first."""
    published = db.session.execute(
        sa.select(Result.version, sa.func.min(Result.computed_at))
        .where(Result.event_id == event.id).group_by(Result.version)
        .order_by(Result.version)).all()
    versions = [ResultVersion(number, at, following[1] if following else None)
                for (number, at), following in zip(published, [*published[1:], None],
                                                   strict=True)]
    return versions[::-1]
