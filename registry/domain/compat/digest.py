"""Equal subtrees, recognised before anything is expanded: a canonical digest of what a schema constrains.

Two versions of a large contract mostly repeat each other. A subtree whose digest (and whose references'
targets' digests) are the same on both sides holds the same instances, so the comparison stops there at the
cost of hashing it once: a change confined to one subtree costs in proportion to that subtree.

The digest reads a schema as its draft does and leaves out what constrains no instance: the annotations
`title`, `description`, `examples`, `$comment`, `default` (and the like), and an `$id`/`id` where it changes
no resolution (at the root, or above no `$ref`). Names of properties and values of `enum`/`const` are data and
always count. References count by their text; `same` then compares, in both documents, the digests of every
schema reachable through them, so a reference is equal only where its targets are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urldefrag, urljoin

from registry.domain.compat.document import Doc, Node
from registry.domain.compat.equivalence import SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_VALUED
from registry.domain.formats.pointers import PointerNotFound, resolve_fragment

ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "examples",
        "$comment",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "markdownDescription",
        "enumDescriptions",
        "markdownEnumDescriptions",
    }
)
# maps of subschemas that are targets of references, not constraints where they stand
CONTAINERS = frozenset({"definitions", "$defs"})
SCHEMA_KEYED = SCHEMA_MAPS | CONTAINERS
DYNAMIC = frozenset({"$dynamicRef", "$recursiveRef"})
# marks, among the pointers a reference reaches, another document's URI (a pointer starts with "/" or is "")
EXTERNAL = "\1"
# json.dumps(value, sort_keys=True) and json.dumps(key), without building an encoder per call: a digest
# encodes every key and value of a document, so that cost was most of a comparison of two similar versions
_encoded = json.JSONEncoder(sort_keys=True).encode
_NO_REFS: frozenset[str] = frozenset()
_quoted = json.encoder.encode_basestring_ascii
# isinstance's classes as tuples built once: `dict | list` builds a union at every call, and a document's
# digests ask it of every subschema and every value (about 45 ns each)
_BRANCHES = (dict, list)
_SCHEMAS = (dict, bool)


class Digests:
    """The digests of one document's subschemas, and the references each one reaches (memoised by object
    identity; each schema is kept beside its answer, so its id is not reused meanwhile)."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.id_keyword = "$id" if "exclusiveMinimum" in doc.keywords else "id"
        # by object identity: the digest, the references below, and the schema itself (so that its id is not
        # reused meanwhile). Three flat maps rather than a tuple per subschema: a large document has tens of
        # thousands, and every tuple is one more object for the garbage collector to walk
        self._digest: dict[int, str] = {}
        self._refs: dict[int, frozenset[str] | None] = {}
        self._kept: dict[int, Any] = {}
        self._reach: dict[str, frozenset[str] | None] = {}
        self._closures: dict[frozenset[str], frozenset[str] | None] = {}
        # answers of `same` against other documents, by (schema, other schema, other document) identity
        self.compared: dict[tuple[int, int, int], tuple[Any, Any, bool]] = {}
        self.pointers: dict[tuple[str, int], bool] = {}
        # an embedded resource (an id below the root) with references inside: they resolve against it
        self.scoped = any(_refers_at(doc, pointer) for pointer in doc.resources)

    def fresh(self, doc: Doc) -> Digests:
        """These digests for `doc`, a fresh copy of this one's document (`Doc.fresh`): what was learnt of the
        document is copied, the answers against other documents start empty."""
        copy = object.__new__(Digests)
        copy.__dict__.update(self.__dict__)
        copy.doc = doc
        copy._digest, copy._refs, copy._kept = dict(self._digest), dict(self._refs), dict(self._kept)
        copy._reach = dict(self._reach)
        copy._closures = dict(self._closures)
        copy.compared, copy.pointers = {}, {}
        return copy

    def of(self, schema: Any, root: bool = False) -> tuple[str, frozenset[str] | None]:
        """(digest, the `$ref` texts in the subtree) - refs None when one of them cannot be compared."""
        key = id(schema)
        if self._kept.get(key) is schema:
            return self._digest[key], self._refs[key]
        refs: set[str] = set()
        text = self._canonical(schema, refs, root)
        # a digest is 32 hex characters: a shorter text (most leaves) stands for itself, unhashed, and cannot
        # equal a digest; hashing it would cost more than the rest of its work
        digest = text if len(text) < 32 else hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        frozen = _NO_REFS if not refs else frozenset(refs)
        if isinstance(schema, _BRANCHES):
            self._digest[key], self._refs[key], self._kept[key] = digest, frozen, schema
        return digest, frozen

    def _canonical(self, schema: Any, refs: set[str], root: bool) -> str:
        if not isinstance(schema, dict):
            return _encoded(schema)
        pieces = []
        doc = self.doc
        id_keyword, may_refer = self.id_keyword, doc.may_refer  # read once: every subschema comes here
        for key in sorted(schema):
            if key in ANNOTATIONS:
                continue
            value = schema[key]
            kind = type(value)
            if kind is str:  # most values: a type's name, a format, a pattern
                if key == id_keyword and (root or not doc.refers(schema)):
                    continue  # an id that changes no resolution
                if key == "$ref":
                    refs.add(value)
                    value = self.external(value) or value  # another document's schema: by its absolute URI
                elif key in DYNAMIC:
                    refs.add("\0")  # resolved by the path taken
                pieces.append(_quoted(key) + ":" + _quoted(value))
                continue
            if key in DYNAMIC or (may_refer and key in doc.keywords and _mentions_ref(key, value)):
                refs.add("\0")  # resolved by the path taken, or a reference this digest does not follow
            text = int.__repr__(value) if kind is int else self._value(key, value, refs)
            pieces.append(_quoted(key) + ":" + text)
        return "{" + ",".join(pieces) + "}"

    def _value(self, key: str, value: Any, refs: set[str]) -> str:
        if key in SCHEMA_VALUED and isinstance(value, _SCHEMAS):
            return self._child(value, refs)
        if key in SCHEMA_LISTS and isinstance(value, list):
            return "[" + ",".join(self._child(v, refs) for v in value) + "]"
        if key in SCHEMA_KEYED and isinstance(value, dict):
            # definitions are compared through the references that reach them: not part of the digest
            if key in CONTAINERS:
                return "0"
            entries = [
                _quoted(k) + ":" + (self._child(v, refs) if isinstance(v, _SCHEMAS) else _encoded(v))
                for k, v in sorted(value.items())
            ]
            return "{" + ",".join(entries) + "}"
        if type(value) is list and all(type(each) is str for each in value):
            return "[" + ", ".join(map(_quoted, value)) + "]"  # `_encoded`'s text: names, `enum`s of them
        return _encoded(value)

    def _child(self, value: Any, refs: set[str]) -> str:
        digest, inner = self.of(value)
        if inner:  # (most subschemas reach no reference: nothing to add, no set operation)
            refs |= inner
        elif inner is None:
            refs.clear()
            refs.add("\0")  # marks an incomparable reference below (see `reach`)
        return digest

    def target(self, ref: str) -> str | None:
        """The pointer a local reference names when it resolves the same from anywhere in this document."""
        if self.scoped or not ref.startswith("#"):
            return None  # embedded resources or other documents: their resolution is left undecided
        fragment = ref[1:]
        if fragment and not fragment.startswith("/"):
            return None  # an anchor
        try:
            resolve_fragment(self.doc.root, fragment)
        except (PointerNotFound, LookupError, TypeError):
            return None
        return fragment

    def external(self, ref: str) -> str | None:
        """The absolute URI of a reference to another document (none of this one's resources), which the
        registry never fetches; None for any other reference. Two documents that name the same URI name
        the same schema, whatever it is: as jsonschema reads them, neither instance set depends on it
        differently (every instance that reaches it is undecided in both)."""
        if self.scoped or ref.startswith("#"):
            return None
        base = self.doc.base_uri
        absolute = urljoin(base, ref) if base else ref
        document = urldefrag(absolute)[0]
        if not document or self.doc.owns(document):
            return None
        return absolute

    def reach(self, refs: frozenset[str]) -> frozenset[str] | None:
        """Every pointer reachable through `refs` (transitively); None when one cannot be followed."""
        if refs not in self._closures:
            self._closures[refs] = self._walk(refs)
        return self._closures[refs]

    def _walk(self, refs: frozenset[str]) -> frozenset[str] | None:
        seen: set[str] = set()
        todo = list(refs)
        while todo:
            ref = todo.pop()
            if ref in self._reach:
                known = self._reach[ref]
                if known is None:
                    return None
                seen |= known
                continue
            external = self.external(ref)
            if external is not None:
                seen.add(EXTERNAL + external)  # not followed: equal where the other document names it too
                continue
            pointer = self.target(ref)
            if pointer is None:
                self._reach[ref] = None
                return None
            if pointer in seen:
                continue
            seen.add(pointer)
            _, inner = self.of(resolve_fragment(self.doc.root, pointer), root=pointer == "")
            if inner is None or "\0" in inner:
                self._reach[ref] = None
                return None
            todo.extend(inner)
        return frozenset(seen)

    def at(self, pointer: str) -> str:
        return self.of(resolve_fragment(self.doc.root, pointer), root=pointer == "")[0]


