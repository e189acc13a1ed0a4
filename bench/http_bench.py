"""The HTTP benchmarks of `make bench` (docs/benchmarks.md), each measured against gunicorn
with its load from bench/load.py in a process of its own, and checked in the database after:

- results_page: GETs of the 1,000-entry event's public results page, against a bare Flask
  view rendering the same table from a constant list (bench/reference_app.py);
- mark_save: judges of 10 events saving score sheets, at saturation and at an offered rate;
- entry_burst: a thousand signed-in workers registering across 100 events at once, then every
  quota checked;
and the reference of the last two: single-row ORM insert transactions straight to the database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from bench_line import figure, rate_ratio  # bench/bench_line.py
from fixtures import PASSWORD, BurstFixture, ScoringFixture, client_address  # bench/fixtures.py
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from competitions.accounts.models import User
from competitions.audit.services import verify_one_chain
from competitions.contests.models import Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging.models import Mark, ScoreSheet, SheetStatus
from competitions.judging.scoring import two_places
from competitions.registration.models import Entry, EntryMember, Worker
from competitions.results.exports import component_names, result_rows

BENCH = Path(__file__).resolve().parent


@dataclass
class Line:
    """One `BENCH <name> <value> <unit> ratio=<r>` line, with figures after it if any."""

    name: str
    value: float
    unit: str
    ratio: float
    extra: str = ""

    def __str__(self) -> str:
        return (f"BENCH {self.name} {figure(self.value)} {self.unit} "
                f"ratio={figure(self.ratio)}{' ' + self.extra if self.extra else ''}")


def say(label: str, text: str) -> None:
    print(f"  {label:<34} {text}", flush=True)


def latency(figures: dict) -> str:
    if not figures.get("n"):
        return "no samples"
    return (f"p50 {figures['p50']:.1f} ms  p95 {figures['p95']:.1f} ms  "
            f"p99 {figures['p99']:.1f} ms  max {figures['max']:.1f} ms  (n={figures['n']:,})")


def run_load(spec: dict, limit: float) -> dict:
    """Run bench/load.py on `spec` in a process of its own; its progress goes to stderr."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(spec, out)
    try:
        done = subprocess.run([sys.executable, str(BENCH / "load.py"), out.name],
                              stdout=subprocess.PIPE, text=True, timeout=limit, check=False)
    finally:
        os.unlink(out.name)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"bench/load.py ({spec['scenario']}) exited with {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class People:
    """Hands out the simulated people's own client addresses, none twice in a run."""

    def __init__(self):
        self.count = 0

    def address(self) -> str:
        self.count += 1
        return client_address(self.count)


# --- results_page -----------------------------------------------------------------------------

def write_reference_rows(event_id: int, path: Path) -> int:
    """The event's public table as the product shows it (Chinese, names masked, every cell
    formatted), for bench/reference_app.py. Returns the number of rows."""
    event = db.session.get(Event, event_id)
    with current_app.test_request_context(), force_locale("zh"):
        rows = result_rows(event)
        components = component_names(rows)
        notes = {"time_used": _("Equal total: ranked by time used")}
        other = _("Equal total: ranked by the tie-break order")
        table = []
        for n, row in enumerate(rows):
            following = rows[n + 1].decided_by if n + 1 < len(rows) else None
            broken_by = row.decided_by or following
            scores = dict(row.components)
            table.append({
                "rank": row.rank, "name": row.masked_name, "employer": row.employer,
                "nominated_by": (_("Nominated by %(unit)s", unit=row.unit)
                                 if row.unit != row.employer else ""),
                "scores": [two_places(scores.get(name)) for name in components],
                "total": two_places(row.total), "standardised": row.standardised,
                "awards": " · ".join(str(award.label) for award in row.awards),
                "note": notes.get(broken_by, other) if broken_by else ""})
        data = {"title": f"{event.name} · {_('Results')}", "components": components,
                "headers": {"rank": _("Rank"), "name": _("Name"), "employer": _("Employer"),
                            "total": _("Total"), "standardised": _("Standardised score"),
                            "award": _("Award")},
                "rows": table}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return len(table)


