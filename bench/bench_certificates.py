"""certificates (issue 18): certificate PDFs per second on one core, with the verification QR
code and the embedded kai font subset.

    python bench/bench_certificates.py [--database-url …] [--count 300] [--passes 3] [--quick]

Renders `--count` award certificates (certificates.pdf.render_certificate, the full layout:
border, title, holder, body, two issuers, date, QR code, serial and check code; each with its
own serial and verification URL, so no QR is reused, and each a one-page PDF with its own
font subset), pinned to one CPU. Rendering needs no database: `--database-url` is accepted,
as every benchmark of `make bench` is given one, and not used.

Reference: the same PDFs without the QR code (bench/certificate_bench.without_qr), passes
interleaved with the product's, best of `--passes` each. BENCH value: certificates per second
with the QR; ratio = that rate / the rate without it (a rate: 1.0 would mean the QR costs
nothing). Target: ≥ 150 a second. It prints figures and never asserts.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_line import bench_line, rate_ratio  # bench/bench_line.py  # noqa: E402
from certificate_bench import with_and_without_qr  # bench/certificate_bench.py  # noqa: E402


def pin_to_one_core() -> str:
    """Run on one CPU (the last this process may use); say which."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu} of {os.cpu_count()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="accepted and not used: rendering needs none")
    parser.add_argument("--count", type=int, default=300, help="certificates a pass")
    parser.add_argument("--passes", type=int, default=3, help="passes of each, best counted")
    parser.add_argument("--quick", action="store_true",
                        help="a check that it works: one pass of 50")
    args = parser.parse_args()
    if args.quick:
        args.count, args.passes = 50, 1
    if args.count < 1 or args.passes < 1:
        parser.error("--count and --passes must be at least 1")

    print(f"{args.count} certificates a pass, best of {args.passes}; {pin_to_one_core()}",
          flush=True)
    with_qr, plain, size, plain_size = with_and_without_qr(args.count, args.passes)
    print(f"  with the QR code (the product)   {with_qr:6.1f} certificates/s "
          f"({1000 / with_qr:.2f} ms each, {size / 1024:.0f} KB)")
    print(f"  without it (the reference)       {plain:6.1f} certificates/s "
          f"({1000 / plain:.2f} ms each, {plain_size / 1024:.0f} KB); the QR costs "
          f"{1000 / with_qr - 1000 / plain:.2f} ms a certificate")
    print(f"  target: ≥ 150 a second; {with_qr:.1f} measured")
    bench_line("certificates", with_qr, "cert/s", rate_ratio(with_qr, plain))


if __name__ == "__main__":
    main()
