"""Hostile contracts and names cannot inject code or place files outside their package.

Titles, descriptions, enum values, defaults, patterns, `x-` extensions, discriminator mappings, property names
and schema keys carry payloads that would create a marker file if they ever ran: during generation (which
loads the module once), when the wheel and the zip are imported in a fresh interpreter, and when
`parse_event` and the Marshaller run there. Registry and schema names as odd as the name rules allow give
archives whose every entry stays inside its package folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from codegen import PackageSource, build_wheel, build_zip
from codegen.names import distribution_name, eventbridge_package, import_name
from registry.domain.names import registry_name, schema_name
from tests.unit.codegen.support import (
    DRAFT4,
    DRAFT4_DIALECT,
    OPENAPI,
    archive_names,
    extract,
    generate,
    openapi_doc,
    run_python,
)

# Ways out of a string literal, a comment or a docstring; `{p}` is the payload.
BREAKOUTS = [
    "{p}",
    '"""\n{p}\n"""',
    "'''\n{p}\n'''",
    '"\n{p}\n#',
    "'\n{p}\n#",
    "\\\n{p}",
    "\\'\n{p}\n#",
    '\\"\n{p}\n#',
    "\r{p}\r",
    "\x00{p}",
    "\\x00{p}",
    "\u2028{p}\u2029",
    "\u202e{p}",
    "){p}#(",
    "'}}; {p} #{{",
    "\n\n{p}\n",
    "\\N{LATIN SMALL LETTER A}{p}",
]
# Names that mean something to Python, pydantic, the generated package or a file system.
WORDS = [
    "class", "None", "import", "True", "lambda", "__init__", "__class__", "__builtins__", "__import__",
    "__dict__", "model_config", "model_fields", "model_dump", "model_validate", "root", "self", "Field",
    "BaseModel", "json", "Any", "SCHEMA", "parse_event", "Marshaller", "$ref", "properties", "discriminator",
    "../../etc/passwd", "a/b", "..", ".", "~", "%41", "#", "\\",
    "ünïcödé", "مرحبا بالعالم", "😀🔥", "1abc", "", " ", "x" * 1000,
]  # fmt: skip


class Payloads:
    """Payloads that each create their own marker file under one folder, if they are ever executed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir()
        self._numbers = count()

    def code(self) -> str:
        marker = self.folder / f"ran-{next(self._numbers)}"
        forms = [
            f"__import__('os').system('touch {marker}')",
            f"__import__('pathlib').Path('{marker}').touch()",
            f"exec(\"open('{marker}', 'w').close()\")",
        ]
        return forms[int(marker.name.rpartition("-")[2]) % len(forms)]

    def strings(self) -> Iterator[str]:
        """Every breakout around a fresh payload."""
        for breakout in BREAKOUTS:
            yield breakout.replace("{p}", self.code())

    def ran(self) -> list[str]:
        return sorted(path.name for path in self.folder.iterdir())


def _escape_token(key: str) -> str:
    """A JSON pointer token, percent-encoded as a URI fragment may be."""
    token = key.replace("~", "~0").replace("/", "~1")
    return "".join(
        ch if ch.isalnum() or ch in "~_-." else "".join(f"%{b:02X}" for b in ch.encode()) for ch in token
    )


def _leaf(text: str) -> dict[str, Any]:
    """A string schema whose annotations all carry `text`."""
    return {
        "type": "string",
        "title": text,
        "description": text[:256],
        "default": text,
        "x-evil": {"value": text, "nested": [text]},
    }