def results_page(product: str, reference: str, event_id: int, *, clients: int, seconds: float,
                 warmup: float, rounds: int) -> Line:
    """Requests/s of the public results page and of the reference, in alternating rounds so
    that a change in the machine's other load falls on both."""
    served = {"product": [0, 0.0], "reference": [0, 0.0]}
    targets = [("reference", reference, "/"),
               ("product", product, f"/events/{event_id}/results")]
    for round_ in range(rounds):
        for name, base, path in (targets if round_ % 2 == 0 else targets[::-1]):
            result = run_load({"scenario": "pages", "base": base, "path": path,
                               "clients": clients, "seconds": seconds, "warmup": warmup},
                              limit=warmup + seconds + 120)
            served[name][0] += result["ok"]
            served[name][1] += result["seconds"]
            others = {s: n for s, n in result["statuses"].items() if s != "200"}
            say(f"{name} round {round_ + 1}",
                f"{result['per_second']:7.1f} req/s  {latency(result['latency'])}  "
                f"{result['bytes']:,} bytes" + (f"  errors {others}" if others else ""))
    product_rate, reference_rate = (served[k][0] / served[k][1] for k in ("product",
                                                                         "reference"))
    return Line("results_page", product_rate, "req/s", rate_ratio(product_rate, reference_rate),
                f"reference={figure(reference_rate)}req/s")


# --- the ORM reference ------------------------------------------------------------------------

class ScratchBase(DeclarativeBase):
    pass


class ScratchRow(ScratchBase):
    """A row of the reference's own table, beside the app's."""

    __tablename__ = "bench_scratch_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def insert_transactions(seconds: float, limit: int = 500_000) -> tuple[int, float]:
    """Single-row ORM insert transactions (add, commit) in a loop on the app's own session
    and engine, for `seconds`: (transactions, seconds taken)."""
    ScratchBase.metadata.create_all(db.engine)
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while count < limit and time.perf_counter() < deadline:
        db.session.add(ScratchRow(n=count, note="单行插入基准"))
        db.session.commit()
        count += 1
    return count, time.perf_counter() - started


# --- mark_save --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MarkResult:
    saturation: float  # saves/s
    p99_at_rate: float  # ms, from when each save was due
    rate: int
    achieved: float  # saves/s served at the offered rate
    unserved: int  # saves due at the offered rate and not served in time (see bench/load.py)

    def figures(self) -> str:
        return (f"p99_at_{self.rate}={figure(self.p99_at_rate)}ms "
                f"served_at_{self.rate}={figure(self.achieved)}/s"
                + (f" not_served={self.unserved}" if self.unserved else ""))


def mark_save(base: str, fixture: ScoringFixture, people: People, *, warmup: float,
              seconds: float, open_seconds: float, rate: int, drafts: int,
              grace: float = 10) -> MarkResult:
    judges = [{"username": name, "event_id": event_id, "address": people.address()}
              for name, event_id in fixture.judges]
    result = run_load({"scenario": "marks", "base": base, "password": PASSWORD,
                       "judges": judges, "drafts": drafts, "warmup": warmup,
                       "seconds": seconds, "open_seconds": open_seconds, "rate": rate,
                       "grace": grace}, limit=warmup + seconds + open_seconds + grace + 600)
    closed, offered = result["saturation"], result["open"]
    say("judges", f"{result['judges']} in {len(fixture.event_ids)} events, {drafts} draft(s) "
                  "then a submit per sheet")
    say("saturation (closed loop)", f"{closed['per_second']:7.1f} saves/s over "
                                    f"{closed['seconds']:.1f} s")
    say("  POST latency", latency(closed["post"]))
    say("  following GETs (next sheet)", latency(closed["follow"]))
    say(f"offered {rate} saves/s (open loop)", f"{offered['per_second']:7.1f} saves/s served")
    say("  latency from when due", latency(offered["from_due"])
        + (f"; {offered['unserved']:,} saves not served within {grace} s of the end, "
           "counted with their wait so far (a lower bound)" if offered["unserved"] else ""))
    say("  POST latency", latency(offered["post"]))
    for phase, figures in (("saturation", closed), ("open loop", offered)):
        others = {s: n for s, n in figures["statuses"].items() if s != "303"}
        if others:
            say(f"  {phase}: other answers", str(others))
    if result["out_of_sheets"]:
        say("warning", f"{result['out_of_sheets']} judge(s) ran out of sheets: seed more entries")
    check_marks(fixture)
    return MarkResult(closed["per_second"], offered["from_due"].get("p99", float("nan")), rate,
                      offered["per_second"], offered["unserved"])


