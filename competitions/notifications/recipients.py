"""Who is told at a handover, when it is a role rather than a named person."""

from __future__ import annotations

import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant
from competitions.extensions import db
from competitions.organisations.models import Organisation


def unit_organisers(organisation: Organisation) -> list[int]:
    """The organisers nearest above (or at) `organisation`: a workshop's entry goes to its
    company's union if it has organisers, else to the district's, not to every tier up."""
    grants = db.session.execute(
        sa.select(RoleGrant.user_id, Organisation.path)
        .join(Organisation, Organisation.id == RoleGrant.organisation_id)
        .where(RoleGrant.role == Role.ORGANISER,
               RoleGrant.organisation_id.in_(organisation.ancestor_ids))).all()
    if not grants:
        return []
    nearest = max(len(path) for _, path in grants)
    return sorted({user_id for user_id, path in grants if len(path) == nearest})


def competition_organisers(competition) -> list[int]:
    return unit_organisers(competition.organiser)


def competition_role(competition, role: Role) -> list[int]:
    """Holders of a competition-scoped role (arbitrators, encryption officers)."""
    return sorted(set(db.session.scalars(sa.select(RoleGrant.user_id).where(
        RoleGrant.role == role, RoleGrant.competition_id == competition.id))))


def entrants(entries) -> list[int]:
    """The user accounts of the entries' active members (workers without one are skipped)."""
    return [member.worker.user_id for entry in entries for member in entry.members
            if member.active and member.worker.user_id]
