"""References resolved as the registry resolves them, and written back as plain pointers into the document.

The registry follows a JSON Schema's references with `referencing`, against the base URI in scope where each
is written: the document's own `$id` (Draft 4: `id`), a subschema's `$id`, anchors. The generator knows
none of that, and takes `https://example.com/x.json#/definitions/a` in a document whose `$id` is that URL
for a file to fetch. So every reference is resolved here the registry's way, and rewritten as `#/<pointer>`
from the document's root to the very subschema it reaches; the generator then only meets local pointers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from referencing import Registry
from referencing.jsonschema import UnknownDialect, specification_with

from codegen.schemas import escape, walk, walk_with_pointers

REFERENCE = "$ref"
# what gives a subschema a base URI or a name of its own (Draft 4's `id`; `$id` from Draft 6; anchors)
BASE_KEYWORDS = ("id", "$id", "$anchor", "$dynamicAnchor")
DRAFT4_ID = "http://json-schema.org/draft-04/schema"
# what a URI fragment may hold unescaped (RFC 3986 pchar): `#/$defs/a` stays as it is usually written
FRAGMENT_SAFE = "/~!$&'()*+,;=:@"


def localise_refs(document: dict[str, Any]) -> None:
    """Rewrite, in place, every `$ref` of a JSON Schema document that resolves inside it as `#/<pointer>`.

    A reference that does not resolve (the registry refuses those) is left as it is: the generator's error
    then says which one.
    """
    if not any(isinstance(node.get(keyword), str) for node in walk(document) for keyword in BASE_KEYWORDS):
        return  # no base URI but the document's own (none), no anchor: every reference is a local pointer
    declared = document.get("$schema")
    try:
        # the registry reads "…/schema#" and "…/schema" alike, and a document without `$schema` as Draft 4
        specification = specification_with(declared.rstrip("#") if isinstance(declared, str) else DRAFT4_ID)
    except UnknownDialect:  # the registry refuses those; the generator's error will say what it makes of it
        return
    resource = specification.create_resource(document)
    base = resource.id() or ""
    root = Registry().with_resource(base, resource).resolver(base_uri=base)
    places = _places(document)
    for holder, node in walk_with_pointers(document):
        ref = node.get(REFERENCE)
        if not isinstance(ref, str):
            continue
        try:
            target = root.lookup("#" + quote(holder, safe=FRAGMENT_SAFE)).resolver.lookup(ref).contents
        except Exception:  # unresolvable, or a document `referencing` cannot read: left to the generator
            continue
        pointer = places.get(id(target))
        if pointer is not None:
            node[REFERENCE] = "#" + quote(pointer, safe=FRAGMENT_SAFE)


def _places(document: Any) -> dict[int, str]:
    """The JSON pointer of every object in the document, by identity: resolution hands back the object."""
    places: dict[int, str] = {}
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, dict):
            places[id(node)] = pointer
            stack.extend((f"{pointer}/{escape(key)}", value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((f"{pointer}/{index}", value) for index, value in enumerate(node))
    return places