def check_marks(fixture: ScoringFixture) -> None:
    """What the saves left: sheets, marks, and the events' audit chains intact."""
    db.session.expire_all()
    in_events = ScoreSheet.event_id.in_(fixture.event_ids)
    by_status = dict(db.session.execute(sa.select(ScoreSheet.status, sa.func.count())
                                        .where(in_events).group_by(ScoreSheet.status)).all())
    marks = db.session.scalar(sa.select(sa.func.count(Mark.id)).join(ScoreSheet).where(in_events))
    say("in the database", f"{by_status.get(SheetStatus.SUBMITTED, 0):,} sheets submitted, "
                           f"{sum(by_status.values()):,} in all, {marks:,} marks")
    checked, problem = 0, None
    for event_id in fixture.event_ids:
        count, problem = verify_one_chain(f"event:{event_id}")
        checked += count
        if problem is not None:
            break
    say("audit chains of the events", f"{checked:,} entries, "
                                      f"{'intact' if problem is None else problem.message}")


# --- entry_burst ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BurstResult:
    rate: float  # registrations/s
    attempts_rate: float
    p99: float  # ms
    quota_exact: bool


def entry_burst(base: str, fixture: BurstFixture, people: People, *, clients: int) -> BurstResult:
    workers = [{"username": name, "events": events, "address": people.address()}
               for name, events in fixture.workers]
    result = run_load({"scenario": "register", "base": base, "password": PASSWORD,
                       "workers": workers, "clients": clients, "limit": 300}, limit=900)
    say("workers signed in", f"{result['signed_in']:,} of {len(workers):,} "
                             f"({clients} clients at a time)")
    say("burst", f"{result['attempts']:,} registrations tried in {result['seconds']:.1f} s: "
                 f"{result['registered']:,} registered, "
                 f"{result['attempts'] - result['registered']:,} refused or failed")
    say("registrations/s", f"{result['per_second']:7.1f}   (attempts/s "
                           f"{result['attempts_per_second']:.1f})")
    say("POST latency", latency(result["latency"]))
    exact = check_quotas(fixture, result["outcomes"])
    return BurstResult(result["per_second"], result["attempts_per_second"],
                       result["latency"].get("p99", float("nan")), exact)


def check_quotas(fixture: BurstFixture, outcomes: list) -> bool:
    """Whether the database holds exactly the entries the burst was told it made, none over
    any unit's quota, and each unit as many as it asked for up to its quota."""
    db.session.expire_all()
    stored = db.session.execute(
        sa.select(User.username, Entry.event_id, Entry.unit_id)
        .join(Worker, Worker.user_id == User.id)
        .join(EntryMember, EntryMember.worker_id == Worker.id)
        .join(Entry, Entry.id == EntryMember.entry_id)
        .where(Entry.event_id.in_(fixture.event_ids), EntryMember.active)).all()
    in_db = {(name, event_id) for name, event_id, _unit in stored}
    told = {(name, event_id) for name, event_id, outcome in outcomes if outcome == "registered"}
    per_unit = Counter((event_id, unit) for _name, event_id, unit in stored)
    asked = Counter((event_id, fixture.unit_of[name]) for name, event_id, outcome in outcomes
                    if outcome in ("registered", "refused"))
    failed = Counter(outcome for *_, outcome in outcomes
                     if outcome not in ("registered", "refused"))
    wrong_unit = sum(1 for name, _event_id, unit in stored if unit != fixture.unit_of[name])
    over = {key: n for key, n in per_unit.items() if n > fixture.quota}
    inexact = {key: (per_unit[key], n) for key, n in asked.items()
               if per_unit[key] != min(fixture.quota, n)}
    untried = len(fixture.workers[0][1]) * len(fixture.workers) - len(outcomes)
    say("in the database", f"{len(in_db):,} entries ({len(told):,} reported registered; "
                           f"{len(in_db - told)} unreported, {len(told - in_db)} missing)")
    say("quota of each unit and event", f"{fixture.quota}; over it: {len(over)}; not exactly "
                                         f"min(quota, asked): {len(inexact)}; "
                                         f"entries on the wrong unit: {wrong_unit}")
    if failed or untried:
        say("failed or not tried", f"{dict(failed)}; {untried} not tried")
    return in_db == told and not over and not inexact and not wrong_unit and not failed \
        and not untried
