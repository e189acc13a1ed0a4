"""Creating, renaming and moving organisations; subtree queries."""

from dataclasses import astuple, dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from stdnum import numdb

from competitions.accounts.models import Role, RoleGrant, User
from competitions.audit.services import record
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.industries import SECTIONS
from competitions.organisations.models import (
    EnterpriseSize,
    Organisation,
    OrgKind,
    Ownership,
    Tier,
)

MAX_WORKFORCE = 10_000_000
FIRST_WORKFORCE_YEAR = 1990


class TreeCycle(DomainError):
    pass


class TierAboveParent(DomainError):
    pass


@dataclass(frozen=True)
class Profile:
    """What the effectiveness evaluation needs of an employing unit, each part optional."""

    workforce: int | None = None  # 职工人数
    workforce_year: int | None = None  # the year it was counted
    industry: str | None = None  # GB/T 4754 section letter
    ownership: Ownership | None = None
    size: EnterpriseSize | None = None

    @classmethod
    def of(cls, org: Organisation) -> "Profile":
        return cls(org.workforce, org.workforce_year, org.industry, org.ownership, org.size)

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in astuple(self))


def _snapshot(org: Organisation) -> dict:
    return {"name": org.name, "kind": org.kind, "tier": org.tier, "parent_id": org.parent_id,
            "region_code": org.region_code, "workforce": org.workforce,
            "workforce_year": org.workforce_year, "industry": org.industry,
            "ownership": org.ownership, "size": org.size}


def check_profile(kind: OrgKind, profile: Profile) -> Profile:
    """The profile, checked: only employing units record one; every problem is reported."""
    if not kind.employs_workers:
        if not profile.is_empty:
            field = next(name for name, value in vars(profile).items() if value is not None)
            raise DomainError(_l("Only enterprises and schools record a workforce, industry, "
                                 "ownership or size: a %(kind)s records none.",
                                 kind=kind.label), field=field)
        return profile
    problems = []
    if profile.workforce is not None and not 0 <= profile.workforce <= MAX_WORKFORCE:
        problems.append(DomainError(_l("The workforce is a number from 0 to %(n)s.",
                                       n=f"{MAX_WORKFORCE:,}"), field="workforce"))
    last_year = utcnow().year + 1
    if (profile.workforce_year is not None
            and not FIRST_WORKFORCE_YEAR <= profile.workforce_year <= last_year):
        problems.append(DomainError(_l("The year counted is between %(first)d and %(last)d.",
                                       first=FIRST_WORKFORCE_YEAR, last=last_year),
                                    field="workforce_year"))
    if profile.workforce is not None and profile.workforce_year is None:
        problems.append(DomainError(_l("Give the year the workforce was counted."),
                                    field="workforce_year"))
    if profile.industry is not None and profile.industry not in SECTIONS:
        problems.append(DomainError(_l("Choose an industry section (GB/T 4754)."),
                                    field="industry"))
    DomainError.raise_all(problems)
    return profile


def _apply_profile(org: Organisation, profile: Profile) -> None:
    (org.workforce, org.workforce_year, org.industry, org.ownership,
     org.size) = astuple(profile)


def update_profile(actor, org: Organisation, profile: Profile) -> Organisation:
    """Record `org`'s workforce, industry, ownership and size (the organisation data import)."""
    if not actor.manages(org):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=org.name))
    check_profile(org.kind, profile)
    before = _snapshot(org)
    _apply_profile(org, profile)
    if before != _snapshot(org):
        record(actor, "organisation.update", org, before=before, after=_snapshot(org))
    return org


def check_region_code(code: str | None) -> str | None:
    """A GB/T 2260 administrative division code (six digits) that python-stdnum knows, or None."""
    code = (code or "").strip() or None
    if code is None:
        return None
    if not (len(code) == 6 and code.isdigit() and code != "000000"
            and any(info for _, info in numdb.get("cn/loc").info(code)[1:])):
        raise DomainError(_l("%(code)s is not an administrative region code (GB/T 2260, six "
                             "digits, e.g. 320100).", code=code), field="region_code")
    return code


def region_of(org: Organisation) -> str | None:
    """The region code of `org` or of its nearest ancestor that has one."""
    if org.region_code:
        return org.region_code
    ids = org.ancestor_ids[:-1]
    if not ids:
        return None
    codes = dict(db.session.execute(sa.select(Organisation.id, Organisation.region_code)
                                    .where(Organisation.id.in_(ids))).all())
    return next((codes[i] for i in reversed(ids) if codes.get(i)), None)


def _check_tier(tier: Tier, parent: Organisation | None, field: str = "tier") -> None:
    if parent is not None and parent.tier < tier:
        raise TierAboveParent(
            _l("An organisation cannot be of a higher tier (%(tier)s) than its parent "
               "%(parent)s (%(parent_tier)s).",
               tier=tier.label, parent=parent.name, parent_tier=parent.tier.label),
            field=field)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("An organisation needs a name."), field="name")
    return name


