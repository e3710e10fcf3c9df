# The two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test bench lint typecheck install clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/registry serve --host $(HOST) --port $(PORT)

test: install
	$(VENV)/bin/pytest

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: install $(VENV)/.bench-installed
	$(PY) benchmarks/bench_api.py
	$(PY) benchmarks/compat_bench.py
	$(PY) benchmarks/bench_compat_service.py
	$(PY) benchmarks/bench_codegen.py
	$(PY) benchmarks/bench_deployments.py
	$(PY) benchmarks/bench_validation.py

lint: install
	$(VENV)/bin/ruff check registry codegen tests benchmarks
	$(VENV)/bin/ruff format --check registry codegen tests benchmarks

typecheck: install
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) registry.db registry.db-shm registry.db-wal
