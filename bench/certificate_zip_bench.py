"""The streamed certificate ZIP of one event: certificates per second, bytes, and whether memory
stays flat however many certificates the archive holds.

    python bench/certificate_zip_bench.py [--count 5000] [--small 500] [--no-direct]
                                          [--no-tracemalloc] [--check]

Builds a temporary SQLite database (create_all) holding one final city event with `--count`
valid award certificates and a second final event with `--small` (rows inserted in bulk:
workers, then certificates with their serials and tokens), signs an organiser in with Flask's
test client and streams `/events/<id>/certificates.zip` of each event, consuming the response
chunk by chunk without keeping it. It reports, for the small and the big event:

* certificates/s and bytes, timed without tracemalloc;
* ru_maxrss: the process's peak resident memory after each stream, the growth since the
  database was built (a peak only rises: flat memory shows as no growth between the small and
  the big archive);
* tracemalloc's peak over each stream (a second pass, about 7 times slower: Python
  allocations only; some 3 minutes at 5,000);

then, unless `--no-direct`, the rate and ru_maxrss for `archive.stream_zip` over
`documents.pdfs` of one query (`yield_per(200)`), called directly in an app context, without
the view's batching.
`--check` writes the big archive to a temporary file and opens it with zipfile. It prints
figures and never asserts; the last line reads
``BENCH certificate_zip <certs_per_s> certificates/s peak_mb=<x>`` (the view's big archive,
untimed-pass rate; peak_mb: tracemalloc's peak over it, or the ru_maxrss growth without it).
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from competitions import create_app  # noqa: E402
from competitions.accounts.models import Role, RoleGrant, User  # noqa: E402
from competitions.certificates import documents  # noqa: E402
from competitions.certificates.archive import stream_zip  # noqa: E402
from competitions.certificates.models import (  # noqa: E402
    Certificate,
    CertificateKind,
    CertificateStatus,
)
from competitions.certificates.serials import make_serial, make_token  # noqa: E402
from competitions.contests.models import (  # noqa: E402
    Competition,
    CompetitionState,
    Event,
    EventGroup,
    EventStage,
)
from competitions.database import utcnow  # noqa: E402
from competitions.extensions import db  # noqa: E402
from competitions.organisations.models import Organisation, OrgKind, Tier  # noqa: E402
from competitions.promotion.models import Occupation  # noqa: E402
from competitions.registration.models import Worker  # noqa: E402
from competitions.registration.sex import Sex  # noqa: E402

PASSWORD = "bench-password-1"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红海燕宏文斌玲晨阳"
AWARDS = [["gold"], ["silver"], ["bronze"]] + [["excellence"]] * 7
MB = 1024 * 1024


@dataclass
class Run:
    label: str
    count: int
    seconds: float
    total_bytes: int
    chunks: int
    largest_chunk: int
    rss_after_mb: float
    traced_peak_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def maxrss_mb() -> float:
    """The process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the database ------------------------------------------------------------------------------

