"""Every trust-critical state against the last value the audit log recorded for it (DESIGN.md
§5), so a state changed behind the application's back, directly in the database, is found.
Marks are reconciled in judging/signoff.py; results, titles, appeals, stages, the blind-code
mapping, worker identity and competition states here. A stored row the log never recorded
(an appeal, a title, a worker, an event's results) is reported too: it was inserted behind the
application's back. Entries of the sealed legacy chain count as recorded.

The blind-code mapping and ID numbers are recorded as keyed digests (keys.keyed_digest), so the
log, which administrators read, does not reveal them; verification compares digests.
"""

import hashlib
import json
from collections.abc import Iterator

import sqlalchemy as sa

from competitions.audit.keys import digest_matches
from competitions.audit.models import LEGACY_CHAIN, AuditEntry
from competitions.audit.services import canonical_json
from competitions.contests.models import Competition, Event
from competitions.extensions import db
from competitions.registration.models import Entry, Worker
from competitions.results.models import Appeal, Result, TitleAward


def _recorded(*actions: str, subject_type: str | None = None) -> Iterator[AuditEntry]:
    """Entries with these actions (a trailing "." matches a prefix), oldest first in each
    chain: a subject's entries all lie in one chain, so its last one comes last."""
    clauses = [AuditEntry.action.startswith(a) if a.endswith(".") else AuditEntry.action == a
               for a in actions]
    stmt = sa.select(AuditEntry).where(sa.or_(*clauses))
    if subject_type:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    legacy_first = sa.case((AuditEntry.chain == LEGACY_CHAIN, 0), else_=1)
    yield from db.session.scalars(
        stmt.order_by(legacy_first, AuditEntry.chain, AuditEntry.chain_seq)
        .execution_options(yield_per=2000))


def _after(entry: AuditEntry) -> dict:
    return json.loads(entry.after) if entry.after else {}


def _differences(recorded: dict, stored: dict, describe) -> list[str]:
    return [f"{describe(key)}: stored {stored.get(key)}, recorded {recorded[key]}"
            for key in sorted(recorded, key=str) if recorded[key] != stored.get(key)]


def _unrecorded(recorded, stored, what: str) -> list[str]:
    """Rows the log never recorded: inserted directly in the database."""
    return [f"{what} {key}: stored but never recorded in the audit log"
            for key in sorted(set(stored) - set(recorded))]


# --- results and awards ---------------------------------------------------------------------

def _awards_field(awards: list[str]) -> str | list[str] | None:
    """A result's awards as digested: one award as its name, as results published before
    results carried several were digested (so their digests still verify), else the list."""
    if len(awards or ()) <= 1:
        return awards[0] if awards else None
    return list(awards)


def results_digest(event_id: int, version: int | None = None) -> str:
    """SHA-256 of one version of the event's stored results (the current one unless asked):
    every published figure, rank and award."""
    which = Result.is_current() if version is None else Result.version == version
    rows = [[r.entry_id, r.rank, r.total, r.theory, r.practical, r.components, r.penalties,
             r.time_used, r.standardised, _awards_field(r.awards)] for r in db.session.scalars(
        sa.select(Result).where(Result.event_id == event_id, which).order_by(Result.entry_id))]
    return hashlib.sha256(canonical_json(rows).encode("utf-8")).hexdigest()


def reconcile_results() -> list[str]:
    """Every stored version of every event's results against the digest recorded when it was
    published. Publications recorded before results kept their versions name none: the last
    of them is the version 1 the migration kept."""
    recorded: dict[tuple[int, int], str] = {}
    for entry in _recorded("results.publish", "results.republish"):
        after = _after(entry)
        if after.get("results"):
            recorded[int(entry.subject_id), after.get("version") or 1] = after["results"]
    stored = {(event_id, version) for event_id, version in db.session.execute(
        sa.select(Result.event_id, Result.version).distinct())}
    versioned = {event_id for event_id, version in stored | set(recorded) if version > 1}

    def which(event_id: int, version: int) -> str:
        return f"event {event_id}" + (f" (version {version})" if event_id in versioned else "")

    problems = [f"{which(*key)}: the stored results (ranks, totals or awards) are not the ones "
                "published" for key, digest in sorted(recorded.items())
                if digest != results_digest(*key)]
    return problems + [f"{which(*key)}: results are stored that were never published"
                       for key in sorted(stored - set(recorded))]


