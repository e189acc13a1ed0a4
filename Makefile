# The two commands: `make run` (a demo on http://127.0.0.1:5000) and `make test` (the suite).
# Every step is keyed on a file, so a second run only does what changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PO_FILES := $(wildcard competitions/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000

# The demo's keys and checkpoint file, unless the environment names others.
DEMO_ENV := export SECRET_KEY="$${SECRET_KEY:-$$(cat instance/secret_key)}"; \
	export AUDIT_KEY="$${AUDIT_KEY:-$$(cat instance/audit_key)}"; \
	export AUDIT_SIGNING_KEY="$${AUDIT_SIGNING_KEY:-$$(cat instance/audit_signing_key)}"; \
	export AUDIT_CHECKPOINT_PATH="$${AUDIT_CHECKPOINT_PATH:-instance/audit-checkpoints.jsonl}"

.PHONY: run reset-demo test translations lint bench

run: $(RUN_STAMP) $(MO_FILES) instance/secret_key instance/audit_key instance/audit_signing_key
	@$(DEMO_ENV); \
	$(FLASK) db upgrade && \
	$(FLASK) seed-demo --if-empty && \
	echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops)" && \
	exec $(FLASK) run --host $(HOST) --port $(PORT)

# Delete every record of the demo database and load the demo afresh (asks first).
reset-demo: $(RUN_STAMP) $(MO_FILES) instance/secret_key instance/audit_key instance/audit_signing_key
	@$(DEMO_ENV); \
	$(FLASK) db upgrade && \
	$(FLASK) seed-demo --reset

# In parallel (pytest-xdist): three workers suit two cores, as the PostgreSQL tests wait on the
# server; PYTEST_XDIST="-n auto" takes one a core. `make test PYTEST_ARGS=tests/test_x.py` runs a
# subset; `make test PYTEST_XDIST=` (or PYTEST_ARGS="-n 0") runs serially.
PYTEST_XDIST ?= -n 3 --dist worksteal
test: $(DEV_STAMP) $(MO_FILES)
	$(VENV)/bin/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .

# Every benchmark against gunicorn and a scratch PostgreSQL database, each with its reference
# measured in the same run; ends with one BENCH line each (docs/benchmarks.md). Under 15
# minutes; `make bench BENCH_ARGS=--quick` checks that everything works in about three.
bench: $(RUN_STAMP) $(MO_FILES)
	$(PY) bench/run.py $(BENCH_ARGS)

# For developers: add the code's new messages to the catalogues, then translate them there.
translations: $(RUN_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(VENV)/messages.pot .
	$(VENV)/bin/pybabel update -i $(VENV)/messages.pot -d competitions/translations \
		--no-fuzzy-matching --ignore-obsolete

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# requirements-dev.txt includes requirements.txt, so it satisfies `make run` as well.
$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

# Compiled catalogues are not committed (.gitignore); Babel comes with requirements.txt.
$(MO_FILES): %.mo: %.po | $(RUN_STAMP)
	$(VENV)/bin/pybabel compile -i $< -o $@

# The session-signing key, made once per checkout and kept out of git (instance/ is ignored).
instance/secret_key: | $(PY)
	mkdir -p instance
	umask 077 && $(PY) -c 'import secrets; print(secrets.token_hex(32))' > $@

# The audit log's own keys (docs/audit.md), made the same way; never the session key.
instance/audit_key instance/audit_signing_key: | $(PY)
	mkdir -p instance
	umask 077 && $(PY) -c 'import secrets; print(secrets.token_hex(32))' > $@