def _mentions_ref(key: str, value: Any) -> bool:
    """A `$ref` inside a keyword's value that the digest reads as raw data (not one of the schema slots)."""
    if key in SCHEMA_VALUED | SCHEMA_LISTS | SCHEMA_KEYED or key == "$ref":
        return False
    return _has_ref(value)


def _has_ref(value: Any) -> bool:
    """A `$ref` key anywhere in a JSON value (a walk, not a serialisation: most are lists of names)."""
    if isinstance(value, dict):
        return "$ref" in value or any(_has_ref(v) for v in value.values() if isinstance(v, _BRANCHES))
    if isinstance(value, list):
        return any(_has_ref(v) for v in value if isinstance(v, _BRANCHES))
    return False


def digests(doc: Doc) -> Digests:
    found = getattr(doc, "_digests", None)
    if found is None:
        found = Digests(doc)
        doc._digests = found  # type: ignore[attr-defined]
    return found


def of(node: Node) -> str:
    """The digest of a node's schema (equal digests are necessary for `same`, not sufficient)."""
    return digests(node.doc).of(node.schema, root=node.path == "" and node.doc.locates(node))[0]


def same(a: Node, b: Node) -> bool:
    """True when `a` and `b` surely hold the same instances: equal digests, in the same draft, and every
    schema their references reach has equal digests in both documents. False means "not shown equal"."""
    if a.doc.keywords != b.doc.keywords or a.doc.ref_has_siblings != b.doc.ref_has_siblings:
        return False
    da, db = digests(a.doc), digests(b.doc)
    key = (id(a.schema), id(b.schema), id(b.doc))
    known = da.compared.get(key)
    if known is not None and known[0] is a.schema and known[1] is b.schema:
        return known[2]
    answer = _same(a, b, da, db)
    da.compared[key] = (a.schema, b.schema, answer)
    return answer


