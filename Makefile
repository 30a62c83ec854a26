# The two commands a newcomer types: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint audit chromium dictionaries rsync nginx cluster-test bench bench-editing bench-caches relevance load screenshot clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=python3.12, say)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic]'
	touch $@

run: $(STAMP) dictionaries
	$(BIN)/encyclopedia reindex --if-missing
	$(BIN)/encyclopedia serve --host $(HOST) --port $(PORT)

# axe-core, for the accessibility tests, pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# Replicas fetch the editor's releases with rsync (search/replica.py); the tests run it.
rsync:
	@command -v rsync >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq rsync >/dev/null; }

# The load balancer of `make cluster-test` (Debian's nginx, run by the test on loopback
# only). Installing it starts Debian's own nginx on port 80 where systemd runs; that one
# is stopped and disabled again, since nothing here uses it.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx >/dev/null && \
		{ ! command -v systemctl >/dev/null 2>&1 || \
		  $(SUDO) systemctl disable --now nginx >/dev/null 2>&1 || true; }; }

# Lists of real words, which spelling correction leaves alone (search/vocabulary.py):
# Debian's wamerican and hunspell-en-med. The site runs without them, correcting less well.
dictionaries:
	@[ -e /usr/share/dict/american-english ] && [ -e /usr/share/hunspell/en_med_glut.dic ] || { \
		echo "Installing the English and medical word lists"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wamerican hunspell-en-med \
			>/dev/null || echo "Word lists not installed: spelling corrects from names alone"; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

audit: $(STAMP)
	tools/audit.sh

test: $(STAMP) chromium dictionaries rsync nginx node_modules/.installed lint audit
	$(BIN)/python -m pytest

# nginx, an editor and two replicas on loopback, as separate machines (tests/cluster.py);
# `make test` runs it with 6 s of load instead of 30.
cluster-test: $(STAMP) rsync nginx dictionaries
	$(BIN)/python -m tests.cluster

# Benchmarks (not part of `make test`): speed and memory, and search quality.
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run.py

# A full reindex and editor saves on the MedlinePlus topics, timed as a librarian sees them.
bench-editing: $(STAMP)
	$(BIN)/python bench/editing.py

bench-caches: $(STAMP)
	$(BIN)/python bench/caches.py --requests 60000 --seed 7

relevance: $(STAMP)
	$(BIN)/python bench/relevance.py

# 60 s of searches, suggestions and article reads while reindexes and saves run.
load: $(STAMP)
	$(BIN)/python bench/load.py --seconds 60

# Regenerates the README's screenshot of a results page.
screenshot: $(STAMP) chromium
	$(BIN)/python -m tests.screenshot docs/search-results.png

clean:
	rm -rf $(VENV) index node_modules .pytest_cache .ruff_cache
