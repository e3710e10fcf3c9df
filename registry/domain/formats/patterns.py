"""The regular expressions a contract holds: finding them, and refusing those that cannot be evaluated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.domain.errors import InvalidContract, RegexTooComplex
from registry.domain.formats.pointers import Path, escape, pointer_of
from registry.domain.formats.regexes import (
    InvalidPattern,
    PatternTooLarge,
    UnsafePattern,
    checked_size,
    compiled_pattern,
)

DATA_KEYWORDS = frozenset({"default", "enum", "const", "example", "examples"})
"""Keywords whose values are instances, not schemas: a `"pattern"` inside them is data."""
NAMED_MAPS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies", "schemas"}
)
"""Keywords whose values map names to schemas: there a key such as "default" is a name, not a keyword."""
MAX_CONTRACT_SIZE = 100_000
"""Steps all the distinct patterns of one contract may unroll to together (see regexes.MAX_EXPANDED_SIZE)."""


def contract_patterns(document: Any) -> Iterator[tuple[str, str]]:
    """Every `pattern` and `patternProperties` key in the document's schemas, as (JSON pointer, pattern)."""
    stack: list[tuple[Path, Any, bool]] = [(None, document, False)]
    while stack:  # iterative: the depth is bounded, but a walk must never be the thing that recurses
        path, node, named = stack.pop()
        if isinstance(node, list):
            items = reversed(list(enumerate(node)))
            stack.extend(
                ((path, index), item, False) for index, item in items if isinstance(item, dict | list)
            )
            continue
        if not isinstance(node, dict):
            continue
        if not named:
            yield from _patterns_in(path, node)
        for key, child in reversed(list(node.items())):
            if not isinstance(child, dict | list):
                continue
            skipped = not named and (key in DATA_KEYWORDS or (isinstance(key, str) and key.startswith("x-")))
            if not skipped:
                stack.append(((path, key), child, not named and key in NAMED_MAPS))


def _patterns_in(path: Path, schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(schema.get("pattern"), str):
        yield f"{pointer_of(path)}/pattern", schema["pattern"]
    keyed = schema.get("patternProperties")
    for key in keyed if isinstance(keyed, dict) else ():
        yield f"{pointer_of(path)}/patternProperties/{escape(key)}", key


def check_patterns(document: Any) -> None:
    """Refuse a contract holding a pattern that is not ECMA-262, or patterns that unroll too far to compile.

    Each pattern is bounded (MAX_EXPANDED_SIZE), and so are all of them together: thousands of patterns
    just under the bound would otherwise take seconds and gigabytes to compile.
    """
    seen: set[str] = set()
    total = 0
    for pointer, pattern in contract_patterns(document):
        if pattern in seen:
            continue
        seen.add(pattern)
        try:
            total += checked_size(pattern)
            if total > MAX_CONTRACT_SIZE:
                raise PatternTooLarge(pattern, f"takes all patterns past {MAX_CONTRACT_SIZE} steps together")
            compiled_pattern(pattern)
        except UnsafePattern as failure:
            raise refusal(failure, pointer) from failure


def refusal(failure: UnsafePattern, pointer: str, context: str = "") -> InvalidContract:
    """The contract error for a failed pattern: invalid_contract, or regex_too_complex for a valid one."""
    kind = InvalidContract if isinstance(failure, InvalidPattern) else RegexTooComplex
    return kind(f"{failure}{context}", pointer=pointer)


def pointer_of_pattern(document: Any, pattern: str) -> str:
    """Where the document holds `pattern` (its first place; "" when it is nowhere a schema could hold it)."""
    return next((pointer for pointer, found in contract_patterns(document) if found == pattern), "")
