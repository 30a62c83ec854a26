# The two commands a newcomer types: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint audit packages cluster-test bench-proxy-cache bench bench-editing bench-caches relevance load screenshot translations clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=python3.12, say)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic]'
	touch $@

run: $(STAMP)
	@tools/debian-packages.sh --optional $(WORD_LISTS)
	$(BIN)/encyclopedia reindex --if-missing
	$(BIN)/encyclopedia serve --host $(HOST) --port $(PORT)

# axe-core, for the accessibility tests, pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages, each installed when missing (tools/debian-packages.sh, one apt-get run):
# chromium for the browser tests; rsync and nginx, which replicas and the load balancer of
# `make cluster-test` use; wamerican and hunspell-en-med, the lists of real words that
# spelling correction leaves alone (search/vocabulary.py), which `make run` can do without.
TEST_PACKAGES := chromium rsync nginx wamerican hunspell-en-med
WORD_LISTS    := wamerican hunspell-en-med

packages:
	@tools/debian-packages.sh $(TEST_PACKAGES)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

audit: $(STAMP)
	tools/audit.sh

test: $(STAMP) packages node_modules/.installed lint audit
	$(BIN)/python -m pytest -n 2

# nginx, an editor and two replicas on loopback, as separate machines (tests/cluster.py);
# `make test` runs it with 4 s of load instead of 30.
cluster-test: $(STAMP)
	@tools/debian-packages.sh rsync nginx $(WORD_LISTS)
	$(BIN)/python -m tests.cluster

# Benchmarks (not part of `make test`): speed and memory, and search quality.
bench: $(STAMP)
	@tools/debian-packages.sh wrk
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py

# A full reindex and editor saves on the MedlinePlus topics, timed as a librarian sees them.
bench-editing: $(STAMP)
	$(BIN)/python bench/editing.py

# nginx's proxy cache against the replicas' own response cache (see the README).
bench-proxy-cache: $(STAMP)
	@tools/debian-packages.sh nginx wrk
	$(BIN)/python bench/proxy_cache.py

bench-caches: $(STAMP)
	$(BIN)/python bench/caches.py --requests 60000 --seed 7

relevance: $(STAMP)
	$(BIN)/python bench/relevance.py

# 60 s of searches, suggestions and article reads while reindexes and saves run.
load: $(STAMP)
	$(BIN)/python bench/load.py --seconds 60

# The interface's message catalogues: extract every marked string (templates, gettext
# calls, `translatable(...)` in the search package), merge it into each language's .po
# (new strings arrive untranslated; tests/test_spanish.py fails until they are
# translated), and compile the .mo files the site reads. Both are committed.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k translatable --no-location --sort-output \
		--project "Health Encyclopedia" -o encyclopedia/translations/messages.pot .
	$(BIN)/pybabel update -i encyclopedia/translations/messages.pot \
		-d encyclopedia/translations -D messages --no-fuzzy-matching --width 100
	$(BIN)/pybabel compile -d encyclopedia/translations -D messages --statistics

# Regenerates the README's screenshot of a results page.
screenshot: $(STAMP)
	@tools/debian-packages.sh chromium
	$(BIN)/python -m tests.screenshot docs/search-results.png

clean:
	rm -rf $(VENV) index node_modules .pytest_cache .ruff_cache
