# Garita: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PEOPLE ?= 3000
PYTEST_ARGS ?=

.PHONY: setup demo test test-db test-browser lint lock messages bench clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("Garita needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=70" wheel
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## setup: install everything into .venv (a no-op when up to date)
setup: $(STAMP)
	@$(BIN)/garita translations compile

## demo: set up, migrate a SQLite database under var/, load demo data, serve on :8000
demo: setup
	$(BIN)/garita migrate --noinput -v 0
	$(BIN)/garita createcachetable
	@if [ ! -f var/.seeded ]; then \
	  $(BIN)/garita seed --people $(PEOPLE) --seed 2019 --lookups var/sample_lookups.json && touch var/.seeded; \
	fi
	@$(BIN)/garita demo_accounts
	@$(BIN)/garita demo_banner --host $(HOST) --port $(PORT)
	$(BIN)/garita serve --host $(HOST) --port $(PORT)

## test: the whole test suite on SQLite (browser tests skip visibly without chromium)
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## test-db: the database tests again, on the database in DATABASE_URL (PostgreSQL in CI)
test-db: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m db_backend $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/garita

## lock: refresh requirements.lock from pyproject.toml (needs network)
lock:
	$(BIN)/pip-compile --quiet --extra dev --strip-extras -o requirements.lock pyproject.toml

## messages: extract translatable strings per app (needs GNU gettext)
messages: setup
	for app in src/garita/*/; do \
	  if [ -d $$app/locale ]; then (cd $$app && ../../../$(BIN)/django-admin makemessages -l es -l pt -l ht --no-obsolete --add-location file --settings garita.config.settings); fi; \
	done
	# A catalogue whose only change is its POT-Creation-Date keeps the committed one, so
	# that running this changes nothing when no message did (git diff -I: git 2.30+).
	for po in src/garita/*/locale/*/LC_MESSAGES/django.po; do \
	  git diff --quiet -I '^"POT-Creation-Date: ' -- $$po 2>/dev/null && git checkout -q -- $$po; \
	done; true

clean:
	rm -rf $(VENV) var
