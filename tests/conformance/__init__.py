"""Tests that need other projects' corpora ($REGISTRY_CONFORMANCE_DIR, see corpora.py) or that run a full
corpus: `make conformance` runs them; `make test` never collects this folder (tests/conftest.py)."""
