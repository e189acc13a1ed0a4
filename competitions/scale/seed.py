"""`seed_province`: the scale province, generated and inserted in batches (bounded memory)."""

from __future__ import annotations

import contextlib
import random
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from competitions.accounts.models import SYSTEM
from competitions.audit.services import record
from competitions.bulk import Ids
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.promotion.catalogue import ensure_occupations
from competitions.promotion.models import Occupation
from competitions.registration.models import Worker
from competitions.scale.contests import Contests
from competitions.scale.drills import Drills
from competitions.scale.people import stored_numbers, write_workers
from competitions.scale.tree import organisation_count, plan_tree, write_tree

YEARS = 3


class DatabaseNotEmpty(DomainError):
    def __init__(self):
        super().__init__(_l("The database already holds organisations or workers; scale data "
                            "goes into an empty database (or add --force)."))


@dataclass(frozen=True)
class ScaleSummary:
    seed: int
    years: tuple[int, ...]
    organisations: int
    workers: int
    competitions: int
    events: int
    entries: int
    entry_members: int
    results: int
    nominations: int
    titles: int
    promotions: int
    drills: int
    drill_places: int
    province_id: int


class _Quiet:
    def update(self, n: int) -> None:
        pass


@contextlib.contextmanager
def _no_progress(length: int, label: str):
    yield _Quiet()


def holds_data() -> bool:
    return any(db.session.scalar(sa.select(model.id).limit(1)) is not None
               for model in (Organisation, Worker))


def seed_province(*, workers: int = 1_000_000, seed: int = 17, last_year: int,
                  force: bool = False, progress=_no_progress) -> ScaleSummary:
    """Generate and insert the scale province; flush, never commit. `progress(length=, label=)`
    is a context manager with update(n), as click.progressbar; entries are about a tenth of
    the workers, organisations a hundredth (organisation_count)."""
    if holds_data() and not force:
        raise DatabaseNotEmpty()
    rng = random.Random(seed)
    ids = Ids()
    years = tuple(range(last_year - YEARS + 1, last_year + 1))
    ensure_occupations(SYSTEM)
    occupations = {name: id_ for name, id_ in db.session.execute(
        sa.select(Occupation.name, Occupation.id))}
    province = plan_tree(rng, ids, workers=workers)
    with progress(length=organisation_count(workers), label="Organisations") as bar:
        organisations = write_tree(province, last_year, bar.update)
    taken = stored_numbers() if force else set()
    with progress(length=workers, label="Workers") as bar:
        workforce = write_workers(rng, ids, province, occupations, last_year, taken=taken,
                                  step=bar.update)
    target = workers // 10
    with progress(length=target, label="Entries") as bar:
        contests = Contests(rng, ids, province, workforce, occupations, bar.update)
        drills = Drills(rng, ids, province, workforce, occupations)
        for i, year in enumerate(years):
            share = target // YEARS + (target % YEARS if i == YEARS - 1 else 0)
            contests.write_year(year, share)
            drills.write_year(year)
        contests.flush()
        drills.flush()
    summary = ScaleSummary(
        seed=seed, years=years, organisations=organisations, workers=len(workforce.ids),
        competitions=contests.competitions.count, events=contests.events.count,
        entries=contests.entries.count, entry_members=contests.members.count,
        results=contests.results.count, nominations=contests.nominations.count,
        titles=contests.titles.count, promotions=contests.promotions.count,
        drills=drills.drills.count, drill_places=drills.places.count, province_id=province.id)
    # One entry for the whole fixture, none per row: see docs/evaluation.md, "Scale".
    record(SYSTEM, "scale.seed", ("Organisation", province.id),
           after={k: v for k, v in asdict(summary).items() if k != "years"} |
           {"years": list(years)})
    return summary


def analyse() -> bool:
    """Update the planner's statistics of every table, now. Bulk inserts leave them behind
    until autovacuum catches up, and without them PostgreSQL takes a 10,000-unit subtree for a
    handful of rows and nests loops over it (the province's evaluation took 3 s instead of
    1 s). False when this database user does not own the tables (PostgreSQL then skips them)."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(sa.text(
        "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
        "WHERE oid = 'workers'::regclass")))