# --- titles ---------------------------------------------------------------------------------

def reconcile_titles() -> list[str]:
    recorded: dict[int, list] = {}
    for entry in _recorded("title.", subject_type="TitleAward"):
        key = int(entry.subject_id)
        if entry.action == "title.recommend":
            after = _after(entry)
            recorded[key] = [after.get("worker_id"), after.get("title"), "pending"]
        elif key in recorded:
            recorded[key][2] = "approved" if entry.action == "title.approve" else "declined"
    stored = {award.id: [award.worker_id, award.title.value, award.state.value]
              for award in db.session.scalars(sa.select(TitleAward))}
    return (_differences(recorded, stored, lambda key: f"title award {key}")
            + _unrecorded(recorded, stored, "title award"))


# --- certificates ---------------------------------------------------------------------------

def reconcile_certificates() -> list[str]:
    """Each certificate as last recorded (issue, review, confirmation, revocation): what it
    says, whose it is and its status."""
    from competitions.certificates.models import Certificate
    from competitions.certificates.services import snapshot

    recorded = {int(entry.subject_id): _after(entry)
                for entry in _recorded("certificate.", subject_type="Certificate")
                if entry.after}
    problems, stored = [], {}
    for cert in db.session.scalars(sa.select(Certificate)):
        stored[cert.id] = current = snapshot(cert)
        if cert.id in recorded:
            problems += _differences(recorded[cert.id], current,
                                     lambda key, cert=cert: f"certificate {cert.serial} {key}")
    return problems + _unrecorded(recorded, stored, "certificate")


# --- promotions ----------------------------------------------------------------------------

def reconcile_promotions() -> list[str]:
    """Each promotion decision (confirmation, decline, certificate) as last recorded; and no
    eligibility decided, nor any level raised by a promotion, without an entry in the log."""
    from competitions.promotion.eligibility import snapshot
    from competitions.promotion.models import (
        EligibilityStatus,
        LevelChange,
        PromotionEligibility,
    )

    recorded = {int(entry.subject_id): _after(entry)
                for entry in _recorded("promotion.confirm", "promotion.decline",
                                       "promotion.certificate", "promotion.flag",
                                       subject_type="PromotionEligibility") if entry.after}
    problems, decided = [], {}
    for eligibility in db.session.scalars(sa.select(PromotionEligibility)):
        current = snapshot(eligibility)
        if eligibility.id in recorded:
            problems += _differences(recorded[eligibility.id], current,
                                     lambda key, e=eligibility: f"promotion {e.id} {key}")
        if eligibility.status is not EligibilityStatus.PENDING:
            decided[eligibility.id] = current
    problems += _unrecorded(recorded, decided, "promotion decision")
    raised = db.session.scalars(sa.select(LevelChange).where(LevelChange.source == "promotion"))
    problems += [f"level change {change.id}: a promotion the log never recorded"
                 for change in raised if change.eligibility_id not in recorded]
    return problems


# --- appeals --------------------------------------------------------------------------------

APPEAL_OUTCOMES = {"appeal.file": "open", "appeal.uphold": "upheld", "appeal.dismiss": "dismissed"}


def reconcile_appeals() -> list[str]:
    recorded: dict[int, list] = {}
    for entry in _recorded(*APPEAL_OUTCOMES, subject_type="Appeal"):
        key = int(entry.subject_id)
        if entry.action == "appeal.file":
            recorded[key] = [_after(entry).get("entry_id"), "open", None]
        elif key in recorded:
            recorded[key][1:] = [APPEAL_OUTCOMES[entry.action], entry.reason]
    stored = {appeal.id: [appeal.entry_id, appeal.status.value, appeal.decision]
              for appeal in db.session.scalars(sa.select(Appeal))}
    return (_differences(recorded, stored, lambda key: f"appeal {key} (entry, status, decision)")
            + _unrecorded(recorded, stored, "appeal"))


