"""`seed_national`: a national competition for the results and judging benchmarks (issue 18)
— by default 100 signed-off events of 400 entries, each marked on 10 criteria by 3 judges
(1.2 million marks), and one event of 1,000 entries decrypted and published through the real
services, so that its stored results and public page are genuine."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from competitions.accounts.models import SYSTEM, Role, RoleGrant, User
from competitions.audit.services import record
from competitions.bulk import Ids, Writer
from competitions.contests.models import (
    DEFAULT_AWARD_CONFIG,
    Competition,
    CompetitionClass,
    CompetitionState,
    Event,
    EventGroup,
    EventStage,
)
from competitions.database import utcnow
from competitions.extensions import db
from competitions.organisations.models import Tier
from competitions.promotion.catalogue import OCCUPATIONS, ensure_occupations
from competitions.promotion.models import Occupation
from competitions.results import lifecycle
from competitions.scale.judged import JudgedEvents, Officials, national_scheme
from competitions.scale.nation import People, write_nation
from competitions.scale.seed import DatabaseNotEmpty, _no_progress, holds_data

JUDGES = 6  # per event: two panels of three (judged.national_scheme)
GROUPS = (EventGroup.EMPLOYEE, EventGroup.STUDENT, EventGroup.TEACHER)
MAX_EVENTS = len(OCCUPATIONS) * len(GROUPS) - 1  # one (occupation, group) each, and the big one


@dataclass(frozen=True)
class NationalSummary:
    seed: int
    competition_id: int
    published_event_id: int
    events: int  # all of them, the published one included
    entries: int
    marks: int
    score_sheets: int
    imported_marks: int
    judges: int
    chief_judges: int
    workers: int
    accounts: int
    organisations: int
    root_id: int


def seed_national(*, events: int = 100, entries: int = 400, big_event: int = 1000,
                  seed: int = 17, force: bool = False, progress=_no_progress) -> NationalSummary:
    """Generate and insert the national competition; flush, never commit. `progress` is as
    seed_province's. Its dates lie in the last weeks: the contest ended 10 days ago."""
    if holds_data() and not force:
        raise DatabaseNotEmpty()
    if not 1 <= events <= MAX_EVENTS or entries < 1 or big_event < 1:
        raise ValueError(f"events must be 1 to {MAX_EVENTS}, entries and big_event at least 1")
    rng, ids, now = random.Random(seed), Ids(), utcnow()
    ensure_occupations(SYSTEM)
    starts = (now - timedelta(days=12)).date()
    nation = write_nation(rng, ids, starts.year - 1, now)
    people = People(rng, ids, nation, starts.year, now, check_stored=force)
    competition = _competition(ids, nation.root, starts)
    competitions = Writer(Competition)
    competitions.add(competition)
    event_writer = Writer(Event, parents=(competitions,))
    grants = Grants(now, parents=(people.users, event_writer))
    organiser = people.official("organiser", None)
    officer = people.official("officer", None)
    grants.add(organiser, Role.ORGANISER, organisation_id=nation.root)
    grants.add(officer, Role.ENCRYPTION_OFFICER, competition_id=competition["id"])
    scheme = national_scheme()
    at = datetime.combine(competition["ends_on"], time(9))
    registered = competition["registration_opens_at"] + timedelta(days=5)
    with progress(length=big_event + events * entries, label="Entries") as bar:
        judged = JudgedEvents(ids, rng, parents=(event_writer, people.workers, grants.writer),
                              step=bar.update)
        for number, (occupation_id, group) in enumerate(_pairs(events + 1)):
            size = big_event if number == 0 else entries
            event_id = ids.one(Event.__table__)
            event_writer.add(_event(event_id, competition, occupation_id, group, size))
            judges, units = people.judges(JUDGES)
            chief = people.official("chief", units[0])
            for judge in judges:
                grants.add(judge, Role.JUDGE, event_id=event_id)
            grants.add(chief, Role.CHIEF_JUDGE, event_id=event_id)
            judged.write_event(event_id, scheme, Officials(judges, units, chief, organiser),
                               people.entrants(size, group, occupation_id), at=at,
                               registered_at=registered)
            if number == 0:
                # Published first, while the tables are small: its queries need no planner
                # statistics yet (ANALYZE comes at the end).
                judged.flush()
                grants.writer.flush()
                _publish(event_id, officer, organiser)
                published = event_id
        judged.flush()
        grants.writer.flush()
    summary = NationalSummary(
        seed=seed, competition_id=competition["id"], published_event_id=published,
        events=event_writer.count, entries=judged.entries.count, marks=judged.marks.count,
        score_sheets=judged.sheets.count, imported_marks=judged.imported.count,
        judges=event_writer.count * JUDGES, chief_judges=event_writer.count,
        workers=people.workers.count, accounts=people.users.count,
        organisations=nation.organisations, root_id=nation.root)
    # One entry for the whole fixture, none per row (docs/scale.md); the publication of the
    # big event has its own, written by the services.
    record(SYSTEM, "scale.seed", ("Competition", competition["id"]), after=asdict(summary))
    return summary


