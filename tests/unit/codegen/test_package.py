"""The wheel and the zip: byte-for-byte determinism, wheel metadata, layout, and the bindings they carry."""

from __future__ import annotations

import base64
import copy
import email.parser
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest

from codegen import GENERATOR_VERSION, wheel_filename, wheel_version
from codegen.names import eventbridge_package, import_name
from codegen.package import REQUIRES_DIST, REQUIRES_PYTHON
from tests.unit.codegen.support import (
    DRAFT4,
    OPENAPI,
    Built,
    archive_files,
    archive_names,
    extract,
    generate,
    imported,
    openapi_doc,
    run_python,
)
from tests.unit.conftest import Example

REPO = Path(__file__).resolve().parents[3]
Named = Callable[[str], Example]


def _order(example_named: Named, schema: str = "com.acme@OrderCreated", version: int = 3) -> Built:
    example = example_named("openapi3/custom-order-created")
    return generate(example.type, example.content, registry="orders", schema=schema, version=version)


def _shape(value: Any) -> Any:
    """The keys of every object, recursively: what marshalling must give back."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return None


DETERMINISM = """
import hashlib, json, sys
from tests.unit.codegen.support import generate
from tests.unit.conftest import Example
example = Example("openapi3", "custom-order-created")
built = generate(example.type, example.content, registry="orders", schema="com.acme@OrderCreated", version=3)
print(hashlib.sha256(built.wheel().data).hexdigest(), hashlib.sha256(built.zip().data).hexdigest())
"""


def test_the_archives_are_byte_for_byte_deterministic(example_named: Named) -> None:
    """Built twice here and in two fresh interpreters (other hash seeds): the same sha256 every time."""
    built = _order(example_named)
    wheel, archive = built.wheel(), built.zip()
    assert built.wheel().data == wheel.data and built.zip().data == archive.data
    again = _order(example_named)  # generated again from scratch, too
    assert again.wheel().sha256 == wheel.sha256 and again.zip().sha256 == archive.sha256
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", DETERMINISM],
            cwd=REPO,
            env={**environment, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    for run in runs:
        stdout, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr[-2000:]
        assert stdout.split() == [wheel.sha256, archive.sha256]


def test_record_lists_every_file_with_its_hash_and_size(example_named: Named) -> None:
    """RECORD: one line per entry, urlsafe-base64 sha256 without padding and the size; itself without."""
    built = _order(example_named)
    files = archive_files(built.wheel())
    dist_info = f"orders_com_acme_ordercreated-3+{GENERATOR_VERSION}.dist-info"
    record = files[f"{dist_info}/RECORD"].decode()
    assert record.endswith("\n")
    rows = [line.split(",") for line in record.splitlines()]
    assert sorted(row[0] for row in rows) == sorted(files)
    for path, digest, size in rows:
        if path == f"{dist_info}/RECORD":
            assert (digest, size) == ("", "")
            continue
        expected = base64.urlsafe_b64encode(hashlib.sha256(files[path]).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={expected}", path
        assert int(size) == len(files[path]), path


def test_metadata_and_wheel_files(example_named: Named) -> None:
    """METADATA names the distribution, version, Python and pydantic; WHEEL says pure py3-none-any."""
    built = _order(example_named)
    files = archive_files(built.wheel())
    dist_info = f"{built.source.distribution.replace('-', '_')}-{built.source.package_version}.dist-info"
    metadata = email.parser.Parser().parsestr(files[f"{dist_info}/METADATA"].decode())
    assert metadata["Metadata-Version"] in {"2.1", "2.2", "2.3", "2.4"}
    assert metadata["Name"] == built.source.distribution == "orders-com-acme-ordercreated"
    assert metadata["Version"] == f"3+{GENERATOR_VERSION}"
    assert metadata["Requires-Python"] == REQUIRES_PYTHON
    assert metadata.get_all("Requires-Dist") == list(REQUIRES_DIST)
    assert any(requirement.startswith("pydantic") for requirement in REQUIRES_DIST)
    wheel = email.parser.Parser().parsestr(files[f"{dist_info}/WHEEL"].decode())
    assert (wheel["Wheel-Version"], wheel["Root-Is-Purelib"], wheel["Tag"]) == ("1.0", "true", "py3-none-any")


def test_dist_info_entries_come_last(example_named: Named) -> None:
    """Installers expect the package first and the dist-info at the end of the archive."""
    names = archive_names(_order(example_named).wheel())
    in_dist_info = [name.split("/")[0].endswith(".dist-info") for name in names]
    assert in_dist_info == sorted(in_dist_info) and in_dist_info[-1] and not in_dist_info[0]
    assert names[-1].endswith(".dist-info/RECORD")


def test_the_wheel_filename_and_version_round_trip(example_named: Named) -> None:
    """The filename is `wheel_filename(...)`; `wheel_version` reads the version back and nothing else."""
    built = _order(example_named, version=12)
    distribution = built.source.distribution
    filename = built.wheel().filename
    assert filename == wheel_filename(distribution, 12)
    assert filename == f"orders_com_acme_ordercreated-12+{GENERATOR_VERSION}-py3-none-any.whl"
    assert wheel_version(distribution, filename) == 12
    assert wheel_version(distribution, wheel_filename(distribution, 987654321)) == 987654321
    others = [
        wheel_filename("orders-other", 12),  # another distribution
        wheel_filename(distribution + "-x", 12),  # one whose name starts alike
        filename.replace(GENERATOR_VERSION, "codegen0.dcg0.1.0"),  # another generator
        filename.replace("-12+", "-1.2+"),
        filename.replace("-12+", "-+"),
        filename.replace("-12+", "-٣+"),  # a non-ASCII digit
        filename.replace("-12+", "-1234567890+"),
        filename.replace("py3-none-any", "cp311-cp311-linux_x86_64"),
        filename.removesuffix(".whl") + ".tar.gz",
        "README.md",
        "",
    ]
    for other in others:
        assert wheel_version(distribution, other) is None, other


def test_check_wheel_contents_passes(example_named: Named, tmp_path: Path) -> None:
    """The linter for wheel contents finds nothing wrong with a generated wheel."""
    wheel = _order(example_named).wheel()
    path = tmp_path / wheel.filename
    path.write_bytes(wheel.data)
    checker = Path(sys.executable).parent / "check-wheel-contents"
    result = subprocess.run([str(checker), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("OK")


def test_pip_installs_the_wheel_and_it_imports(example_named: Named, tmp_path: Path) -> None:
    """pip (which checks name, version and RECORD) installs the wheel offline; the package then works."""
    built = _order(example_named)
    example = example_named("openapi3/custom-order-created")
    wheel = built.wheel()
    (tmp_path / wheel.filename).write_bytes(wheel.data)
    target = tmp_path / "site"
    environment = {**os.environ, "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target)]
    result = subprocess.run(
        [*pip, str(tmp_path / wheel.filename)], capture_output=True, text=True, env=environment, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (target / "event.json").write_text(json.dumps(example.event))
    package = import_name(built.source.distribution)
    code = (
        f"import json, {package} as p\n"
        "event = p.parse_event(json.load(open('event.json')))\n"
        "print(type(event).__name__, type(event.detail).__name__, p.SCHEMA_VERSION)\n"
    )
    result = run_python(code, path=target)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["AWSEvent", "OrderCreated", "3"]


def test_the_zip_is_laid_out_as_an_eventbridge_binding(example_named: Named) -> None:
    """`README.md` and `schema/<package path>/` with the modules EventBridge bindings have, and py.typed."""
    built = _order(example_named)
    folder = "schema/com_acme/ordercreated"
    assert eventbridge_package(built.source.schema).replace(".", "/") == folder
    names = set(archive_names(built.zip()))
    expected = {"__init__.py", "models.py", "marshaller.py", "AWSEvent.py", "OrderCreated.py", "py.typed"}
    assert names == {"README.md", *(f"{folder}/{name}" for name in expected)}
    readme = archive_files(built.zip())["README.md"].decode()
    assert "from schema.com_acme.ordercreated import Marshaller, AWSEvent, OrderCreated" in readme
    assert built.zip().filename == "orders-com-acme-ordercreated-3-python.zip"
    wheel_names = set(archive_names(built.wheel()))
    assert {f"orders_com_acme_ordercreated/{name}" for name in expected} <= wheel_names


def test_bindings_from_the_zip_parse_and_marshal_every_example(example: Example, tmp_path: Path) -> None:
    """From the unpacked zip: `Marshaller.unmarshall(event, AWSEvent)` and `marshall` round-trip every sample
    event with its keys; `parse_event` takes a dict, str or bytes; the constants describe the version."""
    schema = f"com.example@{example.kind}.{example.name}"
    built = generate(example.type, example.content, registry="examples", schema=schema, version=5)
    root = extract(built.zip(), tmp_path / "handler")
    package = eventbridge_package(schema)
    with imported(root, package) as binding:
        from_module = __import__(f"{package}.AWSEvent", fromlist=["AWSEvent"]).AWSEvent
        assert from_module is binding.AWSEvent
        detail_module = __import__(f"{package}.{built.models.detail_class}", fromlist=["x"])
        detail_class = getattr(detail_module, built.models.detail_class)  # type: ignore[arg-type]
        event = binding.Marshaller.unmarshall(example.event, binding.AWSEvent)
        assert isinstance(event, binding.AWSEvent) and isinstance(event.detail, detail_class)
        wire = binding.Marshaller.marshall(event)
        assert _shape(wire) == _shape(example.event)
        assert binding.Marshaller.unmarshall(wire, binding.AWSEvent) == event
        assert binding.Marshaller.unmarshall(json.dumps(example.event), binding.AWSEvent) == event
        text = json.dumps(example.event)
        assert binding.parse_event(example.event) == binding.parse_event(text) == event
        assert binding.parse_event(text.encode()) == binding.parse_event(bytearray(text.encode())) == event
        assert binding.SCHEMA == built.contract.content == json.loads(built.contract.canonical)
        constants = ("SCHEMA_VERSION", "FINGERPRINT", "REGISTRY", "SCHEMA_NAME", "CONTRACT_TYPE")
        assert {name: getattr(binding, name) for name in constants} == {
            "SCHEMA_VERSION": 5,
            "FINGERPRINT": built.contract.fingerprint,
            "REGISTRY": "examples",
            "SCHEMA_NAME": schema,
            "CONTRACT_TYPE": example.type,
        }
        assert {"parse_event", "Marshaller", "AWSEvent", "SCHEMA"} <= set(binding.__all__)
        with pytest.raises(pydantic.ValidationError):
            binding.parse_event({"detail": {}})


def test_the_wheel_package_matches_the_zip_binding(example_named: Named, tmp_path: Path) -> None:
    """The wheel's import package holds the very files of the zip's binding folder."""
    built = _order(example_named)
    wheel_files = {
        name.partition("/")[2]: data
        for name, data in archive_files(built.wheel()).items()
        if name.startswith("orders_com_acme_ordercreated/")
    }
    zip_files = {
        name.removeprefix("schema/com_acme/ordercreated/"): data
        for name, data in archive_files(built.zip()).items()
        if name != "README.md"
    }
    assert wheel_files == zip_files
    installed = extract(built.wheel(), tmp_path / "site")
    with imported(installed, "orders_com_acme_ordercreated") as binding:
        event = example_named("openapi3/custom-order-created").event
        assert binding.parse_event(event).detail.status == event["detail"]["status"]


def test_open_objects_keep_unknown_members_and_closed_ones_refuse_them(
    example_named: Named, tmp_path: Path
) -> None:
    """extra='allow': members a contract does not declare survive marshall; `Money` is closed and refuses."""
    built = _order(example_named)
    example = example_named("openapi3/custom-order-created")
    event = copy.deepcopy(example.event)
    event["x-trace"] = "abc"
    event["detail"]["loyalty"] = {"points": 12, "tiers": ["a", {"deep": None}]}
    event["detail"]["customer"]["nickname"] = "Al"
    assert built.contract.validate_event(event) == []
    with imported(extract(built.zip(), tmp_path / "zip"), "schema.com_acme.ordercreated") as binding:
        parsed = binding.Marshaller.unmarshall(event, binding.AWSEvent)
        wire = binding.Marshaller.marshall(parsed)
        assert wire["x-trace"] == "abc"
        assert wire["detail"]["loyalty"] == {"points": 12, "tiers": ["a", {"deep": None}]}
        assert wire["detail"]["customer"]["nickname"] == "Al"
        assert _shape(wire) == _shape(event)
        closed = copy.deepcopy(example.event)
        closed["detail"]["totals"]["tax"]["rounding"] = 0.01
        assert built.contract.validate_event(closed)
        with pytest.raises(pydantic.ValidationError) as refused:
            binding.parse_event(closed)
        assert ("detail", "totals", "tax", "rounding") in [
            tuple(error["loc"]) for error in refused.value.errors()
        ]


@pytest.mark.parametrize("title", ["SCHEMA", "REGISTRY", "FINGERPRINT", "DETAIL_TYPE", "SOURCE"])
def test_a_root_class_titled_like_a_package_constant_neither_shadows_it_nor_is_shadowed(
    title: str, tmp_path: Path
) -> None:
    """A Draft 4 title `SCHEMA` must not make a class that the package constant `SCHEMA` hides (or hides)."""
    built = generate(DRAFT4, {"title": title, "type": "object", "properties": {"a": {"type": "string"}}})
    assert built.models.root_class != title
    with imported(
        extract(built.wheel(), tmp_path / "site"), import_name(built.source.distribution)
    ) as binding:
        parsed = binding.parse_event({"a": "x"})
        assert parsed.a == "x"
        assert isinstance(parsed, getattr(binding.models, built.models.root_class))
        assert isinstance(binding.SCHEMA, dict) and isinstance(binding.FINGERPRINT, str)


def test_exported_modules_differ_in_more_than_case(tmp_path: Path) -> None:
    """Root `AWSEvent` and detail `AwsEvent` would be `AWSEvent.py` and `AwsEvent.py`: one file on macOS.

    Fails today: package_files only keeps clear of `models`/`marshaller`/`__init__`, not of each other.
    """
    envelope = {
        "type": "object",
        "required": ["detail", "detail-type"],
        "x-amazon-events-detail-type": "X",
        "properties": {
            "detail": {"$ref": "#/components/schemas/AwsEvent"},
            "detail-type": {"type": "string"},
        },
    }
    document = openapi_doc({"AWSEvent": envelope, "AwsEvent": {"type": "object"}})
    built = generate(OPENAPI, document, registry="r", schema="s")
    assert (built.models.root_class, built.models.detail_class) == ("AWSEvent", "AwsEvent")
    for artifact in (built.wheel(), built.zip()):
        names = archive_names(artifact)
        folded = [name.lower() for name in names]
        clashes = sorted({name for name in names if folded.count(name.lower()) > 1})
        assert not clashes, f"BUG: entries differing only by case in {artifact.filename}: {clashes}"


def test_a_detail_class_named_aws_event_stays_exported(tmp_path: Path) -> None:
    """Envelope `Envelope`, detail `AWSEvent`: the package's `AWSEvent` must not silently mean two classes.

    Fails today: `__init__.py` imports the detail class as `AWSEvent`, then rebinds `AWSEvent = Envelope`
    (the EventBridge alias), and `__all__` lists 'AWSEvent' twice.
    """
    envelope = {
        "type": "object",
        "required": ["detail", "detail-type"],
        "x-amazon-events-detail-type": "X",
        "properties": {
            "detail": {"$ref": "#/components/schemas/AWSEvent"},
            "detail-type": {"type": "string"},
        },
    }
    document = openapi_doc({"Envelope": envelope, "AWSEvent": {"type": "object"}})
    built = generate(OPENAPI, document, registry="r", schema="s2")
    assert (built.models.root_class, built.models.detail_class) == ("Envelope", "AWSEvent")
    with imported(
        extract(built.wheel(), tmp_path / "site"), import_name(built.source.distribution)
    ) as binding:
        from_module = __import__(f"{binding.__name__}.AWSEvent", fromlist=["AWSEvent"]).AWSEvent
        assert len(binding.__all__) == len(set(binding.__all__)), (
            f"BUG: duplicate names in __all__: {binding.__all__}"
        )
        assert binding.AWSEvent is from_module, "BUG: the package's AWSEvent is not the class in AWSEvent.py"


def test_wheel_data_is_a_valid_zip(example_named: Named) -> None:
    """Both archives open with zipfile, pass its CRC test, carry 1980 dates and 0644 permissions."""
    built = _order(example_named)
    for artifact in (built.wheel(), built.zip()):
        with zipfile.ZipFile(io.BytesIO(artifact.data)) as archive:
            assert archive.testzip() is None
            for info in archive.infolist():
                assert info.date_time == (1980, 1, 1, 0, 0, 0)
                assert info.external_attr >> 16 == 0o644
        assert artifact.sha256 == hashlib.sha256(artifact.data).hexdigest()


def _eventbridge_openapi(detail_type: Any, source: Any) -> dict[str, Any]:
    envelope = {
        "type": "object",
        "required": ["detail", "detail-type", "source"],
        "x-amazon-events-detail-type": detail_type,
        "x-amazon-events-source": source,
        "properties": {
            "detail": {"$ref": "#/components/schemas/Shipped"},
            "detail-type": {"type": "string"},
            "source": {"type": "string"},
        },
    }
    return openapi_doc({"AWSEvent": envelope, "Shipped": {"type": "object"}})


IDENTITIES = [
    ("openapi", OPENAPI, _eventbridge_openapi("Parcel Shipped", "com.example.parcels"),
     ("Parcel Shipped", "com.example.parcels")),
    ("openapi-odd", OPENAPI, _eventbridge_openapi("'''\n__import__('os')", 7),
     ("'''\n__import__('os')", None)),
    ("draft4-export", DRAFT4, {"type": "object", "x-amazon-events-detail-type": "Tick",
     "x-amazon-events-source": "clock", "properties": {"detail": {"type": "object"},
     "detail-type": {"type": "string"}}}, ("Tick", "clock")),
    ("plain", DRAFT4, {"type": "object", "properties": {"a": {"type": "string"}}}, (None, None)),
]  # fmt: skip


@pytest.mark.parametrize(("type_", "content", "expected"), [case[1:] for case in IDENTITIES],
                         ids=[case[0] for case in IDENTITIES])  # fmt: skip
def test_detail_type_and_source_constants(
    type_: str, content: dict[str, Any], expected: tuple[Any, Any], tmp_path: Path
) -> None:
    """EventBridge contracts: `DETAIL_TYPE` and `SOURCE` are the contract's `x-amazon-events-detail-type`
    and `x-amazon-events-source` (a value that is not a string counts as none); otherwise None."""
    built = generate(type_, content, registry="r", schema="s")
    with imported(
        extract(built.wheel(), tmp_path / "site"), import_name(built.source.distribution)
    ) as binding:
        identity = (binding.DETAIL_TYPE, binding.SOURCE)
        assert identity == expected
        assert {"DETAIL_TYPE", "SOURCE"} <= set(binding.__all__)


def test_the_package_offers_only_what_all_lists(tmp_path: Path) -> None:
    """No helper (`json`, `Any`, `annotations`) among the package's public names: `__all__` is what a user
    imports, beside the `models` and `marshaller` modules; every name in it exists."""
    built = generate(OPENAPI, _eventbridge_openapi("Parcel Shipped", "parcels"), registry="r", schema="s")
    with imported(
        extract(built.wheel(), tmp_path / "site"), import_name(built.source.distribution)
    ) as binding:
        public = {name for name in dir(binding) if not name.startswith("_")}
        assert public == {*binding.__all__, "models", "marshaller"}
        assert not {"json", "Any", "annotations"} & public
        assert all(hasattr(binding, name) for name in binding.__all__)
        assert sorted(binding.__all__) == [
            "AWSEvent", "CONTRACT_TYPE", "DETAIL_TYPE", "FINGERPRINT", "Marshaller", "REGISTRY", "SCHEMA",
            "SCHEMA_NAME", "SCHEMA_VERSION", "SOURCE", "Shipped", "parse_event",
        ]  # fmt: skip