# --- stages ---------------------------------------------------------------------------------

def reconcile_stages() -> list[str]:
    """Each event's stage against the last stage its chain recorded."""
    recorded = {}
    stmt = (sa.select(AuditEntry.chain, AuditEntry.after)
            .where(AuditEntry.chain.startswith("event:"), AuditEntry.after.contains('"stage"'))
            .order_by(AuditEntry.chain, AuditEntry.chain_seq))
    for chain, after in db.session.execute(stmt):
        stage = json.loads(after).get("stage")
        if stage:
            recorded[int(chain.partition(":")[2])] = stage
    stored = {event.id: event.stage.value for event in db.session.scalars(
        sa.select(Event).where(Event.id.in_(list(recorded))))} if recorded else {}
    return _differences(recorded, stored, lambda key: f"event {key} stage")


def reconcile_competition_states() -> list[str]:
    """Each competition's state (draft, registration, review…) against the last one recorded."""
    recorded = {}
    for entry in _recorded("competition.", subject_type="Competition"):
        after = _after(entry)
        if "state" in after:
            recorded[int(entry.subject_id)] = after["state"]
    stored = {competition.id: competition.state.value for competition in db.session.scalars(
        sa.select(Competition).where(Competition.id.in_(list(recorded))))} if recorded else {}
    return _differences(recorded, stored, lambda key: f"competition {key} state")


# --- the blind-code mapping -----------------------------------------------------------------

def _same_draw(recorded: str | None, entry: Entry | None) -> bool:
    if entry is None or recorded is None:
        return entry is None and recorded is None
    return digest_matches(recorded, f"{entry.entry_number}|{entry.checkin_code}|"
                                    f"{entry.blind_code}")


def reconcile_blind_codes() -> list[str]:
    recorded: dict[int, dict] = {}
    for entry in _recorded("event.draw", "event.redraw"):
        codes = _after(entry).get("codes")
        if codes is not None:
            recorded[int(entry.subject_id)] = codes
    problems = []
    for event_id, codes in sorted(recorded.items()):
        stored = {str(entry.id): entry for entry in db.session.scalars(
            sa.select(Entry).where(Entry.event_id == event_id, Entry.blind_code.is_not(None)))}
        for entry_id in sorted(set(codes) | set(stored), key=int):
            entry = stored.get(entry_id)
            if not _same_draw(codes.get(entry_id), entry):
                problems.append(f"event {event_id} entry {entry_id}: its entry number, "
                                "check-in code or blind code is not the one drawn")
    return problems


# --- worker identity ------------------------------------------------------------------------

def reconcile_workers() -> list[str]:
    """Name and full ID number of every worker whose profile the log recorded."""
    recorded: dict[int, dict] = {}
    # Imports record their new workers in one entry each; later edits come after them.
    for entry in _recorded("entry.import"):
        for worker_id, (name, id_digest) in _after(entry).get("workers", {}).items():
            recorded[int(worker_id)] = {"name": name, "id_digest": id_digest}
    for entry in _recorded("worker.create", "worker.sign_up", "worker.update",
                           subject_type="Worker"):
        after = _after(entry)
        recorded[int(entry.subject_id)] = {"name": after.get("name"),
                                           "id_digest": after.get("id_digest")}
    # Plain rows, not ORM objects: a province holds a million profiles.
    workers = {row.id: row for row in db.session.execute(
        sa.select(Worker.id, Worker.name, Worker.id_number).execution_options(yield_per=5000))}
    problems = _unrecorded(recorded, workers, "worker")
    for worker_id, values in sorted(recorded.items()):
        worker = workers.get(worker_id)
        if worker is None:
            problems.append(f"worker {worker_id}: recorded but no longer stored")
            continue
        if worker.name != values["name"]:
            problems.append(f"worker {worker_id} name: stored {worker.name}, "
                            f"recorded {values['name']}")
        if values["id_digest"] and not digest_matches(values["id_digest"], worker.id_number):
            problems.append(f"worker {worker_id}: the stored ID number is not the one recorded")
    return problems
