"""Creating, renaming and moving organisations; subtree queries."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from competitions.audit.services import record
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier


class TreeCycle(DomainError):
    pass


class TierAboveParent(DomainError):
    pass


def _snapshot(org: Organisation) -> dict:
    return {"name": org.name, "kind": org.kind, "tier": org.tier, "parent_id": org.parent_id}


def _check_tier(tier: Tier, parent: Organisation | None) -> None:
    if parent is not None and parent.tier < tier:
        raise TierAboveParent(
            _l("An organisation cannot be of a higher tier (%(tier)s) than its parent "
               "%(parent)s (%(parent_tier)s).",
               tier=tier.label, parent=parent.name, parent_tier=parent.tier.label),
            field="tier")


def create_organisation(actor, *, name: str, kind: OrgKind, tier: Tier,
                        parent: Organisation | None) -> Organisation:
    """Create an organisation under `parent` (only admins create roots)."""
    if parent is None:
        if not actor.is_admin:
            raise PermissionDenied(_l("Only a platform administrator can create a top-level "
                                      "organisation."))
    elif not actor.manages(parent):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=parent.name))
    _check_tier(tier, parent)
    org = Organisation(name=name.strip(), kind=kind, tier=tier, parent=parent)
    db.session.add(org)
    db.session.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    record(actor, "organisation.create", org, after=_snapshot(org))
    return org


def update_organisation(actor, org: Organisation, *, name: str, kind: OrgKind,
                        tier: Tier) -> Organisation:
    if not actor.manages(org):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=org.name))
    _check_tier(tier, org.parent)
    lower = db.session.scalar(
        sa.select(Organisation).where(Organisation.parent_id == org.id,
                                      Organisation.tier.in_([t for t in Tier if tier < t]))
        .limit(1))
    if lower is not None:
        raise TierAboveParent(
            _l("%(child)s is of a higher tier than %(tier)s.", child=lower.name,
               tier=tier.label), field="tier")
    before = _snapshot(org)
    org.name, org.kind, org.tier = name.strip(), kind, tier
    if before != _snapshot(org):
        record(actor, "organisation.update", org, before=before, after=_snapshot(org))
    return org


def move_organisation(actor, org: Organisation, new_parent: Organisation) -> Organisation:
    """Re-parent `org` with its whole subtree; refuse cycles and moves outside the actor's reach."""
    if not (actor.manages(org) and actor.manages(new_parent)):
        raise PermissionDenied(_l("You can only move organisations within your own subtree."))
    if org.parent_id is None and not actor.is_admin:
        raise PermissionDenied(_l("Only a platform administrator can move a top-level "
                                  "organisation."))
    if new_parent.is_within(org):
        raise TreeCycle(
            _l("%(target)s lies inside %(name)s, so %(name)s cannot move under it.",
               target=new_parent.name, name=org.name), field="parent")
    _check_tier(org.tier, new_parent)
    if org.parent_id == new_parent.id:
        return org
    before = _snapshot(org)
    old_path = org.path
    new_path = new_parent.path + f"{org.id}/"
    low, high = Organisation.subtree_bounds(old_path)
    db.session.execute(
        sa.update(Organisation)
        .where(Organisation.path >= low, Organisation.path < high)
        .values(path=sa.literal(new_path) + sa.func.substr(Organisation.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)
    )
    org.parent = new_parent
    db.session.flush()
    db.session.expire_all()
    record(actor, "organisation.move", org, before=before,
           after={**_snapshot(org), "path": new_path})
    return org


def subtree_query(root: Organisation):
    """Every organisation in `root`'s subtree (root included), as one indexed range scan."""
    return sa.select(Organisation).where(Organisation.in_subtree(root.path))


def count_subtree(root: Organisation) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Organisation)
        .where(Organisation.in_subtree(root.path)))


def managed_roots(user) -> list[Organisation]:
    """The top organisations a user manages: every root for admins, else their grants' orgs."""
    if user.is_admin:
        stmt = sa.select(Organisation).where(Organisation.parent_id.is_(None))
        return list(db.session.scalars(stmt.order_by(Organisation.name)))
    orgs = sorted({g.organisation for g in user.grants if g.organisation is not None},
                  key=lambda o: o.path)
    # Drop organisations that lie inside another granted one.
    return [o for o in orgs if not any(o is not p and o.is_within(p) for p in orgs)]


def search_organisations(query: str = "", *, within: list[str] | None = None,
                         employers_only: bool = False, limit: int = 50) -> list[Organisation]:
    """Organisations whose name contains `query`, optionally limited to subtrees and employers."""
    stmt = sa.select(Organisation)
    if query:
        stmt = stmt.where(Organisation.name.contains(query.strip(), autoescape=True))
    if within is not None:
        stmt = stmt.where(Organisation.in_any_subtree(within))
    if employers_only:
        stmt = stmt.where(Organisation.kind.in_([k for k in OrgKind if k.employs_workers]))
    return list(db.session.scalars(stmt.order_by(Organisation.name).limit(limit)))
