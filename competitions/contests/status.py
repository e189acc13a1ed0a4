"""The words every page shows for where a competition or an event stands.

Derived from the real state, not from the stored stage alone: a competition's own state stops
at "drawn" while its events go on through marking, notice and finalisation, so past the close
of registration its label follows its events.
"""

from __future__ import annotations

from competitions.contests.models import CompetitionState, EventStage
from competitions.i18n import lazy_gettext as _l

EVENT_LABELS = {
    EventStage.OPEN: _l("Not drawn yet"),
    EventStage.DRAWN: _l("Drawn, marking not started"),
    EventStage.SCORING: _l("Marking under way"),
    EventStage.SIGNED_OFF: _l("Signed off, awaiting decryption"),
    EventStage.DECRYPTED: _l("Decrypted, awaiting publication"),
    EventStage.PUBLISHED: _l("Results under public notice"),
    EventStage.FINAL: _l("Results final"),
}

# Before the close of registration an undrawn event stands where its competition stands.
EARLY_LABELS = {
    CompetitionState.DRAFT: _l("In preparation"),
    CompetitionState.REGISTRATION: _l("Registration open"),
}

REVIEW = _l("Registration closed, under review")
DRAWN = _l("Drawn, contest not started")
UNDER_WAY = _l("Contest under way (marking)")
NOTICE = _l("Results under public notice")
FINAL = _l("Results final")
ARCHIVED = _l("Archived")

MARKING = {EventStage.SCORING, EventStage.SIGNED_OFF, EventStage.DECRYPTED}


def event_status_label(event) -> str:
    """Where an event stands: 报名中, 已抽签，未开始评分, 评分中, 成绩公示中, 成绩已确定 …"""
    if event.stage is EventStage.OPEN:
        return EARLY_LABELS.get(event.competition.state, EVENT_LABELS[EventStage.OPEN])
    return EVENT_LABELS[event.stage]


def competition_status_label(competition) -> str:
    """Where a competition stands; past registration, where its least advanced events are."""
    state = competition.state
    if state in EARLY_LABELS:
        return EARLY_LABELS[state]
    if state is CompetitionState.ARCHIVED:
        return ARCHIVED
    if state is CompetitionState.FINAL:
        return FINAL
    stages = {event.stage for event in competition.events if event.stage is not EventStage.OPEN}
    if not stages:
        return REVIEW if state is CompetitionState.REVIEW else DRAWN
    if stages & MARKING or (EventStage.DRAWN in stages and len(stages) > 1):
        return UNDER_WAY
    if EventStage.PUBLISHED in stages:
        return NOTICE
    if stages == {EventStage.FINAL}:
        return FINAL if state is CompetitionState.DRAWN else REVIEW
    return DRAWN if state is CompetitionState.DRAWN else REVIEW
