"""Generation of models from real contracts: they load, validate the sample events and refuse invalid ones."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest

from codegen import ContractInput, GenerationFailed, generate_models
from codegen.generate import _check_loads
from codegen.safety import check_models_module
from tests.unit.codegen.support import (
    DRAFT4,
    DRAFT4_DIALECT,
    OPENAPI,
    contract_input,
    generate,
    loaded_module,
    openapi_doc,
)
from tests.unit.conftest import Example, all_examples

Named = Callable[[str], Example]
DRAFT4_EXAMPLES = [case for case in all_examples() if case.kind == "draft4"]
Event = dict[str, Any]


def _errors(model: type[pydantic.BaseModel], event: Any) -> list[tuple[Any, ...]]:
    """The `loc` of every error validating `event`; [] when it is valid."""
    try:
        model.model_validate(event)
    except pydantic.ValidationError as exc:
        return [tuple(error["loc"]) for error in exc.errors()]
    return []


def test_every_example_generates_and_its_root_validates_the_sample_event(example: Example) -> None:
    """Every example contract generates; the module loads; the root class accepts the sample event, from a
    dict and from JSON; the wrapper generation needed to find the root is not in the module."""
    built = generate(example.type, example.content)
    models = built.models
    assert models.is_envelope
    assert models.root_class == "AWSEvent"
    assert models.detail_class is not None
    with loaded_module(models.module) as module:
        root = getattr(module, models.root_class)
        event = root.model_validate(example.event)
        assert type(event).__name__ == "AWSEvent"
        assert type(event.detail) is getattr(module, models.detail_class)
        assert root.model_validate_json(json.dumps(example.event)) == event
        assert not hasattr(module, "RegistryEventRoot")
    assert "RegistryEventRoot" not in models.module


def test_annotations_are_evaluated_as_the_module_loads() -> None:
    """No `from __future__ import annotations`: pydantic need not compile every annotation from a string
    (a fifth of the load of a large module). Forward references of recursive models are quoted instead."""
    schema = {
        "title": "Tree",
        "type": "object",
        "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
    }
    models = generate(DRAFT4, schema).models
    assert "__future__" not in models.module
    with loaded_module(models.module) as module:
        tree = module.Tree.model_validate({"name": "a", "children": [{"children": [{"name": "c"}]}]})
        assert tree.children[0].children[0].name == "c"
        with pytest.raises(pydantic.ValidationError):
            module.Tree.model_validate({"children": [{"name": 1}]})


def test_generation_is_deterministic(example: Example) -> None:
    """The same contract gives the very same module and class names every time (the wheel's bytes depend on
    it; test_package.py checks that across interpreters with other hash seeds)."""
    first = generate(example.type, example.content)
    again = generate_models(contract_input(first.contract))
    assert again == first.models
    assert again.module.encode() == first.models.module.encode()


MUTATIONS: list[tuple[str, Callable[[Event], None], tuple[Any, ...]]] = [
    ("draft4/custom-invoice-issued", lambda e: e["detail"].update(total=0), ("detail", "total")),
    ("draft4/custom-invoice-issued", lambda e: e["detail"].update(taxRate=1), ("detail", "taxRate")),
    (
        "draft4/order-tree",
        lambda e: e["detail"]["lines"][0]["children"][1]["children"][0].update(quantity=0),
        ("detail", "lines", 0, "children", 1, "children", 0, "quantity"),
    ),
    (
        "draft4/order-tree",
        lambda e: e["detail"]["lines"][0]["children"][1]["children"][0].update(surprise=1),
        ("detail", "lines", 0, "children", 1, "children", 0, "surprise"),
    ),
    (
        "openapi3/custom-payment-processed",
        lambda e: e["detail"]["method"].update(type="cash"),
        ("detail", "method"),
    ),
    ("openapi3/custom-order-created", lambda e: e["detail"].update(status="SHIPPED"), ("detail", "status")),
    ("openapi3/aws-ec2-instance-state-change", lambda e: e.update(region="xx-nowhere-1"), ("region",)),
    (
        "draft4/custom-order-created",
        lambda e: e["detail"]["items"][0]["unitPrice"].update(amount=None),
        ("detail", "items", 0, "unitPrice", "amount"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "mutate", "loc"),
    MUTATIONS,
    ids=[f"{path}:{'.'.join(map(str, loc))}" for path, _, loc in MUTATIONS],
)
def test_invalid_mutations_are_refused_naming_the_field(
    example_named: Named, path: str, mutate: Callable[[Event], None], loc: tuple[Any, ...]
) -> None:
    """The README's invalid mutations: the contract refuses them, and so does the root model, at the field."""
    example = example_named(path)
    built = generate(example.type, example.content)
    event = copy.deepcopy(example.event)
    mutate(event)
    assert built.contract.validate_event(event), "the mutation must make the event invalid for the contract"
    with loaded_module(built.models.module) as module:
        root = getattr(module, built.models.root_class)
        assert _errors(root, example.event) == []
        assert loc in _errors(root, event)


