"""The reference of the results_page benchmark: a bare Flask view that renders the published
event's results table (the same rows and columns as templates/public/_results_table.html)
from a constant list with Jinja, on every request. No database, session, login, translation,
layout or cache: what serving that table costs a Flask app and nothing more.

    BENCH_REFERENCE_ROWS=rows.json gunicorn -w 2 --chdir bench reference_app:app

rows.json is written by bench/http_bench.py from the product's own rows (result_rows), with
every cell already formatted as the product shows it.
"""

import json
import os

from flask import Flask, render_template

app = Flask(__name__, template_folder=".")  # bench/reference_results.html
with open(os.environ["BENCH_REFERENCE_ROWS"], encoding="utf-8") as source:
    DATA = json.load(source)


@app.route("/")
def results():
    return render_template("reference_results.html", **DATA)
