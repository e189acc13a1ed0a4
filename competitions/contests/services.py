"""Creating competitions and events, and moving a competition through its stages."""

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from competitions.audit.services import record
from competitions.contests.models import (
    Competition,
    CompetitionClass,
    CompetitionState,
    Event,
    EventStage,
)
from competitions.contests.status import competition_status_label
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.files.models import StoredFile
from competitions.files.services import MAX_RULES_BYTES, PDF, store
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation, Tier


class InvalidCompetition(DomainError):
    pass


class TransitionRefused(DomainError):
    pass


COMPETITION_FIELDS = ("name", "year", "tier", "competition_class", "registration_opens_at",
                      "registration_closes_at", "starts_on", "ends_on", "advance_top_n",
                      "description")
EVENT_FIELDS = ("occupation", "group", "team_size", "capacity", "quota_per_org", "min_age",
                "max_age", "until_retirement", "female_retirement_base", "min_level",
                "max_level", "barred_titles", "nomination_required", "checkin_at", "venue",
                "description", "schedule", "required_documents")
MAX_DOCUMENTS, MAX_DOCUMENT_NAME = 10, 100  # documents an event requires: how many, how long


def _snapshot(obj, fields) -> dict:
    values = {name: getattr(obj, name) for name in fields}
    if "occupation" in values:
        values["occupation"] = values["occupation"].name if values["occupation"] else None
    return values


def _require_manager(actor, competition: Competition) -> None:
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("You do not organise this competition."))


def _check_competition(competition: Competition) -> None:
    InvalidCompetition.raise_all(list(_competition_problems(competition)))


def _competition_problems(competition: Competition) -> Iterator[InvalidCompetition]:
    """Every rule the competition breaks, each naming its field: a form shows them at once."""
    if competition.tier is Tier.INTERNATIONAL:
        yield InvalidCompetition(_l("International competitions are not run on this platform."),
                                 field="tier")
    elif competition.organiser.tier < competition.tier:
        yield InvalidCompetition(_l(
            "%(org)s is a %(org_tier)s organisation and cannot run a %(tier)s competition.",
            org=competition.organiser.name, org_tier=competition.organiser.tier.label,
            tier=competition.tier.label), field="tier")
    opens, closes = competition.registration_opens_at, competition.registration_closes_at
    if opens and closes and closes <= opens:
        yield InvalidCompetition(_l("Registration must close after it opens."),
                                 field="registration_closes_at")
    elif closes and competition.starts_on and closes.date() > competition.starts_on:
        yield InvalidCompetition(_l("Registration must close before the contest starts."),
                                 field="registration_closes_at")
    starts, ends = competition.starts_on, competition.ends_on
    if starts and ends and ends < starts:
        yield InvalidCompetition(_l("The contest cannot end before it starts."), field="ends_on")
    feeds = competition.feeds
    if feeds is not None and not competition.tier < feeds.tier:
        yield InvalidCompetition(_l(
            "A competition can only feed a competition of a higher tier; %(name)s is %(tier)s.",
            name=feeds.name, tier=feeds.tier.label), field="feeds_id")


def create_competition(actor, organiser: Organisation, **values) -> Competition:
    if not actor.manages(organiser):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=organiser.name))
    values.setdefault("competition_class", CompetitionClass.UNCLASSIFIED)
    _tidy_texts(values, ("description",))
    competition = Competition(organiser=organiser, state=CompetitionState.DRAFT, **values)
    _check_competition(competition)
    db.session.add(competition)
    db.session.flush()
    record(actor, "competition.create", competition,
           after=_snapshot(competition, COMPETITION_FIELDS + ("state",)))
    return competition


def update_competition(actor, competition: Competition, **values) -> Competition:
    _require_manager(actor, competition)
    if competition.state in (CompetitionState.FINAL, CompetitionState.ARCHIVED):
        raise TransitionRefused(_l("A final competition cannot be edited."))
    before = _snapshot(competition, COMPETITION_FIELDS + ("feeds_id",))
    _tidy_texts(values, ("description",))
    for key, value in values.items():
        setattr(competition, key, value)
    db.session.flush()
    _check_competition(competition)
    after = _snapshot(competition, COMPETITION_FIELDS + ("feeds_id",))
    if before != after:
        record(actor, "competition.update", competition, before=before, after=after)
    return competition


