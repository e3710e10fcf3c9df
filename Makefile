# The commands a newcomer needs: `make run` and `make test` (the README says what each runs and needs).
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8080
# Other projects' labelled corpora, which are not ours to put in the repository (`make conformance`).
REGISTRY_CONFORMANCE_DIR ?= ../shared/conformance

.PHONY: run test conformance bench lint typecheck install clean constraints

# One virtualenv; a stamp per set of extras, so `make run` installs the service alone and each other target
# adds only what it needs (each stamp is renewed when pyproject.toml changes).
$(VENV)/.created:
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

# `make run` and `make bench` serve as the Docker image does: with the `fast` extra (httptools, uvloop).
$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet -e '.[fast]'
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet -e '.[test,bench,fast]'
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(VENV)/bin/registry serve --host $(HOST) --port $(PORT)

# Everything in tests/ except tests/conformance: passes on a bare clone (needs PostgreSQL and chromium).
# TEST_PROCESSES pytest processes (pytest-xdist), each test file whole in one of them; 1 runs it in this one.
TEST_PROCESSES ?= 2
test: $(VENV)/.test-installed
	$(VENV)/bin/pytest $(if $(filter 1,$(TEST_PROCESSES)),,-n $(TEST_PROCESSES) --dist loadfile)

# The checker against other projects' labelled corpora in $(REGISTRY_CONFORMANCE_DIR): fails when it is missing.
conformance: $(VENV)/.test-installed
	@test -d "$(REGISTRY_CONFORMANCE_DIR)" || { \
		echo "make conformance: no corpora at $(REGISTRY_CONFORMANCE_DIR) (set REGISTRY_CONFORMANCE_DIR)" >&2; \
		exit 2; }
	REGISTRY_CONFORMANCE_DIR="$(abspath $(REGISTRY_CONFORMANCE_DIR))" $(VENV)/bin/pytest tests/conformance

bench: $(VENV)/.bench-installed
	@command -v wrk >/dev/null || echo "wrk is not installed (apt-get install wrk): the Python clients drive every scenario"
	$(PY) benchmarks/bench_api.py
	$(PY) benchmarks/bench_api.py --scenarios reads --connections 32
	$(PY) benchmarks/bench_asgi.py
	$(PY) benchmarks/bench_registrations.py --database sqlite
	$(PY) benchmarks/bench_registrations.py --database postgresql
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/bench_workers.py
	$(PY) benchmarks/bench_observability.py
	$(PY) benchmarks/compat_bench.py
	$(PY) benchmarks/bench_compat_evolutions.py
	$(PY) benchmarks/bench_compat_histories.py
	$(PY) benchmarks/bench_compat_service.py
	$(PY) benchmarks/bench_diff.py
	$(PY) benchmarks/bench_codegen.py
	$(PY) benchmarks/bench_codegen_stages.py
	$(PY) benchmarks/bench_bindings_corpus.py
	$(PY) benchmarks/bench_deployments.py
	$(PY) benchmarks/bench_validation.py
	$(PY) benchmarks/bench_references.py
	$(PY) benchmarks/bench_search.py
	$(PY) benchmarks/bench_metrics.py
	$(PY) benchmarks/bench_catalog.py

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check registry codegen tests benchmarks
	$(VENV)/bin/ruff format --check registry codegen tests benchmarks

typecheck: $(VENV)/.dev-installed
	$(VENV)/bin/mypy

# constraints.txt: every package the service installs (with its `fast` extra), at the version a fresh
# `pip install .[fast]` resolves today.
# The Dockerfile installs under it, so an image built later gets the same versions. Refresh it deliberately
# (and commit it) when pyproject.toml's dependencies change; tests/unit/test_packaging.py says when it must.
CONSTRAINTS_VENV := .constraints-venv
constraints:
	rm -rf $(CONSTRAINTS_VENV)
	python3 -m venv $(CONSTRAINTS_VENV)
	$(CONSTRAINTS_VENV)/bin/pip install --quiet '.[fast]'
	{ echo "# pip constraints of the Docker image: \`make constraints\` writes this file (a fresh venv's pip freeze)"; \
	  $(CONSTRAINTS_VENV)/bin/pip freeze --exclude event-contract-registry; } > constraints.txt
	rm -rf $(CONSTRAINTS_VENV)

clean:
	rm -rf $(VENV) $(CONSTRAINTS_VENV) registry.db registry.db-shm registry.db-wal