def _hostile_draft4(payloads: Payloads) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bare Draft 4 schema full of payloads, and a valid event for it."""
    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    event: dict[str, Any] = {}
    for number, text in enumerate(payloads.strings()):
        properties[text] = _leaf(text)
        event[text] = text
        properties[f"enum{number}"] = {**_leaf(text), "enum": [text, "ok"]}
        event[f"enum{number}"] = text
        definitions[text] = {
            "type": "object",
            "title": text,
            "description": text[:256],
            "properties": {text: _leaf(text)},
        }
        properties[f"ref{number}"] = {"$ref": "#/definitions/" + _escape_token(text)}
        event[f"ref{number}"] = {text: "nested"}
        literal = re.escape(text).replace("\\\x00", "\\x00")
        properties[f"pattern{number}"] = {"type": "string", "pattern": f"^(?:{literal}|ok)$"}
        event[f"pattern{number}"] = "ok"
    for number, word in enumerate(WORDS):
        properties[word] = {**_leaf(word), "enum": [word, "other"]}
        event[word] = word
        definitions[word] = {"type": "object", "properties": {word: {"type": "integer", "default": 1}}}
        properties[f"word{number}"] = {"$ref": "#/definitions/" + _escape_token(word)}
        event[f"word{number}"] = {word: 2}
    properties["map"] = {
        "type": "object",
        "patternProperties": {"^(\"\"\"|'''|#|\\\\n)[a-z]*$": {"type": "string"}},
        "additionalProperties": False,
    }
    event["map"] = {'"""abc': "x", "#": "y"}
    title = next(payloads.strings())
    schema = {
        "$schema": DRAFT4_DIALECT,
        "title": title,
        "description": title[:256],
        "x-amazon-events-detail-type": next(payloads.strings()),
        "type": "object",
        "properties": properties,
        "definitions": definitions,
    }
    return schema, event


def _hostile_openapi(payloads: Payloads) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An EventBridge-layout OpenAPI contract whose component keys, tags and mappings are payloads."""
    texts = list(payloads.strings())
    keys = texts
    detail_key, money_key = keys[1], keys[2]
    variants = {keys[index]: texts[index + 3] for index in range(3, 9)}  # component key -> discriminator tag
    schemas: dict[str, Any] = {
        "AWSEvent": {
            "type": "object",
            "required": ["detail", "detail-type", "source"],
            "x-amazon-events-detail-type": texts[0],
            "x-amazon-events-source": texts[0],
            "properties": {
                "detail": {"$ref": "#/components/schemas/" + _escape_token(detail_key)},
                "detail-type": {"type": "string", "enum": [texts[0]]},
                "source": {"type": "string", "description": texts[0][:256]},
            },
        },
        money_key: {
            "type": "object",
            "description": money_key[:256],
            "additionalProperties": False,
            "properties": {"amount": {"type": "number", "default": 0}, money_key: {"type": "string"}},
        },
        detail_key: {
            "type": "object",
            "title": detail_key,
            "required": ["method"],
            "properties": {
                "method": {
                    "oneOf": [{"$ref": "#/components/schemas/" + _escape_token(key)} for key in variants],
                    "discriminator": {
                        "propertyName": "kind",
                        "mapping": {
                            tag: "#/components/schemas/" + _escape_token(key) for key, tag in variants.items()
                        },
                    },
                },
                "money": {"$ref": "#/components/schemas/" + _escape_token(money_key)},
                **{word: {**_leaf(word), "nullable": True} for word in WORDS},
            },
        },
    }
    for key, tag in variants.items():
        schemas[key] = {
            "type": "object",
            "title": key,
            "required": ["kind"],
            "properties": {"kind": {"type": "string", "enum": [tag]}, key: _leaf(key)},
        }
    for word in WORDS:
        if word:
            schemas.setdefault(word, {"type": "object", "properties": {word: {"type": "boolean"}}})
    first_key, first_tag = next(iter(variants.items()))
    event = {
        "detail-type": texts[0],
        "source": texts[0],
        "detail": {
            "method": {"kind": first_tag, first_key: "x"},
            "money": {"amount": 1.5, money_key: "EUR"},
            **{word: None for word in WORDS},
        },
    }
    return openapi_doc(schemas), event, "AWSEvent"


def _hostile_export_schema(payloads: Payloads) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Draft 4 ExportSchema layout (an envelope at the root) with payload definition names."""
    texts = list(payloads.strings())
    schema = {
        "$schema": DRAFT4_DIALECT,
        "title": texts[0],
        "type": "object",
        "required": ["detail", "detail-type"],
        "x-amazon-events-source": texts[1],
        "properties": {
            "detail": {"$ref": "#/definitions/" + _escape_token(texts[2])},
            "detail-type": {"type": "string", "default": texts[3], "description": texts[3][:256]},
        },
        "definitions": {
            texts[2]: {
                "type": "object",
                "description": texts[2][:256],
                "properties": {
                    "children": {
                        "type": "array",
                        "items": {"$ref": "#/definitions/" + _escape_token(texts[2])},
                    },
                    "state": {"type": "string", "enum": texts[4:12]},
                    texts[5]: {"$ref": "#"},
                },
            },
        },
    }
    event = {
        "detail-type": "x",
        "detail": {"state": texts[4], "children": [{"state": texts[6], "children": []}]},
    }
    return schema, event


