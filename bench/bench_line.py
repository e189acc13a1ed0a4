"""The one line a benchmark ends with, which `make bench` (bench/run.py) collects:

    BENCH <name> <value> <unit> ratio=<r>

`ratio` compares the product with a reference measured in the same run on the same machine,
oriented so that higher is better and 1.0 means "as good as the reference": for a duration,
reference seconds / product seconds; for a rate, product rate / reference rate.
"""

import math


def figure(value: float) -> str:
    """Four significant digits, no exponent, no thousands separator: 0.01234, 12.35, 1235."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def duration_ratio(reference_seconds: float, product_seconds: float) -> float:
    """Reference / product: 1.0 as fast as the reference, 0.1 ten times slower."""
    return reference_seconds / product_seconds if product_seconds > 0 else math.inf


def rate_ratio(product_rate: float, reference_rate: float) -> float:
    """Product / reference: 1.0 as many a second as the reference, 0.5 half as many."""
    return product_rate / reference_rate if reference_rate > 0 else math.inf


def bench_line(name: str, value: float, unit: str, ratio: float) -> str:
    """Print (flushed) and return the BENCH line; print it last."""
    line = f"BENCH {name} {figure(value)} {unit} ratio={figure(ratio)}"
    print(line, flush=True)
    return line


def deployed_app(database_url: str):
    """The app as gunicorn and `flask --app wsgi` load it, with wsgi.py's process settings
    (its garbage collector's among them), on `database_url`. wsgi.py reads its configuration
    from the environment: the database is set here, keys only where none are set (a
    benchmark's, never a deployment's). Once a process: wsgi is imported once."""
    import os
    import sys
    from pathlib import Path

    os.environ["DATABASE_URL"] = database_url
    for name, value in (("SECRET_KEY", "bench-secret-key"), ("AUDIT_KEY", "bench-audit-key"),
                        ("AUDIT_SIGNING_KEY", "42" * 32), ("AUDIT_CHECKPOINT_PATH", os.devnull)):
        os.environ.setdefault(name, value)
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    import wsgi

    return wsgi.app
