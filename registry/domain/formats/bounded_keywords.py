"""jsonschema validator classes that cannot run away: regular expressions bounded in time (see `regexes`),
`uniqueItems` in linear time, and a deadline checked on every descent into a subschema.

jsonschema evaluates a schema's regular expressions with `re.search` in four keywords: `pattern`,
`patternProperties`, `additionalProperties` (which skips the names that match a `patternProperties` key) and
`unevaluatedProperties` (which counts those names as evaluated). `bounded` replaces those four through
jsonschema's extension API. A pattern that cannot be evaluated gives a ValidationError whose `cause` is the
UnsafePattern; as a `not`, an `if` or a failed `anyOf` branch may swallow that error, the failure is also
recorded in the current `regex_budget`, and callers refuse the whole value when one was recorded. The same
budget's deadline stops schemas whose work grows exponentially (`anyOf`s of recursive `$ref`s), and
`anyOf` / `oneOf` drop the errors of failed branches as they go, so that such work leaves no heap of garbage.

Patterns are ECMA-262, as JSON Schema specifies (see `regexes`), and so is `format: regex` when formats are
checked: jsonschema judges that format by Python's `re`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import FunctionType
from typing import Any

import attrs
from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
    FormatChecker,
    _keywords,
    _legacy_keywords,
    _utils,
)
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped, unused-ignore]
from jsonschema.validators import extend, validator_for  # type: ignore[import-untyped, unused-ignore]

from registry.domain.formats.ecma_regex import is_ecma_regex
from registry.domain.formats.messages import shorten
from registry.domain.formats.regexes import UnsafePattern, check_deadline, search

Keyword = Callable[[Any, Any, Any, Any], Iterator[Any]]


def refused_message(failure: UnsafePattern) -> str:
    return f"{failure}; the event is refused"


def pattern_error(failure: UnsafePattern, path: tuple[str, ...] = ()) -> Any:
    return ValidationError(refused_message(failure), path=path, cause=failure)


def unsafe_pattern_of(error: Any) -> UnsafePattern | None:
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, UnsafePattern) else None


def _matches(pattern: str, text: str, path: tuple[str, ...] = ()) -> bool | Any:
    """The search result, or the ValidationError to yield when the pattern cannot be evaluated."""
    try:
        return search(pattern, text)
    except UnsafePattern as failure:
        return pattern_error(failure, path)


def pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "string"):
        return
    matched = _matches(patrn, instance)
    if isinstance(matched, ValidationError):
        yield matched
    elif not matched:
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def patternProperties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for key_pattern, subschema in patterns.items():
        for name, value in instance.items():
            matched = _matches(key_pattern, name, (name,))
            if isinstance(matched, ValidationError):
                yield matched
            elif matched:
                yield from validator.descend(value, subschema, path=name, schema_path=key_pattern)


def additionalProperties(validator: Any, additional: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    extras: set[str] = set()
    for name in instance:
        unmatched = _additional(name, schema)
        if isinstance(unmatched, ValidationError):
            yield unmatched  # its key cannot be classified: the value is refused either way
        elif unmatched:
            extras.add(name)
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        yield ValidationError(_extras_message(extras, schema))


def _additional(name: str, schema: Any) -> bool | Any:
    """Whether `name` is an additional property of `schema` (jsonschema's `find_additional_properties`).

    jsonschema searches one regex made of the keys joined by "|"; each key is searched on its own here,
    which means the same, except that a key's inline flags or group numbers cannot affect its neighbours.
    """
    if name in schema.get("properties", {}):
        return False
    for key_pattern in schema.get("patternProperties", {}):
        matched = _matches(key_pattern, name, (name,))
        if matched is not False:
            return matched if isinstance(matched, ValidationError) else False
    return True


def _extras_message(extras: set[str], schema: Any) -> str:
    # jsonschema's wording, so that messages stay the same for patterns that evaluate in time
    if "patternProperties" in schema:
        verb = "does" if len(extras) == 1 else "do"
        joined = ", ".join(repr(each) for each in sorted(extras))
        patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
        return f"{joined} {verb} not match any of the regexes: {patterns}"
    names, verb = _utils.extras_msg(sorted(extras, key=str))
    return f"Additional properties are not allowed ({names} {verb} unexpected)"


def uniqueItems(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema compares arrays of objects pairwise (quadratic: a 1 MiB event of small objects would take
    minutes); hashing each item's JSON value makes it linear, with the same notion of equality."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _json_key(item)
        if key in seen:
            yield ValidationError(f"{shorten(repr(instance))} has non-unique elements")
            return
        seen.add(key)


def _json_key(value: Any) -> Any:
    """A hashable stand-in equal for equal JSON values: 1 and 1.0 alike, true and 1 not."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("object", frozenset((name, _json_key(item)) for name, item in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_json_key(item) for item in value))
    return ("value", value)  # str, int, float (1 == 1.0 and they hash alike), None


class _UnsafeKey(Exception):
    """A pattern that could not be evaluated against the name of a property of the instance."""

    def __init__(self, failure: UnsafePattern, name: str) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.name = name


class _BoundedRe:
    """Stands in for the `re` module in the copies of jsonschema's helpers below; `search` is all they use.

    They only search property names, so a failure is reported at the property.
    """

    @staticmethod
    def search(pattern: str, name: str) -> bool:
        try:
            return search(pattern, name)
        except UnsafePattern as failure:
            raise _UnsafeKey(failure, name) from failure  # caught in `_reporting_unsafe_keys`


def _rebound(function: Any, **names: Any) -> Any:
    """A copy of `function` reading `names` instead of its module's globals (and itself when recursive)."""
    missing = set(names) - set(function.__code__.co_names)
    if missing:  # jsonschema changed: without this check, the copy would quietly run the stock `re` again
        raise RuntimeError(f"jsonschema's {function.__qualname__} no longer uses {sorted(missing)}")
    namespace = {**function.__globals__, **names}
    copy = FunctionType(function.__code__, namespace, function.__name__, function.__defaults__)
    namespace[function.__name__] = copy
    return copy


def _bounded_unevaluated_properties(stock: Any, helpers: Any) -> Keyword:
    """`unevaluatedProperties` as jsonschema implements it, with the patternProperties search bounded.

    Its helper (`find_evaluated_property_keys_by_schema`, about 90 lines per draft, recursing through
    `$ref`, `allOf`, `if` ...) is not copied by hand: it runs as is, with `re` rebound to `_BoundedRe`.
    """
    helper = _rebound(helpers.find_evaluated_property_keys_by_schema, re=_BoundedRe)
    keyword = _rebound(stock, find_evaluated_property_keys_by_schema=helper)
    return _reporting_unsafe_keys(keyword)


def _reporting_unsafe_keys(keyword: Any) -> Keyword:
    def bounded_keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        try:
            errors = list(keyword(validator, value, instance, schema))
        except _UnsafeKey as unsafe:
            errors = [pattern_error(unsafe.failure, (unsafe.name,))]
        yield from errors

    return bounded_keyword


def _keeping_only_unsafe_context(stock: Keyword) -> Keyword:
    """`anyOf` / `oneOf` whose errors keep in their `context` only the branch errors that hold a pattern
    which could not be evaluated (the one thing callers look for there, see `events`).

    A failed branch's errors are otherwise kept, with a reference back to their parent: an `anyOf` over
    recursive `$ref`s builds an exponential tree of them within the validation's time budget (millions of
    objects in cycles), and collecting that garbage paused the whole process, event loop included, for
    400 ms at a time. Pruned as each keyword answers, the tree stays small and is freed as it goes."""

    def pruned(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        for error in stock(validator, value, instance, schema):
            error.context = [each for each in error.context if _holds_unsafe_pattern(each)]
            # the exception's `args` still hold the list of every branch error it was built with
            error.args = (error.message,)
            yield error

    return pruned


def _holds_unsafe_pattern(error: Any) -> bool:
    return unsafe_pattern_of(error) is not None or any(_holds_unsafe_pattern(each) for each in error.context)


_REPLACED: dict[str, Keyword] = {
    "pattern": pattern,
    "patternProperties": patternProperties,
    "additionalProperties": additionalProperties,
    "uniqueItems": uniqueItems,
}
_UNEVALUATED_PROPERTIES: dict[Any, Keyword] = {  # stock function -> bounded copy, one per draft
    _keywords.unevaluatedProperties: _bounded_unevaluated_properties(_keywords.unevaluatedProperties, _utils),
    _legacy_keywords.unevaluatedProperties_draft2019: _bounded_unevaluated_properties(
        _legacy_keywords.unevaluatedProperties_draft2019, _legacy_keywords
    ),
}
_BOUNDED: dict[type[Any], type[Any]] = {}  # stock class -> bounded class; a race builds one twice, harmlessly


def bounded(cls: type[Any]) -> type[Any]:
    """`cls` with every regular expression evaluated within the bounds, and staying so through `$schema`."""
    if cls in _BOUNDED.values():
        return cls
    if cls not in _BOUNDED:
        _BOUNDED[cls] = _extended(cls)
    return _BOUNDED[cls]


def _extended(cls: type[Any]) -> type[Any]:
    keywords: dict[str, Keyword] = {}
    for name, stock in cls.VALIDATORS.items():
        if name == "unevaluatedProperties":
            if stock not in _UNEVALUATED_PROPERTIES:
                raise ValueError(f"no bounded unevaluatedProperties for {cls.__name__}")
            keywords[name] = _UNEVALUATED_PROPERTIES[stock]
        elif name in _REPLACED:  # replaced whatever the stock function (openapi-schema-validator has its own)
            keywords[name] = _REPLACED[name]
        elif name in ("anyOf", "oneOf"):
            keywords[name] = _keeping_only_unsafe_context(stock)
    new = extend(cls, keywords, format_checker=ecma_format_checker(cls.FORMAT_CHECKER))
    new.__name__ = new.__qualname__ = f"Bounded{cls.__name__}"
    new.evolve = _bounded_evolve
    return new  # type: ignore[no-any-return]


def ecma_format_checker(stock: Any) -> Any:
    """`stock` (a FormatChecker) with `format: regex` judged by ECMA-262 instead of Python's `re`."""
    checker = FormatChecker(())
    checker.checkers = dict(stock.checkers)
    if "regex" in checker.checkers:
        checker.checkers["regex"] = (_is_regex, ())
    return checker


def _is_regex(instance: object) -> bool:
    return not isinstance(instance, str) or is_ecma_regex(instance)


def _bounded_evolve(self: Any, **changes: Any) -> Any:
    """jsonschema's `evolve` (used on every descent), choosing the bounded class of the dialect it finds.

    jsonschema switches class when a subschema declares `$schema` (or a `$ref` leads back to a root that
    does); unchanged, it would switch to the stock class and its unbounded `re.search`.
    """
    check_deadline()
    schema = changes.setdefault("schema", self.schema)
    cls = bounded(validator_for(schema, default=type(self)))
    for each in attrs.fields(type(self)):
        if each.init and each.alias not in changes:
            changes[each.alias] = getattr(self, each.name)
    return cls(**changes)