def set_rules_document(actor, competition: Competition, upload) -> StoredFile:
    """Keep an uploaded PDF as the competition's rules (竞赛规程), replacing any earlier one;
    the same file posted again changes nothing."""
    _require_manager(actor, competition)
    if competition.state in (CompetitionState.FINAL, CompetitionState.ARCHIVED):
        raise TransitionRefused(_l("A final competition cannot be edited."), field="rules_file")
    stored = store(upload, actor, allowed=(PDF,), max_bytes=MAX_RULES_BYTES, field="rules_file")
    previous = db.session.get(StoredFile, competition.rules_file_id) \
        if competition.rules_file_id else None
    if previous is not None and previous.sha256 == stored.sha256:
        db.session.delete(stored)
        db.session.flush()
        return previous
    competition.rules_file_id = stored.id
    record(actor, "competition.rules", competition,
           before=_file_snapshot(previous), after=_file_snapshot(stored))
    if previous is not None:
        db.session.delete(previous)  # only the rules in force are kept; the log names both
    db.session.flush()
    return stored


def _file_snapshot(stored: StoredFile | None) -> dict:
    if stored is None:
        return {"rules_file": None}
    return {"rules_file": stored.filename, "sha256": stored.sha256}


def default_tier(organiser: Organisation) -> Tier:
    """A new competition's tier: its organiser's (a city union runs 市级 competitions)."""
    return min(organiser.tier, Tier.NATIONAL)  # international ones are not run here


DEFAULT_QUOTA = 3  # 南京 2022: at most 3 entrants per unit per event
DEFAULT_MIN_AGE = 16  # the legal working age


def default_nomination_required(competition: Competition) -> bool:
    """Above enterprise tier, entrants are nominated by their unit or a lower-tier contest."""
    return competition.tier > Tier.ENTERPRISE


def add_event(actor, competition: Competition, **values) -> Event:
    _require_manager(actor, competition)
    if competition.state not in (CompetitionState.DRAFT, CompetitionState.REGISTRATION):
        raise TransitionRefused(_l("Events can only be added before registration closes."))
    values.setdefault("nomination_required", default_nomination_required(competition))
    values.setdefault("quota_per_org", DEFAULT_QUOTA)
    values.setdefault("min_age", DEFAULT_MIN_AGE)
    _tidy_event_values(values)
    event = Event(competition=competition, **values)
    _check_event(event)
    db.session.add(event)
    db.session.flush()
    record(actor, "event.create", event, after=_snapshot(event, EVENT_FIELDS))
    return event


def update_event(actor, event: Event, **values) -> Event:
    _require_manager(actor, event.competition)
    if event.stage is not EventStage.OPEN:
        raise TransitionRefused(_l("An event cannot be changed after its draw."))
    before = _snapshot(event, EVENT_FIELDS)
    _tidy_event_values(values)
    for key, value in values.items():
        setattr(event, key, value)
    _check_event(event)
    db.session.flush()
    after = _snapshot(event, EVENT_FIELDS)
    if before != after:
        record(actor, "event.update", event, before=before, after=after)
    return event


def _tidy_texts(values: dict, names: tuple[str, ...]) -> None:
    """Blank text is no text; line breaks are kept, whichever a browser sent."""
    for name in names:
        if name in values:
            text = (values[name] or "").replace("\r\n", "\n").replace("\r", "\n")
            values[name] = text.strip() or None


def document_names(text_or_names) -> list[str]:
    """The documents an event requires, from a textarea (one per line) or a list: trimmed,
    blank lines dropped, each name once."""
    lines = text_or_names.splitlines() if isinstance(text_or_names, str) \
        else list(text_or_names or [])
    names = []
    for line in lines:
        name = " ".join(str(line).split())
        if name and name not in names:
            names.append(name)
    return names


def _tidy_event_values(values: dict) -> None:
    _tidy_texts(values, ("venue", "description", "schedule"))
    if "required_documents" in values:
        values["required_documents"] = document_names(values["required_documents"])


def _check_event(event: Event) -> None:
    InvalidCompetition.raise_all(list(_event_problems(event)))


