"""The files of a generated package, and the wheel and zip that carry them.

Both archives are built in process with zipfile, entries sorted and dated 1980-01-01, so the same inputs
give the same bytes on every replica (and so the same sha256 in every index listing).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from codegen.generate import GeneratedModels
from codegen.names import eventbridge_package, import_name
from codegen.prepare import ENVELOPE
from codegen.version import GENERATOR_VERSION
from registry.domain.formats.identity import expected_identity
from registry.domain.formats.openapi_spec import component_schemas

REQUIRES_PYTHON = ">=3.10"
# 2.11: validation by wire names only (`by_name=False`), see parse_event
REQUIRES_DIST = ("pydantic>=2.11,<3",)
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODELS, _MARSHALLER = "models", "marshaller"


@dataclass(frozen=True)
class PackageSource:
    """Who the package is for: the version of a schema, and its contract as stored."""

    registry: str
    schema: str
    version: int
    fingerprint: str
    contract_type: str
    canonical_content: str
    distribution: str  # as the registry recorded it for the schema (see names.distribution_name)
    event_root: str | None = None  # OpenAPI: the components.schemas key of the event

    def identity(self) -> tuple[str | None, str | None]:
        """The EventBridge `detail-type` and `source` the contract declares, as validation reads them
        (registry/domain/formats/identity.py); None where it declares none."""
        content = json.loads(self.canonical_content)
        envelope = content
        if self.event_root is not None and isinstance(content, dict):
            envelope = component_schemas(content).get(self.event_root)
        found = expected_identity(envelope)
        return found.get("detail-type"), found.get("source")

    @property
    def package_version(self) -> str:
        """`3+codegen1.dcg0.89.0`: `==3` matches; the local label says which generator built it."""
        return f"{self.version}+{GENERATOR_VERSION}"


@dataclass(frozen=True)
class Artifact:
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def package_files(models: GeneratedModels, source: PackageSource) -> dict[str, str]:
    """The files of the import package, by path inside it."""
    exported = _exported_classes(models)
    shims = _own_modules(exported)
    files = {
        "__init__.py": _init_module(models, source, exported, shims),
        f"{_MODELS}.py": models.module,
        f"{_MARSHALLER}.py": MARSHALLER_MODULE,
        "py.typed": "",
    }
    for name in shims:
        files[f"{name}.py"] = f"from .{_MODELS} import {name} as {name}\n\n__all__ = [{name!r}]\n"
    return files


def wheel_filename(distribution: str, version: int) -> str:
    """Known before the wheel is built, so that an index can list a version whose wheel is not built yet."""
    return f"{distribution.replace('-', '_')}-{version}+{GENERATOR_VERSION}-py3-none-any.whl"


def wheel_version(distribution: str, filename: str) -> int | None:
    """The schema version of a wheel of this generator with this name; None when it is not one."""
    prefix = f"{distribution.replace('-', '_')}-"
    suffix = f"+{GENERATOR_VERSION}-py3-none-any.whl"
    if not (filename.startswith(prefix) and filename.endswith(suffix)):
        return None
    number = filename[len(prefix) : -len(suffix)]
    return int(number) if number.isascii() and number.isdigit() and len(number) <= 9 else None


def build_wheel(models: GeneratedModels, source: PackageSource) -> Artifact:
    """A PEP 427 wheel: `<dist>-<version>-py3-none-any.whl` holding the package and its dist-info."""
    dist = source.distribution.replace("-", "_")
    package = import_name(source.distribution)
    entries = {f"{package}/{path}": text.encode() for path, text in package_files(models, source).items()}
    dist_info = f"{dist}-{source.package_version}.dist-info"
    entries[f"{dist_info}/METADATA"] = _metadata(source).encode()
    entries[f"{dist_info}/WHEEL"] = WHEEL_FILE.encode()
    record = [f"{path},sha256={_record_digest(data)},{len(data)}" for path, data in sorted(entries.items())]
    record.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    # the dist-info goes last, its RECORD at the very end, as PEP 427 recommends
    record_path = f"{dist_info}/RECORD"
    ordered = sorted(entries, key=lambda path: (path.startswith(dist_info), path == record_path, path))
    return Artifact(wheel_filename(source.distribution, source.version), _zip(entries, ordered))


def build_zip(models: GeneratedModels, source: PackageSource) -> Artifact:
    """The source laid out as an EventBridge code binding: `schema/<package path>/...` and a README."""
    folder = eventbridge_package(source.schema).replace(".", "/")
    entries = {f"{folder}/{path}": text.encode() for path, text in package_files(models, source).items()}
    entries["README.md"] = _readme(models, source).encode()
    return Artifact(f"{source.distribution}-{source.version}-python.zip", _zip(entries, sorted(entries)))


# What `__init__.py` defines itself: a model class of the same name is left in `models` only.
CONSTANTS = (
    "SCHEMA", "SCHEMA_VERSION", "FINGERPRINT", "REGISTRY", "SCHEMA_NAME", "CONTRACT_TYPE", "DETAIL_TYPE",
    "SOURCE",
)  # fmt: skip
PACKAGE_NAMES = frozenset({"parse_event", "Marshaller", *CONSTANTS, _MODELS, _MARSHALLER})


def _exported_classes(models: GeneratedModels) -> list[str]:
    named = [name for name in (models.root_class, models.detail_class) if name is not None]
    return [name for name in named if name not in PACKAGE_NAMES]


def _own_modules(exported: list[str]) -> list[str]:
    """One module per exported class, as EventBridge bindings have (`from <package>.AWSEvent import
    AWSEvent`), unless its file name would differ from another's only by case (one file on macOS and
    Windows)."""
    taken = {"__init__", _MODELS, _MARSHALLER}
    shims = []
    for name in exported:
        if name.lower() not in taken:
            taken.add(name.lower())
            shims.append(name)
    return shims


def _init_module(
    models: GeneratedModels, source: PackageSource, exported: list[str], shims: list[str]
) -> str:
    # `parse_event` names the root through the models module, so no constant below can shadow it; helpers
    # are imported under private names, so that the package offers only what `__all__` lists
    root = f"_models.{models.root_class}"
    detail_type, event_source = source.identity()
    lines = [
        '"""Typed bindings of one version of an event contract, generated by the Event Contract Registry.',
        "",
        "`parse_event(raw)` validates an event (a dict, or JSON as str or bytes) and returns the typed",
        "model; an invalid event raises pydantic.ValidationError naming the field. Do not edit: regenerate.",
        '"""',
        "",
        "import json as _json",
        "from typing import Any as _Any",
        "",
        f"from . import {_MODELS} as _models",
    ]
    # the own module first: importing it binds the package attribute to the module, the line then to the class
    lines += [f"from .{name if name in shims else _MODELS} import {name} as {name}" for name in exported]
    lines += [f"from .{_MARSHALLER} import Marshaller as Marshaller", ""]
    names = ["parse_event", "Marshaller", *exported]
    if models.is_envelope and ENVELOPE not in exported:
        lines += [f"{ENVELOPE} = {root}", ""]  # the name EventBridge handlers use for the envelope
        names.append(ENVELOPE)
    names += CONSTANTS
    # Every value taken from outside is written with repr(): a literal, whatever characters it holds.
    lines += [
        f"REGISTRY: str = {source.registry!r}",
        f"SCHEMA_NAME: str = {source.schema!r}",
        f"SCHEMA_VERSION: int = {int(source.version)!r}",
        f"FINGERPRINT: str = {source.fingerprint!r}",
        f"CONTRACT_TYPE: str = {source.contract_type!r}",
        "#: EventBridge contracts: the `detail-type` and `source` of their events (None when not declared)",
        f"DETAIL_TYPE: str | None = {detail_type!r}",
        f"SOURCE: str | None = {event_source!r}",
        "#: the contract of this version, as the registry stores it",
        f"SCHEMA: dict[str, _Any] = _json.loads({source.canonical_content!r})",
        "",
        "",
        f"def parse_event(raw: dict[str, _Any] | str | bytes) -> {root}:",
        f'    """Validate `raw` against the contract and return it as a {models.root_class}."""',
        "    # members by their names in the event only: an attribute name (`detail_type`) may be another",
        "    # member's name on the wire",
        "    if isinstance(raw, (str, bytes, bytearray)):",
        f"        return {root}.model_validate_json(raw, by_alias=True, by_name=False)",
        f"    return {root}.model_validate(raw, by_alias=True, by_name=False)",
        "",
        "",
        f"__all__ = {sorted(names)!r}",
        "",
    ]
    return "\n".join(lines)


