"""What the demo's employing units record of themselves for the evaluation: workforce (counted
at the end of last year), industry, ownership and size, and a few drills (岗位练兵、技术比武)
recorded summarily, one with named winners and one with a participant count only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from competitions.accounts.models import SYSTEM, User
from competitions.contests.drills import record_drill
from competitions.contests.models import Drill
from competitions.demo.timeline import Timeline
from competitions.extensions import db
from competitions.organisations.models import EnterpriseSize, Organisation, Ownership
from competitions.organisations.services import Profile, update_profile
from competitions.promotion.models import Occupation
from competitions.registration.models import Worker

S, C, P, F = Ownership.STATE, Ownership.COLLECTIVE, Ownership.PRIVATE, Ownership.FOREIGN
LARGE, MEDIUM, SMALL = EnterpriseSize.LARGE, EnterpriseSize.MEDIUM, EnterpriseSize.SMALL

# (workforce or None, industry section, ownership, size); 苏州工业园区智能制造 has not counted
# its workforce yet, so the evaluation lists it instead of guessing.
PROFILES = {
    "南京钢铁集团有限公司": (9800, "C", S, LARGE),
    "南京汽车集团有限公司": (12600, "C", S, LARGE),
    "南京江宁精密制造有限公司": (420, "C", P, MEDIUM),
    "南京江宁城市建设集团有限公司": (2300, "E", C, LARGE),
    "苏州电气设备有限公司": (860, "C", F, MEDIUM),
    "苏州职业技术学院": (1150, "P", S, None),
    "苏州工业园区智能制造有限公司": (None, "C", P, SMALL),
}


@dataclass(frozen=True)
class DemoDrill:
    enterprise: str
    name: str
    held_on: date
    occupation: str
    participants: int
    winners: int  # how many of the enterprise's workers in that occupation are named
    recorded_by: str | None = None  # a demo username, else the system


def demo_drills(timeline: Timeline) -> list[DemoDrill]:
    """Last year's welding drill at 南钢 fed last autumn's city contest; the Suzhou drill was
    held six weeks before the demo was loaded, and only its head count was kept."""
    last = timeline.last_year
    recent = timeline.today - timedelta(days=42)
    return [
        DemoDrill("南京钢铁集团有限公司", f"{last}年南钢焊工岗位练兵技术比武",
                  date(last, 9, 12), "焊工", 36, 3, "nisco_organiser"),
        DemoDrill("南京汽车集团有限公司", f"{last}年汽车装调工岗位练兵", date(last, 5, 20),
                  "汽车装调工", 24, 2),
        DemoDrill("苏州电气设备有限公司", f"{recent.year}年电工技能比武", recent, "电工", 58, 0),
    ]


def seed_profiles(orgs: dict[str, Organisation], timeline: Timeline) -> None:
    """Give each employing unit its profile, unless it has recorded one already."""
    for name, (workforce, industry, ownership, size) in PROFILES.items():
        org = orgs[name]
        if Profile.of(org).is_empty:
            update_profile(SYSTEM, org, Profile(
                workforce, timeline.last_year if workforce is not None else None, industry,
                ownership, size))


def seed_drills(orgs: dict[str, Organisation], timeline: Timeline, created: dict) -> None:
    for spec in demo_drills(timeline):
        org = orgs[spec.enterprise]
        if db.session.scalar(sa.select(Drill.id).where(
                Drill.organisation_id == org.id, Drill.name == spec.name)) is not None:
            continue
        occupation = db.session.scalar(sa.select(Occupation).where(
            Occupation.name == spec.occupation))
        winners = list(db.session.scalars(
            sa.select(Worker.id_number).where(Worker.employer_id == org.id,
                                              Worker.occupation_id == occupation.id)
            .order_by(Worker.id).limit(spec.winners))) if spec.winners else []
        actor = (db.session.scalar(sa.select(User).where(User.username == spec.recorded_by))
                 if spec.recorded_by else None) or SYSTEM
        record_drill(actor, org, name=spec.name, held_on=spec.held_on,
                     occupation_id=occupation.id, participants=spec.participants,
                     winners="\n".join(f"{number} {place}"
                                       for place, number in enumerate(winners, 1)))
        created["drills"] = created.get("drills", 0) + 1
