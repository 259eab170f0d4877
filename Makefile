# Parley — two commands: `make run` and `make test` (and `make fuzz` to explore the API).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

FUZZ_SECONDS ?= 180

.PHONY: run test fuzz install migrate demo lint bench mutate clean messages

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Parley needs Python 3.11 or newer (set PYTHON=python3.12, say)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# Catalogues compile in pure Python (polib), so no system package is needed to install
# or run Parley; .mo files are build output and not committed.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

install: $(VENV)/.installed $(MO_FILES)

%.mo: %.po $(VENV)/.installed
	$(PY) manage.py compilecatalogues $<

## Extract every marked string into each language's catalogue (needs GNU gettext:
## `apt-get install gettext`) and count, per language, what is left to translate.
messages: install
	$(PY) manage.py makemessages --all --no-location --ignore=.venv --ignore=var \
		--ignore=tests --ignore=test-artifacts --ignore=bench
	$(PY) manage.py cataloguestatus

migrate: install
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py load_demo

## Start the web server, a Celery worker and Celery beat on the embedded stack.
run: demo
	PORT=$(PORT) bin/run-all

## Run the whole test suite (embedded stack unless DATABASE_URL/CELERY_BROKER_URL are set).
test: install
	PARLEY_VAR_DIR=$(CURDIR)/var/test $(PY) -m pytest $(PYTEST_ARGS)

## Explore the API with Schemathesis for FUZZ_SECONDS: a fresh seed each run, printed;
## `make fuzz SEED=<seed>` replays one.
fuzz: install
	@seed=$${SEED:-$$($(PY) -c 'import secrets; print(secrets.randbelow(2**31))')}; \
	echo "make fuzz: seed $$seed, budget $(FUZZ_SECONDS)s (replay: make fuzz SEED=$$seed)"; \
	PARLEY_VAR_DIR=$(CURDIR)/var/test FUZZ_SEED=$$seed FUZZ_SECONDS=$(FUZZ_SECONDS) \
		$(PY) -m pytest -q -p no:cacheprovider tests/fuzz/test_explore.py $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .

bench: install
	$(PY) -m bench

## Mutation testing of the services, selectors and dispatcher (minutes; not in `make test`).
## One module: make mutate MODULES=participants/outbox/dispatch.py
mutate: install
	$(PY) -m bench.mutate $(MODULES)

clean:
	rm -rf var/ .pytest_cache
