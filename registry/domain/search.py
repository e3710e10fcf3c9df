"""What search looks in, and how a schema's search document is built from its versions.

A schema's document holds its name, its description and the keywords of its contracts: property names,
the names of its definitions (`definitions`, `components.schemas`), titles, descriptions and enum values.
Every term of a query must be a substring of one of them, ignoring case, as before the index existed: the
index answers substrings (trigrams), not whole words. Keywords are collected newest version first and
bounded, so a schema with thousands of versions keeps a document of bounded size (its newest keywords).
Migration 0010 holds a copy of this extraction (migrations stay self-contained); a test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from registry.domain.errors import InvalidCursor
from registry.domain.model import SearchHit

MAX_TERMS = 8  # of a query; the rest are ignored, as before the index existed
MAX_KEYWORD_CHARS = 200  # one keyword: a long description is cut here
MAX_KEYWORDS_CHARS = 8000  # all of a schema's keywords

# Where a term was found, best first: the rank of a hit is the sum over its terms.
IN_NAME, IN_DESCRIPTION, IN_KEYWORDS = 4, 2, 1

# objects whose keys name things: properties, definitions (OpenAPI's components.schemas too)
_NAMED_CHILDREN = ("properties", "patternProperties", "definitions", "$defs", "schemas")
_TEXT_KEYWORDS = ("title", "description")
_BRANCHES = (dict, list)
_ENUM_WORDS = (str, int, float)


def fold(text: str) -> str:
    """Case-folded, whitespace as single spaces: documents and terms compare this way; a newline never
    appears inside a part, so it separates the parts of a document. `str.split()` cuts at the characters
    that migration 0010's `\\s+` matches (Unicode's whitespace, `str.isspace`) in a fraction of its time: a
    registration folds every property name of its contract."""
    return " ".join(text.split()).lower()


def query_terms(query: str) -> list[str]:
    """The folded terms of a query (whitespace-separated, at most MAX_TERMS)."""
    return [fold(term) for term in query.split()[:MAX_TERMS]]


def contract_keywords(contract: Any) -> list[str]:
    """The folded keywords of one contract, in document order, each once."""
    found: dict[str, None] = {}
    _collect(contract, found)
    return list(found)


def _collect(node: Any, found: dict[str, None]) -> None:
    """Only objects and arrays are visited: scalars hold no keywords but as values of the keys above.
    (A registration walks its whole contract here: the isinstance tuples are built once.)"""
    if isinstance(node, list):
        for item in node:
            if isinstance(item, _BRANCHES):
                _collect(item, found)
        return
    if not isinstance(node, dict):
        return
    for key in sorted(node):  # in key order, as stored (canonical JSON), whatever given
        value = node[key]
        if isinstance(value, dict):
            if key in _NAMED_CHILDREN:
                for name in sorted(value):
                    _add(name, found)
            _collect(value, found)
        elif isinstance(value, list):
            if key == "enum":
                for member in value:
                    if isinstance(member, _ENUM_WORDS) and not isinstance(member, bool):
                        _add(str(member), found)
            _collect(value, found)
        elif key in _TEXT_KEYWORDS and isinstance(value, str):
            _add(value, found)


def _add(text: str, found: dict[str, None]) -> None:
    keyword = fold(text)[:MAX_KEYWORD_CHARS]
    if keyword:
        found[keyword] = None


def merge_keywords(newer: Iterable[str], older: Iterable[str]) -> list[str]:
    """Newer keywords first, then the older ones not yet seen, until MAX_KEYWORDS_CHARS. Merging a new
    version's keywords into a stored document gives what rebuilding from every version would."""
    merged: dict[str, None] = {}
    size = 0
    for keyword in (*newer, *older):
        if keyword in merged:
            continue
        size += len(keyword) + 1
        if size > MAX_KEYWORDS_CHARS:
            break
        merged[keyword] = None
    return list(merged)


@dataclass(frozen=True)
class SearchDocument:
    """What the index stores of one schema, folded."""

    name: str
    description: str
    keywords: tuple[str, ...]

    @property
    def text(self) -> str:
        """What the terms are searched in: the parts, one a line."""
        return "\n".join((self.name, self.description, *self.keywords))


def search_document(name: str, description: str | None, keywords: Iterable[str]) -> SearchDocument:
    return SearchDocument(fold(name), fold(description or ""), tuple(keywords))


def keywords_of(document_text: str) -> list[str]:
    """The keywords of a stored document's text (its lines after the name and the description)."""
    return document_text.split("\n")[2:]


@dataclass(frozen=True)
class SearchAfter:
    """Where a page of hits ended: hits come best ranked first, then by registry and schema name."""

    rank: int
    registry: str
    schema: str


@dataclass(frozen=True)
class RankedHit:
    hit: SearchHit
    rank: int

    def cursor_key(self) -> str:
        """What a text cursor resuming after this hit holds (pagination.encode_cursor wraps it)."""
        return f"{self.rank}\n{self.hit.registry}\n{self.hit.schema}"


def search_after(key: str | None) -> SearchAfter | None:
    """The position a decoded text cursor names (RankedHit.cursor_key); InvalidCursor if it names none."""
    if key is None:
        return None
    parts = key.split("\n")
    if len(parts) != 3 or not parts[0].isdigit():
        raise InvalidCursor()
    return SearchAfter(int(parts[0]), parts[1], parts[2])