class Grants:
    """Role grants, written after the accounts and events they name."""

    def __init__(self, now: datetime, parents: tuple[Writer, ...]):
        self.now = now
        self.writer = Writer(RoleGrant, parents=parents)

    def add(self, user_id: int, role: Role, *, organisation_id: int | None = None,
            competition_id: int | None = None, event_id: int | None = None) -> None:
        self.writer.add({"user_id": user_id, "role": role, "organisation_id": organisation_id,
                         "competition_id": competition_id, "event_id": event_id,
                         "covers_id": None, "granted_by_id": None, "created_at": self.now})


def _pairs(n: int) -> list[tuple[int, EventGroup]]:
    """(occupation id, group) of n events, all distinct: every occupation's employee group,
    then the student groups, then the teachers'."""
    ids = dict(db.session.execute(sa.select(Occupation.name, Occupation.id).where(
        Occupation.name.in_(OCCUPATIONS))).all())
    return [(ids[name], group) for group in GROUPS for name in OCCUPATIONS][:n]


def _competition(ids: Ids, organiser_id: int, starts) -> dict:
    opens = datetime.combine(starts - timedelta(days=70), time(1))
    return {"id": ids.one(Competition.__table__),
            "name": f"{starts.year}年全国职工职业技能大赛（规模测试）",
            "description": None, "year": starts.year, "tier": Tier.NATIONAL,
            "competition_class": CompetitionClass.CLASS_1, "organiser_id": organiser_id,
            "state": CompetitionState.DRAWN, "registration_opens_at": opens,
            "registration_closes_at": opens + timedelta(days=30), "starts_on": starts,
            "ends_on": starts + timedelta(days=2), "feeds_id": None, "advance_top_n": 3,
            "award_scheme": "medals_half", "award_config": dict(DEFAULT_AWARD_CONFIG),
            "created_at": opens - timedelta(days=20)}


def _event(event_id: int, competition: dict, occupation_id: int, group: EventGroup,
           size: int) -> dict:
    starts = competition["starts_on"]
    return {"id": event_id, "competition_id": competition["id"],
            "occupation_id": occupation_id, "group": group, "team_size": 1, "capacity": None,
            "quota_per_org": None, "min_age": 16, "until_retirement": True,
            "female_retirement_base": 55, "barred_titles": [], "nomination_required": False,
            "stage": EventStage.SIGNED_OFF,
            "drawn_at": datetime.combine(starts - timedelta(days=1), time(1)),
            "decrypted_at": None, "checkin_at": datetime.combine(starts, time(0)),
            "venue": "国家会展中心（天津）", "required_documents": [], "entry_counter": size}


def _publish(event_id: int, officer_id: int, organiser_id: int) -> None:
    """Decrypt and publish through the services, as the encryption officer and organiser."""
    event = db.session.get(Event, event_id)
    lifecycle.decrypt(db.session.get(User, officer_id), event)
    lifecycle.publish(db.session.get(User, organiser_id), event)