def _huge(payloads: Payloads) -> tuple[dict[str, Any], dict[str, Any]]:
    """Very long names and values: a 5,000-character key, a 20,000-character enum value and title."""
    long_key = payloads.code() + "k" * 5000
    long_value = '"""' + payloads.code() + "v" * 20000
    schema = {
        "$schema": DRAFT4_DIALECT,
        "title": payloads.code() + "t" * 10000,
        "type": "object",
        "required": [long_key],
        "properties": {
            long_key: {"type": "string", "enum": [long_value, "short"], "title": long_value},
            "nested": {"$ref": "#/definitions/" + "d" * 3000},
        },
        "definitions": {"d" * 3000: {"type": "object", "properties": {"e" * 3000: {"type": "integer"}}}},
    }
    return schema, {long_key: long_value, "nested": {"e" * 3000: 1}}


Case = Callable[[Payloads], tuple[str, dict[str, Any], dict[str, Any], str | None]]
CASES: dict[str, Case] = {
    "draft4-bare": lambda payloads: (DRAFT4, *_hostile_draft4(payloads), None),
    "openapi-eventbridge": lambda payloads: (OPENAPI, *_hostile_openapi(payloads)),
    "draft4-export-schema": lambda payloads: (DRAFT4, *_hostile_export_schema(payloads), None),
    "huge": lambda payloads: (DRAFT4, *_huge(payloads), None),
}

CHECK_IMPORTED = """
import importlib, json, pathlib
contract = json.loads(pathlib.Path("contract.json").read_text())
event = json.loads(pathlib.Path("event.json").read_text())
for name in {modules!r}:
    package = importlib.import_module(name)
    for module in sorted(pathlib.Path(package.__file__).parent.glob("*.py")):
        importlib.import_module(name + "." + module.stem)  # every module of the package
    parsed = package.parse_event(event)
    assert package.parse_event(json.dumps(event)) == parsed
    assert package.parse_event(json.dumps(event).encode()) == parsed
    wire = package.Marshaller.marshall(parsed)
    assert package.Marshaller.unmarshall(wire, type(parsed)) == parsed
    type(parsed).model_json_schema()
    assert package.SCHEMA == contract
print("imported")
"""


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_hostile_contracts_never_run_their_payloads(case: Case, tmp_path: Path) -> None:
    """Generate, package and import a hostile contract in a fresh interpreter: nothing of it runs."""
    payloads = Payloads(tmp_path / "markers")
    type_, content, event, event_root = case(payloads)
    # The registry refuses OpenAPI component keys outside ^[a-zA-Z0-9.\-_]+$; the generator gets them anyway.
    built = generate(
        type_,
        content,
        event_root=event_root,
        registry="hostile",
        schema="aws.partner-x/y@Evil",
        registered=False,
    )
    assert built.contract.validate_event(event) == [], "the test's event must be valid for the contract"
    assert payloads.ran() == [], "generation (which loads the module once) ran a payload"
    assert re.search(r"ran-\d+", built.models.module), "the payloads must reach the generated module"

    wheel, archive = built.wheel(), built.zip()
    installed = extract(wheel, tmp_path / "site")
    unzipped = extract(archive, tmp_path / "unzipped")
    for folder in (installed, unzipped):
        (folder / "event.json").write_text(json.dumps(event))
        (folder / "contract.json").write_text(built.contract.canonical)
    package = import_name(built.source.distribution)
    binding = eventbridge_package(built.source.schema)
    code = CHECK_IMPORTED.replace("{modules!r}", repr([package]))
    result = run_python(code, path=installed)
    assert (result.returncode, result.stdout.strip()) == (0, "imported"), result.stderr[-3000:]
    code = CHECK_IMPORTED.replace("{modules!r}", repr([binding]))
    result = run_python(code, path=unzipped)
    assert (result.returncode, result.stdout.strip()) == (0, "imported"), result.stderr[-3000:]
    assert payloads.ran() == []