def build(count: int, small: int) -> tuple[int, int, int]:
    """One city competition, two final events (`count` and `small` certificates), an organiser.
    Returns (big event id, small event id, organiser id)."""
    def org(name, parent, kind, tier, **kwargs):
        made = Organisation(name=name, kind=kind, tier=tier, parent=parent, **kwargs)
        db.session.add(made)
        db.session.flush()
        made.path = (parent.path if parent else "/") + f"{made.id}/"  # the tree's path column
        return made

    national = org("中华全国总工会", None, OrgKind.UNION, Tier.NATIONAL)
    province = org("江苏省总工会", national, OrgKind.UNION, Tier.PROVINCIAL)
    city = org("南京市总工会", province, OrgKind.UNION, Tier.CITY, region_code="320100")
    firm = org("南京钢铁集团有限公司", city, OrgKind.ENTERPRISE, Tier.ENTERPRISE)
    organiser = User(username="bench_organiser", display_name="南京市总工会组织者")
    organiser.set_password(PASSWORD)
    db.session.add_all([organiser, RoleGrant(user=organiser, role=Role.ORGANISER,
                                             organisation=city)])
    competition = Competition(name="2026年南京市职工职业技能大赛", year=2026, tier=Tier.CITY,
                              organiser=city, state=CompetitionState.FINAL,
                              starts_on=date(2026, 9, 15), ends_on=date(2026, 9, 17))
    db.session.add(competition)
    now = utcnow()
    events = []
    for occupation in ("焊工", "电工"):
        event = Event(competition=competition, occupation=Occupation(name=occupation),
                      group=EventGroup.EMPLOYEE, team_size=1, quota_per_org=None,
                      min_age=16, until_retirement=True, female_retirement_base=55,
                      barred_titles=[], nomination_required=False, stage=EventStage.FINAL,
                      drawn_at=now - timedelta(days=30), decrypted_at=now - timedelta(days=8),
                      notice_ends_at=now - timedelta(days=1), finalised_at=now)
        db.session.add(event)
        events.append(event)
    db.session.flush()

    rng = random.Random(2026)
    names = [rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
             for _ in range(count)]
    db.session.execute(sa.insert(Worker), [
        {"id": i + 1, "name": name, "id_number": f"320102199{i % 10}0101{i:04d}"[-18:],
         "birth_date": date(1990 + i % 10, 1, 1), "sex": Sex.MALE if i % 2 else Sex.FEMALE,
         "phone": f"139{i:08d}", "employer_id": firm.id, "group": EventGroup.EMPLOYEE}
        for i, name in enumerate(names)])
    rows, next_id = [], 1
    for event, how_many in zip(events, (count, small), strict=True):
        for i in range(how_many):
            rows.append({
                "id": next_id, "serial": make_serial(2026, Tier.CITY, "320100", next_id),
                "token": make_token(), "kind": CertificateKind.AWARD,
                "key": f"award:{event.id}:{i + 1}", "competition_id": competition.id,
                "event_id": event.id, "worker_id": i + 1, "holder_name": names[i],
                "awards": AWARDS[i % len(AWARDS)], "issuer_ids": [city.id],
                "status": CertificateStatus.VALID, "issued_at": now})
            next_id += 1
    db.session.execute(sa.insert(Certificate), rows)
    db.session.commit()
    return events[0].id, events[1].id, organiser.id


# --- streaming -----------------------------------------------------------------------------

def consume(chunks, sink=None) -> tuple[int, int, int]:
    """Read every chunk and drop it: (bytes, chunks, largest chunk)."""
    total = count = largest = 0
    for chunk in chunks:
        total += len(chunk)
        count += 1
        largest = max(largest, len(chunk))
        if sink is not None:
            sink.write(chunk)
    return total, count, largest


def measured(label: str, count: int, stream, trace: bool) -> Run:
    """Time `stream()` (an iterator of bytes) to its end; with `trace`, tracemalloc's peak."""
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    total, chunks, largest = consume(stream())
    seconds = time.perf_counter() - start
    peak = None
    if trace:
        peak = (tracemalloc.get_traced_memory()[1] - base) / MB
        tracemalloc.stop()
    return Run(label, count, seconds, total, chunks, largest, maxrss_mb(), peak)


def via_view(client, event_id: int):
    """The organiser's download, read as the browser would: chunk by chunk."""
    def stream():
        response = client.get(f"/events/{event_id}/certificates.zip", buffered=False)
        assert response.status_code == 200 and response.is_streamed, response.status
        try:
            yield from response.response
        finally:
            response.close()
    return stream


def direct(app, event_id: int):
    """archive.stream_zip over documents.pdfs of one streamed query, in an app context."""
    def stream():
        with app.app_context():
            certs = db.session.scalars(
                sa.select(Certificate).where(Certificate.event_id == event_id,
                                             Certificate.revoked_at.is_(None))
                .order_by(Certificate.id).execution_options(yield_per=200))
            files = ((documents.file_name(cert), content)
                     for cert, content in documents.pdfs(certs))
            yield from stream_zip(files)
            db.session.remove()
    return stream


