# Majlis: `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1

.PHONY: run test test-fast lint setup messages makemessages bench bench-smoke bench-table screenshots clean serve browser

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP) messages

# Compiled catalogues (.mo) are build products: made from the committed .po files on every setup.
messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

makemessages: $(STAMP)
	$(PY) manage.py makemessages -l ar -l fr -l en --ignore=.venv --ignore=tests --no-obsolete
	$(PY) manage.py makemessages -d djangojs -l ar -l fr -l en --ignore=.venv --ignore=staticfiles --no-obsolete

run: setup
	$(PY) manage.py serve --check
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py serve

# Browser tests drive Debian's Chromium; install it when it is missing and we may (root with apt-get).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's Chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "Could not install Chromium: browser tests will be skipped."; \
	  else echo "Chromium is missing and cannot be installed here: browser tests will be skipped."; fi; }

test: setup browser
	$(PY) -m pytest

# The domain tests for daily work (docs/contributing.md): no browser, server, socket, other process, sweep or
# PostgreSQL-only test. make test runs everything.
test-fast: setup
	$(PY) -m pytest -q -m "not slow and not browser and not postgres"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy

# Benchmarks (docs/benchmarks.md): one JSON line per scenario, the app beside a bare-websockets reference.
# The PostgreSQL scenarios need the local PostgreSQL and Redis (DATABASE_URL/REDIS_URL are made by the harness).
BENCH_STAMP := $(shell date +%Y%m%d-%H%M%S)
BENCH_OUT ?= bench/results/$(BENCH_STAMP).jsonl
bench: setup
	mkdir -p bench/results
	$(PY) -m bench.run --backend sqlite --scenario burst --participants 200 | tee -a $(BENCH_OUT)
	$(PY) -m bench.run --backend sqlite --scenario burst --participants 1000 | tee -a $(BENCH_OUT)
	$(PY) -m bench.run --backend postgres --scenario burst --participants 1000 | tee -a $(BENCH_OUT)
	$(PY) -m bench.run --backend postgres --scenario burst --participants 2000 | tee -a $(BENCH_OUT)
	$(PY) -m bench.run --backend postgres --scenario joinstorm --participants 2000 | tee -a $(BENCH_OUT)
	$(PY) -m bench.run --backend postgres --scenario slowreaders --participants 1000 | tee -a $(BENCH_OUT)
	$(PY) -m bench.run --backend postgres --scenario sustained --participants 2000 --rate 1000 --duration 60 | tee -a $(BENCH_OUT)
	$(PY) -m bench.export_bench --backend postgres | tee -a $(BENCH_OUT)
	$(PY) -m bench.export_bench --backend sqlite | tee -a $(BENCH_OUT)
	$(PY) -m bench.screen_bench | tee -a $(BENCH_OUT)

# CI: a room of 100 on the embedded default; fails on a lost or doubled ballot or a screen without the final state.
bench-smoke: setup
	$(PY) -m bench.run --backend sqlite --scenario burst --participants 100 --strict

# The results and goals tables of docs/benchmarks.md, from the newest file of make bench (or BENCH_FROM="file ..."),
# whose lines are kept in bench/results/current.jsonl: commit it with the page.
BENCH_CURRENT := bench/results/current.jsonl
BENCH_FROM ?= $(or $(lastword $(sort $(wildcard bench/results/2*.jsonl))),$(BENCH_CURRENT))
bench-table:
	$(PY) -m bench.report --keep $(BENCH_CURRENT) --doc docs/benchmarks.md $(BENCH_FROM)

# Screenshots of every journey for README.md and docs/guide.md: the browser tests, keeping their pictures.
screenshots: setup browser
	rm -f docs/screenshots/*.png
	MAJLIS_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_journeys.py \
	  tests/browser/test_projector.py tests/browser/test_console_moderation.py tests/browser/test_phone_current.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
