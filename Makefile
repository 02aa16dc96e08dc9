# mlpath's own tasks. `make setup test` is what CI (.ci/run) runs.
VENV := $(CURDIR)/.venv
# The interpreter that bootstraps uv and the venv, found before .venv/bin goes first on PATH.
BOOTSTRAP_PYTHON := $(shell command -v python3)
export PATH := $(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(VENV)

.PHONY: setup test test-generator test-templates lint typecheck bench bench-classroom demo release

setup: ## .venv with mlpath (editable), its dev tools, and the Node tools the harness uses
	$(BOOTSTRAP_PYTHON) -m pip install --quiet uv
	$(BOOTSTRAP_PYTHON) -m uv venv --quiet --python $(BOOTSTRAP_PYTHON) --allow-existing $(VENV)
	$(BOOTSTRAP_PYTHON) -m uv pip install --quiet --python $(VENV)/bin/python uv -e . --group dev
	npm install --silent --no-audit --no-fund --prefix tests/tools

# Two workers: most of the suite is generated projects' own test runs, each mostly one core.
# `worksteal` keeps both busy when a harness run is much longer than its neighbours.
TEST_WORKERS ?= 2

test: ## the whole suite: generator tests, every template through the harness, the upgrade path
	pytest -n $(TEST_WORKERS) --dist worksteal --durations=25 tests

test-generator: ## the generator's tests only (seconds)
	pytest tests/generator

test-templates: ## every template through the harness, and the upgrade path (minutes)
	pytest tests/test_templates.py tests/test_upgrade_path.py

lint:
	ruff check generator tests benchmarks
	ruff format --check generator tests benchmarks

typecheck:
	mypy

bench: ## mlpath new vs raw copier copy, mlpath update vs copier update (medians, ratios)
	python benchmarks/bench_generator.py

DEMO_DIR ?= demo-rag
# The demo project has its own .venv: `env -u VIRTUAL_ENV` keeps this repository's (exported
# above) from reaching its uv, which would warn on every call.
bench-classroom: ## classroom new (30, 300), update (30, 300; once) and grade (30) as whole processes (~20 min)
	python benchmarks/bench_classroom.py --sizes 30,300 --update-sizes 30,300 --update-runs 1

demo: ## generate rag-eval (BM25 only) into ./demo-rag, install it, run the grid, write the report
	@if [ -d $(DEMO_DIR) ]; then echo "demo: reusing $(DEMO_DIR) (delete it for a fresh one)"; \
	else mlpath new rag-eval $(DEMO_DIR) --defaults --data dense_retrieval=false; fi
	env -u VIRTUAL_ENV $(MAKE) -C $(DEMO_DIR) setup eval report
	@echo "demo: report $(abspath $(DEMO_DIR))/reports/RESULTS.md"
	@for plot in $(abspath $(DEMO_DIR))/reports/*.png; do echo "demo: plot   $$plot"; done

release: ## make release VERSION=vX.Y.Z: upgrade checks, then releases.toml, CHANGELOG and version in one commit
	@test -n "$(VERSION)" || { echo "release: VERSION is missing: make release VERSION=vX.Y.Z"; exit 2; }
	python -m tests.release $(VERSION)