MARSHALLER_MODULE = '''"""EventBridge-style marshalling over the generated pydantic models."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)


class Marshaller:
    """What EventBridge code bindings offer: `unmarshall(event, AWSEvent)` and `marshall(obj)`."""

    @classmethod
    def unmarshall(cls, data: Any, typeName: type[ModelT]) -> ModelT:  # noqa: N803 (EventBridge's name)
        """A dict (or JSON text) to a model, by the members' names in the event; raises
        pydantic.ValidationError naming the field."""
        if isinstance(data, (str, bytes, bytearray)):
            return typeName.model_validate_json(data, by_alias=True, by_name=False)
        return typeName.model_validate(data, by_alias=True, by_name=False)

    @classmethod
    def marshall(cls, obj: BaseModel) -> Any:
        """A model to a JSON-ready dict with the wire names; members that were never set are left out."""
        return obj.model_dump(mode="json", by_alias=True, exclude_unset=True)
'''

WHEEL_FILE = f"""Wheel-Version: 1.0
Generator: event-contract-registry ({GENERATOR_VERSION})
Root-Is-Purelib: true
Tag: py3-none-any
"""


def _metadata(source: PackageSource) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {source.distribution}",
        f"Version: {source.package_version}",
        f"Summary: Typed event bindings for {source.registry}/{source.schema} version {source.version}",
        f"Requires-Python: {REQUIRES_PYTHON}",
        *(f"Requires-Dist: {requirement}" for requirement in REQUIRES_DIST),
    ]
    return "\n".join(lines) + "\n"


def _readme(models: GeneratedModels, source: PackageSource) -> str:
    package = eventbridge_package(source.schema)
    exported = ", ".join(["Marshaller", *_exported_classes(models)])
    return (
        f"# Python bindings: {source.registry}/{source.schema}, version {source.version}\n\n"
        f"Generated by the Event Contract Registry ({GENERATOR_VERSION}). Unzip next to your handler and\n"
        f"install the runtime dependency: `pip install '{REQUIRES_DIST[0]}'` (Python {REQUIRES_PYTHON}).\n\n"
        f"    from {package} import {exported}\n\n"
        f"    event = Marshaller.unmarshall(raw_event, {models.root_class})\n"
        "    return Marshaller.marshall(event)\n"
    )


def _record_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _zip(entries: dict[str, bytes], order: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in order:
            _check_entry(path)
            info = zipfile.ZipInfo(path, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[path], compresslevel=6)
    return buffer.getvalue()


def _check_entry(path: str) -> None:
    """No entry may leave the archive's root when unpacked."""
    parts = PurePosixPath(path).parts
    if path.startswith("/") or "\\" in path or ".." in parts or "." in parts or not parts:
        raise ValueError(f"refusing archive entry {path!r}")