def _same(a: Node, b: Node, da: Digests, db: Digests) -> bool:
    left, refs = da.of(a.schema, root=a.path == "" and a.doc.locates(a))
    right, _ = db.of(b.schema, root=b.path == "" and b.doc.locates(b))
    if left != right or refs is None or "\0" in refs:
        return False
    if not refs:
        return True
    if da.scoped or db.scoped:
        return False
    pointers = da.reach(refs)
    if pointers is None or db.reach(refs) != pointers:
        return False
    try:
        return all(_pointer_equal(da, db, p) for p in pointers if not p.startswith(EXTERNAL))
    except (PointerNotFound, LookupError, TypeError):
        return False


def equal_without_references(da: Digests, db: Digests, pairs: Iterable[tuple[str, Any, Any]]) -> set[str]:
    """The names of `pairs` (name, a subschema of `da`'s document, one of `db`'s) whose two subschemas have
    equal digests and reach no reference: what `same` answers True for without following any (neither at
    the root of its document)."""
    found = set()
    for name, a, b in pairs:
        left, refs = da.of(a)
        if refs is not None and not refs and left == db.of(b)[0]:
            found.add(name)
    return found


def _refers_at(doc: Doc, pointer: str) -> bool:
    try:
        return doc.refers(resolve_fragment(doc.root, pointer))
    except (PointerNotFound, LookupError, TypeError):
        return True


def _pointer_equal(da: Digests, db: Digests, pointer: str) -> bool:
    key = (pointer, id(db))
    if key not in da.pointers:
        da.pointers[key] = da.at(pointer) == db.at(pointer)
    return da.pointers[key]
