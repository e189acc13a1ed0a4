"""Each role a person holds, named once with where it applies, so no page lists "裁判 / 裁判":
裁判 · 焊工 · 职工组（2026年南京市职工职业技能大赛）, 加密员 · 2026年南京市职工职业技能大赛."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import Competition, Event
from competitions.extensions import db
from competitions.i18n import gettext as _


def event_detail(event: Event) -> str:
    """An event named with its competition: 焊工 · 职工组（2026年南京市职工职业技能大赛）."""
    return _("%(event)s (%(competition)s)", event=event.name,
             competition=event.competition.name)


@dataclass(frozen=True)
class NamedRole:
    role: Role
    place: str  # the organisation, competition or event; "" for the platform
    org_id: int | None = None  # links an organisation's name to its page

    @property
    def text(self) -> str:
        return f"{self.role.label} · {self.place}" if self.place else str(self.role.label)


def grant_places(grants: list[RoleGrant]) -> dict[int, str]:
    """Where each grant applies, by grant id: the organisation, competition or event named
    (with its competition); "" for the platform. Two queries whatever the number of grants."""
    competitions = dict(db.session.execute(sa.select(Competition.id, Competition.name).where(
        Competition.id.in_({g.competition_id for g in grants if g.competition_id}))).all())
    events = {e.id: e for e in db.session.scalars(
        sa.select(Event).where(Event.id.in_({g.event_id for g in grants if g.event_id}))
        .options(joinedload(Event.competition)))}
    places = {}
    for grant in grants:
        if grant.organisation is not None:
            places[grant.id] = grant.organisation.name
        elif grant.competition_id is not None:
            places[grant.id] = competitions.get(grant.competition_id, "")
        elif grant.event_id is not None:
            places[grant.id] = event_detail(events[grant.event_id])
        else:
            places[grant.id] = ""
    return places


def named_roles(grants: list[RoleGrant]) -> list[NamedRole]:
    """The grants as their holder reads them, each (role, place) once, in the roles' order."""
    places = grant_places(grants)
    order = list(Role)
    named: list[NamedRole] = []
    for grant in sorted(grants, key=lambda g: (order.index(g.role), g.id)):
        found = NamedRole(grant.role, places[grant.id], grant.organisation_id)
        if found not in named:
            named.append(found)
    return named
