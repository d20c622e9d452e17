# The README's commands. Only Python 3.11+ and make are needed; everything else goes into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck clean bench lock

LOCK := requirements.lock

# Every dependency, the tools included, comes from the lock file at its pinned version and hash; the project
# itself is then installed without resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Refresh the lock after changing the dependencies in pyproject.toml, for every platform and Python from 3.11,
# with the hashes of every file; pins that still fit are kept (`make lock UPGRADE=--upgrade` takes the newest
# releases within the bounds). setuptools and wheel build the project.
lock: $(STAMP)
	printf 'setuptools>=68\nwheel\n' | $(BIN)/uv pip compile pyproject.toml - --extra dev --universal \
		--python-version 3.11 --generate-hashes $(UPGRADE) --quiet --custom-compile-command 'make lock' -o $(LOCK)

# Upgrade the database, seed the demo clinic (once), then run the scheduler beside the web app.
# Links in pages, feeds and messages use CLINIC_BASE_URL: by default the address served here (a server
# listening on every interface is opened at 127.0.0.1); set CLINIC_BASE_URL to override it.
run: export CLINIC_BASE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: $(STAMP)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo seed
	@echo "Web app: $(CLINIC_BASE_URL)   (Ctrl-C stops the web app and the scheduler)"
	@$(BIN)/flask --app wsgi scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy on clinic/domain and clinic/services (the files and settings are in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
