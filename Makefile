# The README's commands. Each target installs what it needs and is quick when
# it is already there (stamps track pyproject.toml and package-lock.json).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ASSETS := forms_service/web/static/govuk

.PHONY: run test lint bench setup check-schemas clean

run: setup
	./scripts/system-deps.sh run
	$(BIN)/forms-service run --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

# Two test processes (one per core), each taking whole files, so the slow groups
# (browsers, the crash test, Celery) run beside the rest instead of after them.
TEST_PROCESSES ?= 2

test: setup
	./scripts/system-deps.sh test
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile --durations=25 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check forms_service tests benchmarks scripts
	$(BIN)/mypy

# Figures, not tests: document rendering against naive WeasyPrint, Chromium and
# LibreOffice, then submission throughput and submission -> SMTP under gunicorn
# (benchmarks/README.md). Installs LibreOffice Writer when it is missing.
bench: setup
	command -v soffice >/dev/null 2>&1 || { SUDO=$$(test "$$(id -u)" -eq 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	  --no-install-recommends libreoffice-writer-nogui; }
	$(BIN)/python -m benchmarks.run

check-schemas: setup
	$(BIN)/forms-service check-schemas

setup: $(VENV)/.stamp node_modules/.stamp $(ASSETS)/.stamp

$(VENV)/.stamp: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# GOV.UK Frontend's compiled CSS asks for /assets/fonts and /assets/images,
# so its assets folder is served at /assets next to the CSS and JS.
$(ASSETS)/.stamp: node_modules/.stamp
	rm -rf $(ASSETS)
	mkdir -p $(ASSETS)
	cp -R node_modules/govuk-frontend/dist/govuk/assets/. $(ASSETS)/
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(ASSETS)/
	touch $@

clean:
	rm -rf $(VENV) node_modules $(ASSETS) instance
