"""Advancement: a final competition's top N per event become nominations for the matching
event (same occupation and group) of the competition it feeds (DESIGN.md §3)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from competitions.audit.services import record
from competitions.contests.models import Competition, Event
from competitions.extensions import db
from competitions.notifications import recipients
from competitions.notifications.services import event_params, notify
from competitions.registration.models import Nomination
from competitions.results.models import Result


def qualifiers(results: list[Result], top_n: int) -> list[Result]:
    """Ranks 1…N, and everyone tied at the cut-off (a shared rank ≤ N) goes through."""
    return [result for result in results if result.rank <= top_n]


def advance(actor, competition: Competition) -> list[Nomination]:
    """Nominate each event's qualifiers to the higher competition; nothing is nominated twice."""
    higher = competition.feeds
    if higher is None:
        return []
    targets = {(e.occupation_id, e.group): e for e in higher.events}
    created = []
    for event in competition.events:
        target = targets.get((event.occupation_id, event.group))
        if target is None:
            continue
        results = list(db.session.scalars(sa.select(Result).where(
            Result.event_id == event.id, Result.is_current()).order_by(Result.rank)))
        already = set(db.session.scalars(sa.select(Nomination.worker_id).where(
            Nomination.event_id == target.id)))
        for result in qualifiers(results, competition.advance_top_n):
            for member in result.entry.members:
                if not member.active or member.worker_id in already:
                    continue
                already.add(member.worker_id)
                nomination = Nomination(
                    event_id=target.id, worker_id=member.worker_id,
                    nominated_by_id=competition.organiser_id,
                    source_competition_id=competition.id,
                    note=f"{competition.name} · {event.occupation.name} · #{result.rank}")
                db.session.add(nomination)
                created.append(nomination)
                if member.worker.user_id:
                    notify(member.worker.user_id, "nominated", source=competition.name,
                           competition=higher.name, occupation=target.occupation.name,
                           group=target.group.value)
    db.session.flush()
    if created:
        record(actor, "competition.advance", competition,
               after={"to": higher.id, "nominations": len(created)})
        _notify_units(higher, created)
    return created


def _notify_units(higher: Competition, nominations: list[Nomination]) -> None:
    """Each nominee's nearest unit organisers hear whom to register, one message per event."""
    names: dict[tuple[int, int], list[str]] = defaultdict(list)  # (event, organiser) → names
    organisers: dict[int, list[int]] = {}  # by employer: nominees often share one
    for nomination in nominations:
        employer = nomination.worker.employer
        if employer is None:
            continue
        if employer.id not in organisers:
            organisers[employer.id] = list(recipients.unit_organisers(employer))
        for user_id in organisers[employer.id]:
            names[nomination.event_id, user_id].append(nomination.worker.name)
    closes = higher.registration_closes_at.isoformat() if higher.registration_closes_at else None
    events = {e.id: e for e in higher.events}
    for (event_id, user_id), workers in names.items():
        event = events[event_id]
        notify(user_id, "unit_nominated", **event_params(event), names="、".join(workers),
               closes=closes)


def matching_event(competition: Competition, event: Event) -> Event | None:
    if competition.feeds is None:
        return None
    return next((e for e in competition.feeds.events if e.occupation_id == event.occupation_id
                 and e.group == event.group), None)