def _lock_paths(org: Organisation) -> None:
    """Make other writers of the tree wait for this transaction, then re-read what it reads.

    A move rewrites a whole subtree's paths in one UPDATE. Without this, a second move checked
    against paths read before the first commits can close a cycle, and a child created from a
    parent path read before the move commits keeps the old path.
    """
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # Conflicts with itself and with the ROW EXCLUSIVE lock every INSERT/UPDATE takes,
        # while plain reads go on.
        db.session.execute(sa.text("LOCK TABLE organisations IN SHARE ROW EXCLUSIVE MODE"))
    else:
        # SQLite: a transaction's first write takes the database's single write lock.
        db.session.execute(sa.update(Organisation).where(Organisation.id == org.id)
                           .values(path=Organisation.path)
                           .execution_options(synchronize_session=False))
    db.session.expire_all()


def create_organisation(actor, *, name: str, kind: OrgKind, tier: Tier,
                        parent: Organisation | None,
                        region_code: str | None = None) -> Organisation:
    """Create an organisation under `parent` (only admins create roots)."""
    if parent is None:
        if not actor.is_admin:
            raise PermissionDenied(_l("Only a platform administrator can create a top-level "
                                      "organisation."))
    elif not actor.manages(parent):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=parent.name))
    _check_tier(tier, parent)
    org = Organisation(name=_clean_name(name), kind=kind, tier=tier, parent=parent,
                       region_code=check_region_code(region_code))
    db.session.add(org)
    db.session.flush()
    if parent is not None:
        # Read the parent's path only now that the INSERT holds its lock: a move of this branch
        # either committed before it (we see the new path) or waits for us (and rewrites ours).
        db.session.refresh(parent, ["path"])
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    record(actor, "organisation.create", org, after=_snapshot(org))
    return org


def update_organisation(actor, org: Organisation, *, name: str, kind: OrgKind,
                        tier: Tier, region_code: str | None = None,
                        profile: Profile | None = None) -> Organisation:
    """Rename or re-classify `org`; its tier stays within its parent's and above its children's.
    `profile` None keeps an employing unit's profile; a unit that stops employing loses it."""
    if not actor.manages(org):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=org.name))
    if profile is None:
        profile = Profile.of(org) if kind.employs_workers else Profile()
    check_profile(kind, profile)
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
    org.name, org.kind, org.tier = _clean_name(name), kind, tier
    org.region_code = check_region_code(region_code)
    _apply_profile(org, profile)
    if before != _snapshot(org):
        record(actor, "organisation.update", org, before=before, after=_snapshot(org))
    return org


def move_organisation(actor, org: Organisation, new_parent: Organisation) -> Organisation:
    """Re-parent `org` with its whole subtree; refuse cycles and moves outside the actor's reach."""
    _lock_paths(org)
    if not actor.manages(org):
        raise PermissionDenied(_l("You can only move organisations within your own subtree."))
    if not actor.manages(new_parent):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=new_parent.name),
                               field="parent")
    if org.parent_id is None and not actor.is_admin:
        raise PermissionDenied(_l("Only a platform administrator can move a top-level "
                                  "organisation."))
    if new_parent.id == org.id:
        raise TreeCycle(_l("%(name)s cannot move under itself.", name=org.name), field="parent")
    if new_parent.is_within(org):
        raise TreeCycle(
            _l("%(target)s lies inside %(name)s, so %(name)s cannot move under it.",
               target=new_parent.name, name=org.name), field="parent")
    _check_tier(org.tier, new_parent, field="parent")
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
    # Only organiser grants confer management (User.manages); other organisation-scoped roles
    # such as HR officer do not.
    orgs = sorted({g.organisation for g in user.grants
                   if g.role is Role.ORGANISER and g.organisation is not None},
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


def ancestors_of(org: Organisation) -> list[Organisation]:
    """The organisations above `org`, root first, in one query over its path's ids."""
    ids = org.ancestor_ids[:-1]
    if not ids:
        return []
    found = {o.id: o for o in db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def child_counts(parent_ids: list[int]) -> dict[int, int]:
    """How many direct children each of `parent_ids` has, in one grouped query."""
    if not parent_ids:
        return {}
    rows = db.session.execute(
        sa.select(Organisation.parent_id, sa.func.count())
        .where(Organisation.parent_id.in_(parent_ids)).group_by(Organisation.parent_id))
    return dict(rows.tuples().all())


def first_children(parent_ids: list[int], limit: int) -> dict[int, list[Organisation]]:
    """The first `limit` children (by name) of each parent, in one windowed query."""
    if not parent_ids:
        return {}
    rank = sa.func.row_number().over(partition_by=Organisation.parent_id,
                                     order_by=(Organisation.name, Organisation.id))
    ranked = (sa.select(Organisation.id, rank.label("rank"))
              .where(Organisation.parent_id.in_(parent_ids)).subquery())
    stmt = (sa.select(Organisation).join(ranked, ranked.c.id == Organisation.id)
            .where(ranked.c.rank <= limit).order_by(Organisation.name, Organisation.id))
    children: dict[int, list[Organisation]] = {i: [] for i in parent_ids}
    for child in db.session.scalars(stmt):
        children[child.parent_id].append(child)
    return children


def organisers_of(org: Organisation) -> list[RoleGrant]:
    """The organiser grants held at `org` itself (not inherited from above), with their users."""
    return list(db.session.scalars(
        sa.select(RoleGrant).join(RoleGrant.user)
        .where(RoleGrant.role == Role.ORGANISER, RoleGrant.organisation_id == org.id)
        .options(contains_eager(RoleGrant.user)).order_by(User.username)))
