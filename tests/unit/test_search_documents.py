"""What a schema's search document holds, and that it stays bounded and independent of how it was built."""

from __future__ import annotations

import re
import sys
from typing import Any

from registry.domain.search import (
    MAX_KEYWORD_CHARS,
    MAX_KEYWORDS_CHARS,
    contract_keywords,
    fold,
    merge_keywords,
    query_terms,
    search_document,
)


def test_keywords_are_names_titles_descriptions_enum_values_and_definitions_folded() -> None:
    contract = {
        "title": "Order  Created",
        "properties": {
            "orderId": {"type": "string", "description": "the\norder"},
            "state": {"enum": ["NEW", 3]},
        },
        "definitions": {"Money": {"properties": {"amount": {"type": "number", "enum": [True, None]}}}},
        "components": {"schemas": {"AWSEvent": {"type": "object"}}},
        "x-other": "not a keyword",
    }
    assert contract_keywords(contract) == [
        "awsevent", "money", "amount", "orderid", "state", "the order", "new", "3", "order created",
    ]  # fmt: skip
    assert contract_keywords({"description": "x" * 1000}) == ["x" * MAX_KEYWORD_CHARS]


def test_a_document_is_bounded_whatever_its_contracts_hold() -> None:
    huge = {"properties": {f"property{index:05}": {} for index in range(5000)}}
    keywords = merge_keywords(contract_keywords(huge), [])
    document = search_document("Huge", "a description", keywords)
    assert len(document.text) <= MAX_KEYWORDS_CHARS + len("huge\na description\n")
    assert document.text.split("\n")[:3] == ["huge", "a description", "property00000"]


def test_merging_each_new_version_gives_the_document_built_from_every_version() -> None:
    """What registration does (merge the newest into the stored document) and what a rebuild or the
    migration does (every version, newest first) agree, also once the bound cuts keywords off."""
    versions: list[Any] = [
        {"properties": {f"field{version}_{index}": {} for index in range(version * 40)}}
        for version in range(1, 12)
    ]
    stored: list[str] = []
    for contract in versions:  # oldest first, as registered
        stored = merge_keywords(contract_keywords(contract), stored)
    rebuilt: list[str] = []
    for contract in reversed(versions):
        rebuilt = merge_keywords(rebuilt, contract_keywords(contract))
    assert stored == rebuilt
    assert (
        sum(len(each) + 1 for each in stored)
        <= MAX_KEYWORDS_CHARS
        < sum(len(each) + 1 for contract in versions for each in contract_keywords(contract))
    )


def test_query_terms_are_folded_and_at_most_eight() -> None:
    assert query_terms("  Order\tCREATED  ") == ["order", "created"]
    assert query_terms(" ".join(str(n) for n in range(20))) == [str(n) for n in range(8)]


def test_folding_cuts_at_every_character_the_migrations_copy_treats_as_whitespace() -> None:
    """Migration 0010 folds with the regular expression `\\s+`; the service splits at `str.isspace`
    characters. The documents each builds must be the same, so both must agree on every character."""
    pattern = re.compile(r"\s+")
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = {*"".join(pattern.findall(every)), *(each for each in every if each.isspace())}
    assert len(spaces) > 20  # the ASCII ones, the separators, NEXT LINE, NO-BREAK SPACE, ...
    for space in spaces:
        text = f"{space} A{space}{space}b\t{space}"
        assert fold(text) == pattern.sub(" ", text).strip().lower() == "a b", hex(ord(space))