def test_formats_are_annotations_in_the_models_as_in_the_registry(example_named: Named) -> None:
    """`email: "not-an-email"` passes the registry's default validation, and the models agree."""
    example = example_named("openapi3/custom-order-created")
    built = generate(example.type, example.content)
    event = copy.deepcopy(example.event)
    event["detail"]["customer"]["email"] = "not-an-email"
    assert built.contract.validate_event(event) == []
    assert built.contract.validate_event(event, check_formats=True)
    with loaded_module(built.models.module) as module:
        assert _errors(getattr(module, built.models.root_class), event) == []


@pytest.mark.parametrize("draft4", DRAFT4_EXAMPLES, ids=[case.name for case in DRAFT4_EXAMPLES])
@pytest.mark.parametrize("title", [None, "AWSEvent", "InvoiceIssued", "Something Else"])
def test_export_schema_roots_become_aws_event(draft4: Example, title: str | None) -> None:
    """A Draft 4 root in the ExportSchema layout is the envelope `AWSEvent`, whatever its title says."""
    content = copy.deepcopy(draft4.content)
    content.pop("title", None)
    if title is not None:
        content["title"] = title
    models = generate(draft4.type, content).models
    assert (models.root_class, models.is_envelope) == ("AWSEvent", True)
    assert models.detail_class is not None
    with loaded_module(models.module) as module:
        event = module.AWSEvent.model_validate(draft4.event)
        assert type(event.detail) is getattr(module, models.detail_class)


def test_a_bare_draft4_schema_is_rooted_at_its_title() -> None:
    """Not an EventBridge envelope: the root class is the title (`Thing`), there is no detail class."""
    schema = {
        "$schema": DRAFT4_DIALECT,
        "title": "Thing",
        "type": "object",
        "properties": {"a": {"type": "string"}},
    }
    models = generate(DRAFT4, schema).models
    assert (models.root_class, models.detail_class, models.is_envelope) == ("Thing", None, False)
    with loaded_module(models.module) as module:
        assert module.Thing.model_validate({"a": "x"}).a == "x"
        assert _errors(module.Thing, {"a": 1}) == [("a",)]


def test_a_bare_draft4_schema_without_title_is_rooted_at_event() -> None:
    """No title: the root class is `Event`."""
    models = generate(DRAFT4, {"type": "object", "properties": {"a": {"type": "integer"}}}).models
    assert (models.root_class, models.detail_class, models.is_envelope) == ("Event", None, False)


def test_a_title_equal_to_a_definition_name_gets_its_own_class() -> None:
    """Root title `Thing` and a definition `Thing`: two classes, each validating its own shape."""
    schema = {
        "title": "Thing",
        "type": "object",
        "required": ["inner"],
        "properties": {"inner": {"$ref": "#/definitions/Thing"}},
        "definitions": {
            "Thing": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
        },
    }
    models = generate(DRAFT4, schema).models
    assert models.root_class != "Thing"
    with loaded_module(models.module) as module:
        root = getattr(module, models.root_class)
        assert type(root.model_validate({"inner": {"n": 1}}).inner) is module.Thing
        assert _errors(root, {"inner": {"n": "x"}}) == [("inner", "n")]
        assert _errors(root, {"n": 1}) == [("inner",)]