def test_the_payloads_would_leave_a_marker(tmp_path: Path) -> None:
    """The payloads work: executed, each form creates its marker (so `ran() == []` above means something)."""
    payloads = Payloads(tmp_path / "markers")
    for _ in range(3):
        exec(payloads.code(), {})
    assert payloads.ran() == ["ran-0", "ran-1", "ran-2"]


# (registry, schema): as odd as registry/domain/names.py allows (`[A-Za-z0-9._\-@/]`, no `.`/`..` segment)
HOSTILE_NAMES = [
    ("..a", "..@/a"),
    ("r", "aws.partner-../x"),
    ("r", "aws.partner-..@.."),
    ("r", "aws...@..."),
    ("r", "aws.__init__"),
    ("r", "aws.partner-/..a/..b"),
    ("__init__", "__init__@__init__"),
    ("-", "-@-"),
    ("_..", "@..@"),
    ("r", "a/..b/..c@../.d"),
    ("r", "aws.models@marshaller"),
    ("r", "x" * 385),
    ("r" * 64, "aws." + "a." * 190 + "b"),
    ("r", "aws.partner-" + "/-" * 186 + "x"),
    ("1", "class@None"),
]


@pytest.mark.parametrize(("registry", "schema"), HOSTILE_NAMES)
def test_archive_entries_stay_inside_their_package(registry: str, schema: str, tmp_path: Path) -> None:
    """Every wheel entry is under the import package or the dist-info, every zip entry under `schema/`."""
    registry_name(registry)  # both names are accepted by the registry
    schema_name(schema)
    built = generate(DRAFT4, {"type": "object", "properties": {"a": {"type": "string"}}})
    distribution = distribution_name(registry, schema)
    source = PackageSource(
        registry, schema, 7, built.source.fingerprint, DRAFT4, built.source.canonical_content, distribution
    )
    wheel, archive = build_wheel(built.models, source), build_zip(built.models, source)
    package = import_name(distribution)
    dist_info = f"{distribution.replace('-', '_')}-{source.package_version}.dist-info"
    folder = eventbridge_package(schema).replace(".", "/")
    for name in archive_names(wheel) + archive_names(archive):
        path = PurePosixPath(name)
        assert not path.is_absolute() and "\\" not in name, name
        assert not {"..", ".", ""} & set(name.split("/")), name
    for name in archive_names(wheel):
        assert PurePosixPath(name).parts[0] in {package, dist_info}, name
        assert len(PurePosixPath(name).parts) == 2, name
    assert folder.startswith("schema")
    for name in archive_names(archive):
        assert name == "README.md" or (
            name.startswith(f"{folder}/") and name.count("/") == folder.count("/") + 1
        )
    # what an unzip and an installer would write stays in the folder given to them
    for artifact, into in ((wheel, tmp_path / "wheel"), (archive, tmp_path / "zip")):
        extract(artifact, into)
        assert all(path.resolve().is_relative_to(into.resolve()) for path in into.rglob("*"))
    assert "/" not in wheel.filename and "/" not in archive.filename and ".." not in wheel.filename
