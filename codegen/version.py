"""Which generator produced an artifact: part of every artifact's key and of every package version."""

from __future__ import annotations

from importlib.metadata import version

# Raise when our own templates or generation options change what is generated for the same contract.
CODEGEN_REVISION = 2

# A PEP 440 local version label: `3+codegen2.dcg0.89.0` still satisfies `==3`.
GENERATOR_VERSION = f"codegen{CODEGEN_REVISION}.dcg{version('datamodel-code-generator')}"
