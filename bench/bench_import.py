"""import_10k (issue 18): seconds to validate and import a 10,000-row registration spreadsheet.

    python bench/bench_import.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
                                 [--rows 10000] [--existing 1000] [--runs 3] [--quick]

An import needs a competition open for registration, which the scale databases do not have,
so it always builds its own: in a scratch database on the server of `--database-url`,
migrated as a deployment is (`flask db upgrade`) and dropped afterwards; the database named
is not touched. Each of `--runs` imports (bench/import_bench.py) has a competition, an event,
200 enterprises and `--existing` workers already on the platform of its own, and a valid
.xlsx of `--rows` rows (the existing workers among them); it times what the person waits
for: the upload (the file read once and kept), the preview (every row validated) and the
confirmation (validated again under the event lock, the workers, entries and members
inserted, and the commit). The app is loaded as gunicorn loads it (wsgi.py, with its settings
of the garbage collector).

Reference: openpyxl reading the same file in read-only mode, every cell of every row
(best of three). BENCH value: the fastest import's seconds; ratio = reference seconds /
product seconds (a duration: 1.0 would be as fast as merely reading the file). Target: ≤ 5 s.
It prints figures and never asserts.
"""

import argparse
import io
import signal
import sys
import time
from pathlib import Path

from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import import_bench  # bench/import_bench.py  # noqa: E402
from bench_line import (  # bench/bench_line.py  # noqa: E402
    bench_line,
    deployed_app,
    duration_ratio,
)
from scratch import scratch_postgres  # bench/scratch.py  # noqa: E402


def openpyxl_read(content: bytes) -> tuple[float, int]:
    """Best of three: seconds for openpyxl to read every cell (read-only), and the cells."""
    best, cells = float("inf"), 0
    for _ in range(3):
        started = time.perf_counter()
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        cells = 0
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            for _value in row:
                cells += 1
        workbook.close()
        best = min(best, time.perf_counter() - started)
    return best, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="the PostgreSQL server to create the scratch database on")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=1_000,
                        help="workers of the file already on the platform")
    parser.add_argument("--employers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3,
                        choices=range(1, len(import_bench.REGIONS) + 1), metavar="N",
                        help=f"imports, the fastest counted (1 to {len(import_bench.REGIONS)})")
    parser.add_argument("--quiet", action="store_true", help="no per-step figures")
    parser.add_argument("--quick", action="store_true",
                        help="a check that it works: one import of 2,000 rows")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.existing, args.runs = 2_000, 200, 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # drop the scratch database

    with scratch_postgres(args.database_url, "bench_import") as (url, version):
        print(f"PostgreSQL {version} (scratch database, migrated), {args.rows:,} rows, "
              f"{args.existing:,} of them already on the platform; {args.runs} imports",
              flush=True)
        runs = import_bench.run(url, args.rows, args.existing, args.employers,
                                runs=args.runs, migrate=True, verbose=not args.quiet,
                                app=deployed_app(url))
    best = min(runs, key=lambda times: times.total)
    print(f"  imports: {', '.join(f'{t.total:.2f}' for t in runs)} s; the fastest: upload "
          f"{best.upload:.2f} + preview {best.preview:.2f} + confirm {best.confirm:.2f} + "
          f"commit {best.commit:.2f} = {best.total:.2f} s ({best.entries:,} entries, "
          f"{best.new_workers:,} new workers)")
    reference, cells = openpyxl_read(best.content)
    print(f"  reference: openpyxl reads the file (read-only, {cells:,} cells) in "
          f"{reference:.2f} s")
    print(f"  target: ≤ 5 s; {best.total:.2f} s measured")
    bench_line("import_10k", best.total, "s", duration_ratio(reference, best.total))


if __name__ == "__main__":
    main()