def _event_problems(event: Event) -> Iterator[InvalidCompetition]:
    """Every rule the event breaks, each naming its field: a form shows them at once."""
    with db.session.no_autoflush:  # the event may not be in the session yet
        duplicate = db.session.scalar(sa.select(Event.id).where(
            Event.competition_id == event.competition.id, Event.id != event.id,
            Event.occupation_id == event.occupation.id, Event.group == event.group))
    if duplicate is not None:
        yield InvalidCompetition(_l("This competition already has an event for %(occ)s, "
                                    "%(group)s.", occ=event.occupation.name,
                                    group=event.group.label), field="occupation")
    if event.min_age is not None and event.max_age is not None and event.max_age < event.min_age:
        yield InvalidCompetition(_l("The maximum age is below the minimum age."), field="max_age")
    if event.min_level and event.max_level and event.max_level < event.min_level:
        yield InvalidCompetition(_l("The highest skill level is below the lowest."),
                                 field="max_level")
    if event.capacity is not None and event.capacity < 1:
        yield InvalidCompetition(_l("The capacity must be at least 1."), field="capacity")
    if event.quota_per_org is not None and event.quota_per_org < 1:
        yield InvalidCompetition(_l("The quota must be at least 1."), field="quota_per_org")
    if event.venue is not None and len(event.venue) > 200:
        yield InvalidCompetition(_l("The check-in place is longer than 200 characters."),
                                 field="venue")
    documents = event.required_documents or []
    if len(documents) > MAX_DOCUMENTS:
        yield InvalidCompetition(_l("At most %(n)d required documents.", n=MAX_DOCUMENTS),
                                 field="required_documents")
    if any(len(name) > MAX_DOCUMENT_NAME for name in documents):
        yield InvalidCompetition(_l("Each document's name is at most %(n)d characters.",
                                    n=MAX_DOCUMENT_NAME), field="required_documents")


# Transitions: name → (from states, to state, audit action).
TRANSITIONS = {
    "open_registration": ({CompetitionState.DRAFT, CompetitionState.REVIEW},
                          CompetitionState.REGISTRATION),
    "close_registration": ({CompetitionState.REGISTRATION}, CompetitionState.REVIEW),
}


def _preconditions(competition: Competition, name: str) -> None:
    if name == "open_registration":
        if not competition.events:
            raise TransitionRefused(_l("Add at least one event before opening registration."))
        if not competition.starts_on:
            raise TransitionRefused(_l("Set the contest dates before opening registration."))
        if any(event.stage is not EventStage.OPEN for event in competition.events):
            raise TransitionRefused(_l("Registration cannot reopen once an event is drawn."))


def transition(actor, competition: Competition, name: str) -> Competition:
    """Move the competition along TRANSITIONS[name], or say why not."""
    _require_manager(actor, competition)
    sources, target = TRANSITIONS[name]
    if competition.state not in sources:
        raise TransitionRefused(_l("A competition in the stage “%(state)s” cannot do that.",
                                   state=competition_status_label(competition)))
    _preconditions(competition, name)
    before = competition.state
    competition.state = target
    record(actor, f"competition.{name}", competition,
           before={"state": before}, after={"state": target})
    return competition


def visible_competitions(user):
    """Competitions a user organises (admins: all), newest first."""
    stmt = sa.select(Competition).join(Competition.organiser)
    if not user.is_admin:
        stmt = stmt.where(Organisation.in_any_subtree(user.organiser_paths))
    return stmt.order_by(Competition.year.desc(), Competition.id.desc())


def open_competitions():
    """Competitions taking registrations, for workers choosing an event."""
    return (sa.select(Competition).where(Competition.state == CompetitionState.REGISTRATION)
            .order_by(Competition.year.desc(), Competition.name))


def officiating_competitions(user) -> list[tuple[Competition, list]]:
    """Competitions where the user holds a competition-scoped role, with those roles."""
    grants = [g for g in user.grants if g.competition_id is not None]
    if not grants:
        return []
    competitions = db.session.scalars(sa.select(Competition).where(
        Competition.id.in_({g.competition_id for g in grants}))
        .options(selectinload(Competition.events))).all()
    roles = {}
    for grant in grants:
        roles.setdefault(grant.competition_id, []).append(grant.role)
    return [(c, roles[c.id]) for c in sorted(competitions, key=lambda c: -c.year)]
