"""Spreadsheet registration: the columns, validation and confirm step of the shared pipeline
(competitions/spreadsheets/pipeline.py), which stages the file, reads it once and previews it.

Validation loads everything it needs up front (employers named in the file, existing workers,
their titles, the event's nominations and entrants, the employers' ancestors), so a file of any
size up to MAX_ROWS costs the same dozen statements, not one query per row.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from competitions.audit.keys import keyed_digest
from competitions.audit.services import record
from competitions.bulk import Ids, insert_rows
from competitions.contests.models import Event
from competitions.database import utcnow
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.notifications.services import notify
from competitions.organisations.models import Organisation, OrgKind
from competitions.promotion.levels import SkillLevel
from competitions.registration.eligibility import check_eligibility
from competitions.registration.entries import entrant_facts, event_rules, lock_event, quota_unit
from competitions.registration.idcard import InvalidIdNumber, parse_id_number
from competitions.registration.import_sheet import (  # noqa: F401  (re-exported)
    COLUMN_NAMES,
    COLUMNS,
    HEADERS,
    MAX_ROWS,
    ImportRejected,
    as_dicts,
    check_header,
    parse_level,
    read_rows,
    template_workbook,
)
from competitions.registration.models import (
    Entry,
    EntryMember,
    EntryStatus,
    ImportBatch,
    Nomination,
    Worker,
    WorkerTitle,
)
from competitions.registration.services import CERTIFICATE_RE, InvalidWorker, normalise_phone
from competitions.spreadsheets import pipeline
from competitions.spreadsheets.pipeline import (  # noqa: F401  (re-exported)
    MAX_FILE_BYTES,
    Preview,
    RowError,
    can_use,
    check_fields,
    refused_cells,
)


@dataclass
class ImportPlan(Preview):
    """The outcome of validating a file: what would be created, and every error found."""

    new_workers: list[dict] = field(default_factory=list)
    entries: list[tuple[int | dict, Organisation]] = field(default_factory=list)  # worker, unit
    already_registered: int = 0


def _parse_identity(text: str):
    """The parsed ID number, or the InvalidIdNumber explaining why it is not one."""
    if "E+" in text.upper() or "." in text:
        return InvalidIdNumber(_l("This ID number was stored as a number and lost its last "
                                  "digits: format the column as text and type it again."))
    try:
        return parse_id_number(text)
    except InvalidIdNumber as error:
        return error


class _Context:
    """Everything validation needs, loaded once with a fixed number of statements."""

    def __init__(self, event: Event, names: set[str], id_numbers: set[str]):
        competition = event.competition
        self.event, self.competition = event, competition
        self.rules = event_rules(event)
        # Employers named in the file, anywhere in the competition's area; whether the actor
        # may import for each is decided per row, so the message can say which rule failed.
        self.employers: dict[str, list[Organisation]] = {}
        for org in db.session.scalars(sa.select(Organisation).where(
                Organisation.in_subtree(competition.organiser.path),
                Organisation.kind.in_([k for k in OrgKind if k.employs_workers]),
                Organisation.name.in_(names)).order_by(Organisation.id)):
            self.employers.setdefault(org.name, []).append(org)
        self.workers: dict[str, Worker] = {
            w.id_number: w for w in db.session.scalars(
                sa.select(Worker).where(Worker.id_number.in_(id_numbers)))}
        self.entered = set(db.session.scalars(sa.select(EntryMember.worker_id).where(
            EntryMember.event_id == event.id, EntryMember.active)))
        self.nominated = set(db.session.scalars(sa.select(Nomination.worker_id).where(
            Nomination.event_id == event.id)))
        self.titles: dict[int, set[str]] = {}
        if event.barred_titles and self.workers:
            for worker_id, title in db.session.execute(sa.select(
                    WorkerTitle.worker_id, WorkerTitle.title).where(
                    WorkerTitle.worker_id.in_([w.id for w in self.workers.values()]))):
                self.titles.setdefault(worker_id, set()).add(title.value)
        self.unit_counts: dict[int, int] = dict(db.session.execute(
            sa.select(Entry.unit_id, sa.func.count(Entry.id)).where(
                Entry.event_id == event.id,
                Entry.status.in_([s for s in EntryStatus if s.is_active]))
            .group_by(Entry.unit_id)).all())
        employers = [o for orgs in self.employers.values() for o in orgs]
        employers += [w.employer for w in self.workers.values()]
        ancestor_ids = {i for org in employers for i in org.ancestor_ids}
        self.orgs = {org.id: org for org in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_(ancestor_ids)))}

    def unit_for(self, worker) -> Organisation:
        ancestors = [self.orgs[i] for i in worker.employer.ancestor_ids]  # root first
        return quota_unit(worker, self.competition, ancestors)


def _check_cells(actor, context, row) -> tuple[list, dict]:
    """Errors in the identity-independent cells, and the parsed values."""
    errors, values = [], {}
    try:
        values["phone"] = normalise_phone(row["phone"])
    except InvalidWorker as problem:
        errors.append(("phone", problem.message))
    values["skill_level"] = None
    if row["skill_level"]:
        try:
            values["skill_level"] = parse_level(row["skill_level"])
        except ValueError:
            errors.append(("skill_level", _l("%(value)s is not a skill level.",
                                             value=row["skill_level"])))
    certificate = row["skill_certificate_no"].upper() or None
    if certificate and not CERTIFICATE_RE.match(certificate):
        errors.append(("skill_certificate_no",
                       _l("A certificate number is letters and digits only (at most 32).")))
    elif certificate and values["skill_level"] is None and not row["skill_level"]:
        errors.append(("skill_level", _l("Give the skill level that the certificate is for.")))
    values["skill_certificate_no"] = certificate
    if row["employer"]:
        candidates = context.employers.get(row["employer"], [])
        mine = [org for org in candidates if actor.manages(org)]
        if not candidates:
            errors.append(("employer", _l("%(name)s is not an enterprise or school in this "
                                          "competition's area.", name=row["employer"])))
        elif not mine:
            errors.append(("employer", _l("%(name)s is not one of the units you manage.",
                                          name=row["employer"])))
        elif len(mine) > 1:
            errors.append(("employer", _l("Several units are named %(name)s; ask the "
                                          "organiser to rename one.", name=row["employer"])))
        else:
            values["employer"] = mine[0]
    return errors, values


def _check_existing(actor, existing: Worker, row, employer) -> tuple | None:
    """Why a known worker cannot be imported from this row, as (column, message), or None."""
    if existing.name != row["name"]:
        return "name", _l("This ID number is registered to %(name)s.", name=existing.name)
    if not actor.manages(existing.employer):
        return "employer", _l("This worker belongs to %(unit)s, which you do not manage.",
                              unit=existing.employer.name)
    if existing.employer_id != employer.id:
        return "employer", _l("This worker's profile says %(unit)s; correct the file or the "
                              "profile.", unit=existing.employer.name)
    return None


def validate_rows(actor, event: Event, rows: list[tuple[int, dict]]) -> ImportPlan:
    """Check every row; collect every error by row and column; plan what to create."""
    plan = ImportPlan(rows=len(rows))
    plan.refuse_empty()
    rows = _clean_rows(rows, plan)
    identities = {number: _parse_identity(row["id_number"])
                  for number, row in rows if row["id_number"]}
    context = _Context(event, {row["employer"] for _n, row in rows if row["employer"]},
                       {i.number for i in identities.values() if not isinstance(i, Exception)})
    seen: dict[str, int] = {}
    new_per_unit: dict[int, int] = {}

    def error(number, key, message):
        plan.errors.append(RowError(number, COLUMN_NAMES[key], message))

    for number, row in rows:
        # The profile form's rules first: a cell it would refuse is reported once, as it is.
        field_errors = check_fields(number, row, COLUMNS)
        plan.errors += field_errors
        broken = {e.column for e in field_errors}
        problems = []
        identity = identities.get(number)
        if isinstance(identity, InvalidIdNumber):
            problems.append(("id_number", identity.message))
            identity = None
        if identity is not None and identity.number in seen:
            error(number, "id_number", _l("The same ID number is already on row %(row)d.",
                                          row=seen[identity.number]))
            continue
        if identity is not None:
            seen[identity.number] = number
        cell_errors, values = _check_cells(actor, context, row)
        problems = [(key, message) for key, message in problems + cell_errors
                    if COLUMN_NAMES[key] not in broken]
        if problems or identity is None or broken:
            for key, message in problems:
                error(number, key, message)
            continue
        employer = values["employer"]
        existing = context.workers.get(identity.number)
        if existing is not None:
            problem = _check_existing(actor, existing, row, employer)
            if problem:
                error(number, *problem)
                continue
            if existing.id in context.entered:
                plan.already_registered += 1
                continue
            subject = existing
            facts = entrant_facts(existing, frozenset(context.titles.get(existing.id, ())),
                                  existing.id in context.nominated)
            worker_ref = existing.id
        else:
            worker_ref = {"name": row["name"], "id_number": identity.number,
                          "birth_date": identity.birth_date, "sex": identity.sex,
                          "phone": values["phone"], "employer_id": employer.id,
                          "skill_level": values["skill_level"],
                          "skill_certificate_no": values["skill_certificate_no"],
                          # Someone registered for a student event is a student, and so on.
                          "group": event.group}
            subject = _Probe(identity, values["skill_level"], employer, event.group)
            facts = entrant_facts(subject, frozenset(), False)
        refusals = check_eligibility(facts, context.rules)
        if refusals:
            error(number, "id_number", " ".join(str(r) for r in refusals))
            continue
        unit = context.unit_for(subject)
        new_per_unit[unit.id] = new_per_unit.get(unit.id, 0) + 1
        quota = event.quota_per_org
        if quota is not None and context.unit_counts.get(unit.id, 0) + new_per_unit[unit.id] \
                > quota:
            error(number, "employer", _l("%(unit)s has used its quota of %(n)d for this event.",
                                         unit=unit.name, n=quota))
            continue
        if isinstance(worker_ref, dict):
            plan.new_workers.append(worker_ref)
        plan.entries.append((worker_ref, unit))
    if event.capacity is not None:
        taken = sum(context.unit_counts.values())
        if taken + len(plan.entries) > event.capacity:
            plan.errors.append(RowError(0, "", _l(
                "The event has %(free)d free places; the file would add %(n)d entries.",
                free=max(0, event.capacity - taken), n=len(plan.entries))))
    order = {header: index for index, header in enumerate(HEADERS)}
    plan.errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))
    return plan


def _clean_rows(rows: list[tuple[int, dict]], plan: ImportPlan) -> list[tuple[int, dict]]:
    """The rows whose cells hold only storable text; each refused cell becomes an error (and
    its row is checked no further, so no query ever sees a NUL)."""
    clean = []
    for number, row in rows:
        refused = refused_cells(number, {COLUMN_NAMES[key]: text for key, text in row.items()})
        plan.errors += refused
        if not refused:
            clean.append((number, row))
    return clean


@dataclass
class _Probe:
    """A not-yet-saved worker: enough for the eligibility and quota-unit rules."""

    identity: object
    skill_level: SkillLevel | None
    employer: Organisation
    group: object

    @property
    def birth_date(self):
        return self.identity.birth_date

    @property
    def sex(self):
        return self.identity.sex


def can_import(user, event: Event) -> bool:
    """The competition's organisers, and organisers of units inside its area (for their own
    units only: validation accepts only employers the importer manages)."""
    if not user.is_authenticated:
        return False
    if event.competition.can_manage(user):
        return True
    area = event.competition.organiser.path
    return any(path.startswith(area) for path in user.organiser_paths)


def check_importable(event: Event, now=None) -> None:
    """Refuse when the event cannot take a spreadsheet now (closed, or a team event)."""
    if event.team_size > 1:
        raise ImportRejected(_l("Team events cannot be imported from a spreadsheet."))
    if not event.competition.is_registration_open(now or utcnow()):
        raise ImportRejected(_l("Registration for %(name)s is not open.",
                                name=event.competition.name))


def stage_upload(actor, event: Event, filename: str, content: bytes) -> ImportBatch:
    """Read the file once and keep it with its rows until it is confirmed; a file that is no
    workbook, breaks a bound or has another header is refused here."""
    if not can_import(actor, event):
        raise PermissionDenied(_l("You cannot import registrations for this event."))
    return pipeline.stage(ImportBatch, actor, event, filename, content, check_header)


def can_use_batch(user, batch: ImportBatch) -> bool:
    return can_use(user, batch)


def preview(actor, batch: ImportBatch) -> ImportPlan:
    """Validate the rows kept at upload against the event as it is now."""
    header, rows = pipeline.kept_rows(batch)
    check_header(header)
    return validate_rows(actor, batch.event, as_dicts(rows))


def confirm(actor, batch: ImportBatch, now=None) -> ImportPlan:
    """Validate again and import everything in one go, or nothing at all.

    On a refusal the caller must roll back: the batch and the event row are already claimed.
    """
    if not can_use_batch(actor, batch) or not can_import(actor, batch.event):
        raise PermissionDenied(_l("You cannot import this file."))
    now = now or utcnow()
    pipeline.claim(ImportBatch, batch, now)
    event = batch.event
    check_importable(event, now)
    # Lock the event before counting places, so quotas and capacity hold against
    # registrations arriving meanwhile.
    lock_event(event)
    plan = preview(actor, batch)
    if not plan.ok:
        raise ImportRejected(_l("The file has errors; nothing was imported."))
    worker_ids = _insert(actor, event, plan)
    # The new workers' identities, as worker.create records one: the name, and the ID number
    # as a keyed digest only (docs/audit.md), so `flask audit verify` checks them later.
    record(actor, "entry.import", event, after={
        "file": batch.filename, "sha256": batch.sha256, "rows": plan.rows,
        "new_workers": len(plan.new_workers), "entries": len(plan.entries),
        "already_registered": plan.already_registered,
        "workers": {worker_ids[w["id_number"]]: [w["name"], keyed_digest(w["id_number"])]
                    for w in plan.new_workers}})
    pipeline.release(batch)
    return plan


def _insert(actor, event: Event, plan: ImportPlan) -> dict[str, int]:
    """Bulk-insert the planned workers, entries and members. Returns the new workers' ids by
    ID number.

    The ids are drawn first (one statement a table: the table's own sequence on PostgreSQL),
    so rows name their parents directly and go in by COPY (bulk.insert_rows). The multi-row
    INSERT ... RETURNING this replaced spent two thirds of a 10,000-row import in psycopg
    parsing its placeholders."""
    ids = Ids()
    worker_ids = {}
    if plan.new_workers:
        drawn = ids.take(Worker.__table__, len(plan.new_workers))
        rows = [{**worker, "id": worker_id}
                for worker, worker_id in zip(plan.new_workers, drawn, strict=True)]
        insert_rows(Worker.__table__, rows)
        worker_ids = {row["id_number"]: row["id"] for row in rows}
    if not plan.entries:
        return worker_ids
    entry_ids = ids.take(Entry.__table__, len(plan.entries))
    insert_rows(Entry.__table__, [
        {"id": entry_id, "event_id": event.id, "unit_id": unit.id,
         "status": EntryStatus.PENDING_APPROVAL, "registered_by_id": actor.id,
         "endorsed_by_id": actor.id}
        for entry_id, (_ref, unit) in zip(entry_ids, plan.entries, strict=True)])
    members = [{"entry_id": entry_id, "event_id": event.id, "is_leader": True, "active": True,
                "worker_id": worker_ids[ref["id_number"]] if isinstance(ref, dict) else ref}
               for entry_id, (ref, _unit) in zip(entry_ids, plan.entries, strict=True)]
    insert_rows(EntryMember.__table__, members)
    # Workers who already had an account hear about their new entry; new workers have none.
    existing = {m["worker_id"]: m["entry_id"] for m, (ref, _u) in zip(
        members, plan.entries, strict=True) if not isinstance(ref, dict)}
    if existing:
        for worker_id, user_id in db.session.execute(
                sa.select(Worker.id, Worker.user_id).where(
                    Worker.id.in_(existing), Worker.user_id.is_not(None))):
            notify(user_id, "entry_status", entry_id=existing[worker_id], event=event.name,
                   status=EntryStatus.PENDING_APPROVAL.value)
    return worker_ids