def test_a_recursive_schema_validates_deep_trees(example_named: Named) -> None:
    """order-tree's `OrderLine.children` refers to `OrderLine`: 12 levels validate, a bad leaf is found."""
    example = example_named("draft4/order-tree")
    models = generate(example.type, example.content).models
    event = copy.deepcopy(example.event)
    leaf: Event = {"lineId": "x", "kind": "product", "quantity": 1}
    node = leaf
    for depth in range(12):
        node = {"lineId": f"n{depth}", "kind": "bundle", "quantity": 1, "children": [node]}
    event["detail"]["lines"] = [node]
    with loaded_module(models.module) as module:
        root = module.AWSEvent
        assert _errors(root, example.event) == []
        assert _errors(root, event) == []
        leaf["quantity"] = 0
        assert _errors(root, event) == [("detail", "lines", 0, *(["children", 0] * 12), "quantity")]


def test_defs_and_references_into_the_root_generate() -> None:
    """`$defs`, `#/properties/a` and `#` (the root itself) are followed to the right classes."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "a": {"$ref": "#/$defs/A"},
            "b": {"$ref": "#/properties/a"},
            "self": {"$ref": "#"},
        },
        "$defs": {"A": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}},
    }
    models = generate(DRAFT4, schema).models
    with loaded_module(models.module) as module:
        root = getattr(module, models.root_class)
        valid = {"a": {"x": 1}, "b": {"x": 2}, "self": {"a": {"x": 3}, "self": {"b": {"x": 4}}}}
        parsed = root.model_validate(valid)
        assert type(parsed.b) is type(parsed.a) is module.A
        assert type(parsed.self) is root
        assert _errors(root, {"self": {"self": {"b": {"x": "no"}}}}) == [("self", "self", "b", "x")]


def test_escaped_reference_tokens_are_followed() -> None:
    """Keys needing `~1`, `~0` and percent-encoding in a `$ref` are renamed with their references."""
    schema = {
        "type": "object",
        "properties": {
            "slash": {"$ref": "#/definitions/a~1b"},
            "tilde": {"$ref": "#/definitions/c~0d"},
            "space": {"$ref": "#/definitions/e%20f"},
            "deep": {"$ref": "#/definitions/a~1b/properties/n"},
        },
        "definitions": {
            "a/b": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "c~d": {"type": "object", "properties": {"s": {"type": "string"}}},
            "e f": {"type": "object", "properties": {"b": {"type": "boolean"}}},
        },
    }
    models = generate(DRAFT4, schema).models
    with loaded_module(models.module) as module:
        root = getattr(module, models.root_class)
        event = {"slash": {"n": 1}, "tilde": {"s": "x"}, "space": {"b": True}, "deep": 2}
        assert _errors(root, event) == []
        bad = {"slash": {"n": "x"}, "tilde": {"s": 1}, "space": {"b": "maybe"}, "deep": "x"}
        assert sorted(_errors(root, bad), key=str) == sorted(
            [("slash", "n"), ("tilde", "s"), ("space", "b"), ("deep",)], key=str
        )


def test_a_dotted_component_name_stays_in_one_module() -> None:
    """`orders.Order` would make the generator write a package of modules; it is renamed instead."""
    document = openapi_doc(
        {
            "orders.Order": {
                "type": "object",
                "required": ["line"],
                "properties": {"line": {"$ref": "#/components/schemas/orders.Line"}},
            },
            "orders.Line": {"type": "object", "properties": {"n": {"type": "integer"}}},
        }
    )
    built = generate(OPENAPI, document, event_root="orders.Order")
    models = built.models
    assert models.root_class == "OrdersOrder" and not models.is_envelope
    with loaded_module(models.module) as module:
        assert type(module.OrdersOrder.model_validate({"line": {"n": 1}}).line) is module.OrdersLine
        assert _errors(module.OrdersOrder, {"line": {"n": "x"}}) == [("line", "n")]


def test_a_discriminated_union_picks_the_mapped_class(example_named: Named) -> None:
    """custom-payment-processed: the `type` tag selects CardPayment, BankTransferPayment or WalletPayment."""
    example = example_named("openapi3/custom-payment-processed")
    models = generate(example.type, example.content).models
    with loaded_module(models.module) as module:
        event = module.AWSEvent.model_validate(example.event)
        assert type(event.detail.method).__name__ == "CardPayment"


def test_a_pattern_neither_regex_engine_accepts_is_left_out_of_the_models() -> None:
    """`(?<=\\p{L})x`: Rust regex has no lookbehind, Python `re` no `\\p{L}`: the models leave the constraint
    out (they accept more than the contract, never less; see test_model_patterns.py)."""
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "(?<=\\p{L})x"}}}
    models = generate_models(ContractInput(DRAFT4, schema))
    assert "pattern" not in models.module
    with loaded_module(models.module) as module:
        module.Event.model_validate({"a": "\u00e9x"})


def test_an_openapi_contract_without_its_event_root_fails_readably(example_named: Named) -> None:
    """OpenAPI generation needs the `components.schemas` key of the event; a wrong one is reported."""
    example = example_named("openapi3/custom-order-created")
    for root in (None, "NoSuchSchema"):
        with pytest.raises(GenerationFailed, match=r"cannot be prepared.*event root"):
            generate_models(ContractInput(OPENAPI, example.content, root))
    with pytest.raises(GenerationFailed, match="unknown contract type"):
        generate_models(ContractInput("Avro", example.content))


def test_the_load_check_runs_the_module_as_its_consumers_import_it() -> None:
    """The check at generation loads the module as an import does: without `from __future__ import
    annotations`, each annotation evaluated as its class body runs. It once inherited that import from
    codegen/generate.py (`compile` inherits the caller's future imports): every annotation became a string
    for pydantic to compile again, and an annotation naming a class defined further down passed the check
    (pydantic defers such a class) while every consumer's import raised NameError."""
    source = (
        "from pydantic import BaseModel\n\n\n"
        "class Order(BaseModel):\n    line: Line\n\n\n"
        "class Line(BaseModel):\n    quantity: int\n"
    )
    tree = check_models_module(source)  # the proof allows it: `Line` is a class of the module
    with pytest.raises(NameError):
        exec(compile(source, "<consumer>", "exec", dont_inherit=True), {})  # what an import does
    with pytest.raises(GenerationFailed, match=r"^the generated models do not load: NameError"):
        _check_loads(tree)


def test_the_module_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generator's formatter reads its settings from the nearest pyproject.toml of its settings path,
    the working directory unless told otherwise: a replica started in a project's folder wrote the same
    contract otherwise (another line length, pydantic's import grouped as first-party), and so another
    wheel, with another sha256, than one started elsewhere."""
    contract = ContractInput(
        DRAFT4,
        {
            "title": "Shipment",
            "type": "object",
            "properties": {
                "reference": {
                    "type": "string",
                    "description": "long enough to be wrapped at one line length and not at another",
                    "maxLength": 64,
                },
                "sent_at": {"type": "string", "format": "date-time"},
            },
        },
    )
    plain, configured = tmp_path / "plain", tmp_path / "configured"
    plain.mkdir()
    (configured / "deep").mkdir(parents=True)
    (configured / "pyproject.toml").write_text(
        '[tool.ruff]\nline-length = 60\n\n[tool.isort]\nknown_first_party = ["pydantic", "datetime"]\n'
    )
    monkeypatch.chdir(plain)
    expected = generate_models(contract).module
    monkeypatch.chdir(configured / "deep")  # the nearest pyproject.toml is the parent folder's
    assert generate_models(contract).module == expected
    assert max(len(line) for line in expected.splitlines()) > 60  # so a line length of 60 would show