def report(run: Run, rss_base: float) -> None:
    traced = f"  tracemalloc peak {run.traced_peak_mb:6.1f} MB" if run.traced_peak_mb is not None \
        else ""
    print(f"  {run.label:<28} {run.count:6d} certs  {run.seconds:6.1f} s  {run.rate:6.1f} /s  "
          f"{run.total_bytes / MB:7.1f} MB in {run.chunks} chunks (largest "
          f"{run.largest_chunk / 1024:.0f} KB)  ru_maxrss {run.rss_after_mb:6.1f} MB "
          f"(+{run.rss_after_mb - rss_base:.1f}){traced}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="certificates in the big event")
    parser.add_argument("--small", type=int, default=500, help="certificates in the small one")
    parser.add_argument("--no-direct", action="store_true",
                        help="skip stream_zip over documents.pdfs called directly")
    parser.add_argument("--no-tracemalloc", action="store_true",
                        help="skip the (slower) tracemalloc passes")
    parser.add_argument("--check", action="store_true",
                        help="write the big archive to a temporary file and open it")
    args = parser.parse_args()
    trace = not args.no_tracemalloc

    with tempfile.TemporaryDirectory(prefix="certzip-") as scratch:
        url = f"sqlite:///{scratch}/bench.sqlite"
        app = create_app({"TESTING": True, "SECRET_KEY": "certificate-zip-bench",
                          "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                          "AUDIT_CHECKPOINT_PATH": os.devnull,
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            started = time.perf_counter()
            db.create_all()
            big, small, _ = build(args.count, args.small)
            print(f"setup: {args.count + args.small:,} certificates, {args.count:,} workers in "
                  f"{time.perf_counter() - started:.1f} s (SQLite, {scratch})")
            # Fonts registered, the QR encoder loaded: one PDF before anything is measured.
            documents.pdf(db.session.get(Certificate, 1))
            db.session.remove()

        client = app.test_client()
        login = client.post("/accounts/login", data={"login": "bench_organiser",
                                                     "password": PASSWORD})
        assert login.status_code == 302, login.status_code
        rss_base = maxrss_mb()
        print(f"ru_maxrss before streaming: {rss_base:.1f} MB\n")

        print("GET /events/<id>/certificates.zip (Flask test client, read chunk by chunk)")
        runs = {}
        for label, event_id, count in (("view, small event", small, args.small),
                                       ("view, big event", big, args.count)):
            runs[label] = measured(label, count, via_view(client, event_id), trace=False)
            report(runs[label], rss_base)
        if trace:
            for label, event_id, count in (("view, small, traced", small, args.small),
                                           ("view, big, traced", big, args.count)):
                runs[label] = measured(label, count, via_view(client, event_id), trace=True)
                report(runs[label], rss_base)

        if not args.no_direct:
            print("\narchive.stream_zip(documents.pdfs(query.yield_per(200))), in an app context")
            for label, event_id, count in (("direct, small event", small, args.small),
                                           ("direct, big event", big, args.count)):
                runs[label] = measured(label, count, direct(app, event_id), trace=False)
                report(runs[label], rss_base)

        if args.check:
            with tempfile.TemporaryFile() as file:
                consume(via_view(client, big)(), sink=file)
                file.seek(0)
                with zipfile.ZipFile(file) as archive:
                    names = archive.namelist()
                    bad = archive.testzip()
                print(f"\ncheck: the big archive opens: {len(names)} files, "
                      f"{'every CRC right' if bad is None else f'bad CRC in {bad}'}")

        headline = runs["view, big event"]
        print()
        if trace:
            small_peak = runs["view, small, traced"].traced_peak_mb
            big_peak = runs["view, big, traced"].traced_peak_mb
            print(f"tracemalloc peak, view: {small_peak:.1f} MB at {args.small:,} "
                  f"certificates, {big_peak:.1f} MB at {args.count:,} "
                  f"(×{args.count / args.small:.0f} certificates: "
                  f"+{big_peak - small_peak:.1f} MB, "
                  f"{(big_peak - small_peak) * MB / (args.count - args.small):.0f} bytes each)")
            peak_mb = big_peak
        else:
            peak_mb = headline.rss_after_mb - rss_base
        rss_small = runs["view, small event"].rss_after_mb
        print(f"ru_maxrss growth, view: +{rss_small - rss_base:.1f} MB after {args.small:,}, "
              f"+{headline.rss_after_mb - rss_base:.1f} MB after {args.count:,} "
              f"(the archive itself: {headline.total_bytes / MB:.0f} MB)")
        print(f"BENCH certificate_zip {headline.rate:.1f} certificates/s peak_mb={peak_mb:.1f}")


if __name__ == "__main__":
    main()
