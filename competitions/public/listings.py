"""What the public pages list: competitions a visitor may still take part in or follow, and
the results published most recently."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from competitions.contests.models import Competition, CompetitionState, Event
from competitions.extensions import db
from competitions.results.exports import PUBLIC_STAGES
from competitions.results.models import Result

CURRENT_STATES = (CompetitionState.REGISTRATION, CompetitionState.REVIEW, CompetitionState.DRAWN)
HOME_LIMIT = 12


def registration_phase(competition: Competition, now: datetime) -> str:
    """"open" (taking registrations now), "not_yet" (opens later) or "closed"."""
    if competition.is_registration_open(now):
        return "open"
    opens = competition.registration_opens_at
    if competition.state is CompetitionState.REGISTRATION and opens and now < opens:
        return "not_yet"
    return "closed"


def current_competitions(limit: int = HOME_LIMIT) -> list[Competition]:
    """Competitions taking or about to take registrations, or under way; soonest first."""
    return list(db.session.scalars(
        sa.select(Competition).where(Competition.state.in_(CURRENT_STATES))
        .order_by(Competition.starts_on.is_(None), Competition.starts_on, Competition.id)
        .limit(limit)))


def recent_results(limit: int = HOME_LIMIT) -> list[tuple[Event, datetime]]:
    """Events whose results are published or final, with when they were last published,
    newest first."""
    published = (sa.select(Result.event_id, sa.func.max(Result.computed_at).label("at"))
                 .group_by(Result.event_id).subquery())
    rows = db.session.execute(
        sa.select(Event, published.c.at).join(published, published.c.event_id == Event.id)
        .join(Event.competition)
        .where(Event.stage.in_(PUBLIC_STAGES), Competition.state != CompetitionState.DRAFT)
        .options(selectinload(Event.competition))
        .order_by(published.c.at.desc(), Event.id.desc()).limit(limit)).tuples().all()
    return list(rows)
