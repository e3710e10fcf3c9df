"""Helpers of the code generation tests: generate and package real contracts, load and import the results."""

from __future__ import annotations

import importlib
import io
import itertools
import os
import subprocess
import sys
import types
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from codegen import (
    Artifact,
    ContractInput,
    GeneratedModels,
    PackageSource,
    build_wheel,
    build_zip,
    generate_models,
)
from codegen.names import distribution_name
from registry.domain.formats import Contract, load_contract, parse_contract
from registry.domain.formats.canonical import canonical_json

OPENAPI = "OpenApi3"
DRAFT4 = "JSONSchemaDraft4"
DRAFT4_DIALECT = "http://json-schema.org/draft-04/schema#"


@dataclass(frozen=True)
class Built:
    """A contract as the registry stores it, its generated models and the package source around them."""

    contract: Contract
    models: GeneratedModels
    source: PackageSource

    def wheel(self) -> Artifact:
        return build_wheel(self.models, self.source)

    def zip(self) -> Artifact:
        return build_zip(self.models, self.source)


def contract_input(contract: Contract) -> ContractInput:
    return ContractInput(contract.type.value, contract.content, contract.event_root)


def generate(
    type_: str,
    content: Any,
    *,
    event_root: str | None = None,
    registry: str = "tests",
    schema: str = "Event",
    version: int = 1,
    registered: bool = True,
) -> Built:
    """Validate `content` as the registry does on registration, then generate its models. With
    `registered=False`, content the registry would refuse goes to the generator as it is (defence in
    depth)."""
    if registered:
        contract = parse_contract(type_, content, event_root=event_root)
    else:
        contract = load_contract(type_, canonical_json(content), event_root)
    models = generate_models(contract_input(contract))
    source = PackageSource(
        registry=registry,
        schema=schema,
        version=version,
        fingerprint=contract.fingerprint,
        contract_type=type_,
        canonical_content=contract.canonical,
        distribution=distribution_name(registry, schema),
        event_root=contract.event_root,
    )
    return Built(contract, models, source)


def openapi_doc(schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }


_modules = itertools.count()


@contextmanager
def loaded_module(source: str) -> Iterator[types.ModuleType]:
    """`source` executed as a real module registered in sys.modules (pydantic resolves annotations there)."""
    name = f"_codegen_test_module_{next(_modules)}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydantic warns about field names such as `model_dump_`
            # dont_inherit: as an import runs it, not under this file's `from __future__ import annotations`
            exec(compile(source, f"<{name}>", "exec", dont_inherit=True), module.__dict__)
        yield module
    finally:
        del sys.modules[name]


def archive_names(artifact: Artifact) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as archive:
        return archive.namelist()


def archive_files(artifact: Artifact) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def extract(artifact: Artifact, destination: Path) -> Path:
    """Unpack like an installer of a pure wheel does (after checking that no entry leaves `destination`)."""
    destination.mkdir(parents=True, exist_ok=True)
    for name, data in archive_files(artifact).items():
        path = PurePosixPath(name)
        assert not path.is_absolute() and ".." not in path.parts, name
        target = destination.joinpath(*path.parts)
        assert target.resolve().is_relative_to(destination.resolve()), name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return destination


@contextmanager
def imported(root: Path, module: str) -> Iterator[types.ModuleType]:
    """`module` imported from `root` in this process; forgotten again afterwards."""
    top = module.partition(".")[0]
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(module)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == top or name.startswith(f"{top}.")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def run_python(
    code: str, *, path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter of this virtualenv, importing from `path` (its working directory too)."""
    environment = {**os.environ, "PYTHONPATH": str(path), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=path, env=environment, capture_output=True, text=True, timeout=120
    )
