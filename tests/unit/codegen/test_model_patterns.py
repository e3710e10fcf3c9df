"""Generated models run a contract's ECMA-262 patterns with the same meaning, or not at all.

pydantic runs `Field(pattern=...)` with the Rust `regex` crate, another dialect (`\\d` is any Unicode digit
there, no lookarounds). `codegen.prepare.patterns_for_models` rewrites each pattern for that engine, or
leaves the constraint out, so that a model never rejects a document the contract accepts.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, TypeAdapter, ValidationError

from codegen.prepare import patterns_for_models
from registry.domain.formats.ecma_regex import RUST_MAX_COUNT, rust_pattern
from registry.domain.formats.regexes import InvalidPattern, checked_size, search
from tests.unit.codegen.support import DRAFT4, OPENAPI, generate, loaded_module, openapi_doc
from tests.unit.test_ecma_regex import ALPHABET, MATCHES, ecma_patterns


def model_accepts(pattern: str, text: str) -> bool:
    adapter: TypeAdapter[str] = TypeAdapter(Annotated[str, Field(pattern=pattern)])
    try:
        adapter.validate_python(text)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCHES)
def test_a_rewritten_pattern_means_in_pydantic_what_it_means_in_ecma_262(
    pattern: str, text: str, expected: bool
) -> None:
    rewritten = rust_pattern(pattern)

    if rewritten is None:  # left out: the model accepts the string, whatever the contract says
        assert pattern and any(part in pattern for part in ("(?<=", "\\k", "\\1", "\\p", "\\P"))
    else:
        assert model_accepts(rewritten, text) is expected


@given(ecma_patterns(), st.lists(st.text(ALPHABET, max_size=6), min_size=1, max_size=4))
def test_generated_patterns_mean_the_same_for_the_models_or_are_left_out(
    pattern: str, texts: list[str]
) -> None:
    try:
        checked_size(pattern)
    except InvalidPattern:  # refused at registration: never reaches the generator
        return
    rewritten = rust_pattern(pattern)
    for text in texts:
        if rewritten is not None:
            assert model_accepts(rewritten, text) is search(pattern, text), (pattern, rewritten, text)


@pytest.mark.parametrize(
    "pattern",
    [r"(?<=a)b", r"(?<n>a)\k<n>", r"\p{L}+", r"[^\P{Lu}]", r"(?!x)", "a{1001}", "(?:ab){2,5000}", "(?P<n>a)"],
)
def test_what_the_models_engine_cannot_say_alike_is_left_out(pattern: str) -> None:
    assert rust_pattern(pattern) is None


def test_a_thousand_fold_repetition_of_a_wide_set_still_loads() -> None:
    rewritten = rust_pattern(r"^[^\s]" + f"{{{RUST_MAX_COUNT}}}$")

    assert rewritten is not None
    assert model_accepts(rewritten, "\u00e9" * RUST_MAX_COUNT)


def test_pattern_properties_keys_are_rewritten_merged_or_opened() -> None:
    document: dict[str, Any] = {
        "definitions": {
            "E": {
                "pattern": r"^\d$",
                "properties": {"p": {"pattern": r"(?<=a)b"}},
                "patternProperties": {
                    r"^\d$": {"type": "integer"},
                    "^[0-9]$": {"minimum": 1},
                    r"^\p{L}$": {"type": "string"},
                },
            }
        }
    }

    patterns_for_models(document)

    schema = document["definitions"]["E"]
    assert schema["pattern"] == r"\A[0-9]\z"
    assert schema["properties"]["p"] == {}
    assert schema["patternProperties"] == {
        r"\A[0-9]\z": {"allOf": [{"type": "integer"}, {"minimum": 1}]},
        "": {},
    }


CONTRACT = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "pattern": r"^(?<prefix>[A-Z]{2})-\d{4}$"},
        "name": {"type": "string", "pattern": r"^\p{Lu}\p{Ll}+$"},
        "tail": {"type": "string", "pattern": r"(?<=-)x$"},
        "digits": {"type": "string", "pattern": r"^\d+$"},
        "tags": {"type": "array", "items": {"type": "string", "pattern": r"^\u{1F600}|[a-z]$"}},
    },
}
VALID = {
    "code": "AB-1234",
    "name": "\u00c9mile",
    "tail": "a-x",
    "digits": "0042",
    "tags": ["\U0001f600", "z"],
}


@pytest.mark.parametrize("kind", [DRAFT4, OPENAPI])
def test_models_of_ecma_262_patterns_generate_load_and_accept_valid_events(kind: str) -> None:
    content = CONTRACT if kind == DRAFT4 else openapi_doc({"Event": CONTRACT})
    built = generate(kind, content, event_root=None if kind == DRAFT4 else "Event")

    assert built.contract.validate_event(VALID) == []
    assert "python-re" not in built.models.module  # no unbounded `re` in the consumers' services
    with loaded_module(built.models.module) as module:
        root = getattr(module, built.models.root_class)
        root.model_validate(VALID)
        with pytest.raises(ValidationError):
            root.model_validate({**VALID, "digits": "\u0660"})  # a Unicode digit: not ECMA-262's \d
        with pytest.raises(ValidationError):
            root.model_validate({**VALID, "code": "AB-1234\n"})  # `$` is the very end
