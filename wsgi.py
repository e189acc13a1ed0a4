"""Entry point for gunicorn: gunicorn wsgi:app"""

import gc

from competitions import create_app

app = create_app()

# The app's long-lived objects (modules, metadata, templates) never need collecting: move them
# out of the collector's sight, and collect less often. Computing an event's results makes
# enough short-lived objects to trigger a full collection per request otherwise, which
# bench/results_bench.py measured at about half of the time.
gc.freeze()
gc.set_threshold(50_000, 20, 20)
