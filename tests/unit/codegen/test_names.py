"""Names of generated things: EventBridge package paths, distribution and import names, model classes."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from codegen.names import (
    MAX_DISTRIBUTION_LENGTH,
    RESERVED_CLASS_NAMES,
    class_name,
    distribution_name,
    eventbridge_package,
    import_name,
    normalize_project,
)
from registry.domain.errors import InvalidName
from registry.domain.names import MAX_REGISTRY_NAME, MAX_SCHEMA_NAME, registry_name, schema_name

PROJECT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@/"


def _valid(check: Callable[[str], str], name: str) -> bool:
    try:
        check(name)
    except InvalidName:
        return False
    return True


registry_names = st.text(NAME_ALPHABET, min_size=1, max_size=MAX_REGISTRY_NAME).filter(
    lambda name: _valid(registry_name, name)
)
schema_names = st.text(NAME_ALPHABET, min_size=1, max_size=MAX_SCHEMA_NAME).filter(
    lambda name: _valid(schema_name, name)
)


@pytest.mark.parametrize(
    ("schema", "package"),
    [
        ("aws.ec2@EC2InstanceStateChangeNotification", "schema.aws.ec2.ec2instancestatechangenotification"),
        (
            "aws.partner-mongodb.com/1234567-tickets@Ticket.Created",
            "schema.aws.partner.mongodb_com_1234567_tickets.ticket_created",
        ),
        ("unicorn.contracts@ContractStatusChanged", "schema.unicorn_contracts.contractstatuschanged"),
        ("com.acme@OrderCreated", "schema.com_acme.ordercreated"),
        ("order@NewOrder", "schema.order.neworder"),
        ("MyEvent", "schema.myevent"),
        ("someCustomer.SomeAwesomeSchema", "schema.somecustomer_someawesomeschema"),
    ],
)
def test_eventbridge_package_follows_the_sam_cli_rule(schema: str, package: str) -> None:
    """The package path of a binding is the one the AWS SAM CLI gives the same schema."""
    assert eventbridge_package(schema) == package


@given(schema_names)
@settings(max_examples=150)
def test_eventbridge_package_parts_are_plain_folder_names(schema: str) -> None:
    """Whatever the schema name, the package path is `schema.` + non-empty parts of `[a-z0-9_]`, none `..`."""
    parts = eventbridge_package(schema).split(".")
    assert parts[0] == "schema"
    assert all(re.fullmatch(r"[a-z0-9_]{1,100}", part) for part in parts[1:]), parts


def test_distribution_name_of_an_eventbridge_partner_schema() -> None:
    """Dots, slashes, `@` and case of a partner schema name give a PEP 503 name and an importable package."""
    distribution = distribution_name("orders", "aws.partner-x.com/123@Ticket.Created")
    assert distribution == "orders-aws-partner-x-com-123-ticket-created"
    assert PROJECT_NAME.fullmatch(distribution)
    assert import_name(distribution) == "orders_aws_partner_x_com_123_ticket_created"


@given(registry_names, schema_names)
@settings(max_examples=300)
def test_distribution_names_are_normalised_project_names(registry: str, schema: str) -> None:
    """Any registry and schema name gives a PEP 503-normalised, valid project name of at most 100 chars."""
    # names without any letter or digit are the subject of their own test below
    assume(any(character.isalnum() for character in registry + schema))
    distribution = distribution_name(registry, schema)
    assert PROJECT_NAME.fullmatch(distribution), distribution
    assert normalize_project(distribution) == distribution
    assert len(distribution) <= MAX_DISTRIBUTION_LENGTH
    assert distribution_name(registry, schema) == distribution  # a pure function of the names


@pytest.mark.parametrize(("registry", "schema"), [("_", "-"), ("-", "_/@")])
def test_a_name_without_letters_or_digits_still_gives_a_valid_project_name(
    registry: str, schema: str
) -> None:
    """`_`, `-` and `@` are valid registry/schema names on their own; the package still needs a real name."""
    registry_name(registry)  # the registry accepts both names
    schema_name(schema)
    distribution = distribution_name(registry, schema)
    assert PROJECT_NAME.fullmatch(distribution), (
        f"BUG: distribution_name({registry!r}, {schema!r}) == {distribution!r}, not a valid project name"
    )


@given(registry_names, schema_names)
@settings(max_examples=300)
def test_import_names_are_identifiers_and_not_keywords(registry: str, schema: str) -> None:
    """The top-level package of every wheel can be written in an import statement."""
    name = import_name(distribution_name(registry, schema))
    assert name.isidentifier() and name.isascii(), name
    assert not keyword.iskeyword(name), name


@pytest.mark.parametrize("word", ["if", "class"])
def test_a_registry_named_like_a_keyword_gives_an_importable_package(word: str) -> None:
    """Registry `class` with schema `_` (both valid names) must not give a package named `class`."""
    name = import_name(distribution_name(word, "_"))
    assert name.isidentifier()
    assert not keyword.iskeyword(name), (
        f"BUG: import_name(distribution_name({word!r}, '_')) == {name!r}: `import {name}` is a syntax error"
    )


def test_long_names_are_cut_and_stay_distinct() -> None:
    """Names past the cut keep a hash of the full name: two names differing only at the end stay apart."""
    first = distribution_name("registry", "a" * 300 + "@First")
    second = distribution_name("registry", "a" * 300 + "@Second")
    assert len(first) <= MAX_DISTRIBUTION_LENGTH and len(second) <= MAX_DISTRIBUTION_LENGTH
    assert first != second
    assert first.startswith("registry-aaaa")
    assert PROJECT_NAME.fullmatch(first) and PROJECT_NAME.fullmatch(second)
    # the cut name is still a unique function of (registry, schema), not of the joined text
    assert distribution_name("a" * 64, "b" * 385) != distribution_name("a" * 63, "a-" + "b" * 384)


@given(registry_names, st.text(NAME_ALPHABET, min_size=120, max_size=MAX_SCHEMA_NAME))
@settings(max_examples=100)
def test_long_names_differing_after_the_cut_get_different_names(registry: str, stem: str) -> None:
    """Names whose normalised form is cut get a hash of the full name: a different tail, a different name."""
    first, second = distribution_name(registry, stem + "X"), distribution_name(registry, stem + "Y")
    assert len(first) <= MAX_DISTRIBUTION_LENGTH and len(second) <= MAX_DISTRIBUTION_LENGTH
    assert first != second


@pytest.mark.parametrize(
    "text",
    [
        "None", "none", "class", "True", "false", "import", "__init__", "__class__", "model_config", "",
        "../../etc/passwd", "a/b", "ünïcödé", "עברית", "😀", "1abc", "\n", '"""', "__import__('os')",
        *sorted(RESERVED_CLASS_NAMES),
    ],
)  # fmt: skip
def test_class_names_are_ascii_identifiers_never_keywords_or_reserved(text: str) -> None:
    """Any key or title gives an ASCII identifier: no keyword, shadowing nothing the module imports."""
    taken = {"Schema", "NoneModel", "Class"}
    name = class_name(text, taken)
    assert name.isascii() and name.isidentifier(), name
    assert not keyword.iskeyword(name), name
    assert name not in RESERVED_CLASS_NAMES
    assert name not in taken


@given(st.text(max_size=100), st.sets(st.text(max_size=12), max_size=8))
@settings(max_examples=300)
def test_class_names_are_distinct_from_taken_names(text: str, given_taken: set[str]) -> None:
    """`class_name` never returns a taken name, a keyword or a reserved name, whatever the text."""
    # `taken` as prepare.py builds it: earlier results of class_name itself, plus arbitrary strings
    taken = set(given_taken) | {class_name(text), class_name(text) + "2", "NoneModel"}
    name = class_name(text, taken)
    assert name.isascii() and name.isidentifier(), name
    assert not keyword.iskeyword(name) and name not in RESERVED_CLASS_NAMES
    assert name not in taken
    assert name[0].isupper(), name  # CamelCase, so never a builtin such as `str` or `int`


def test_class_names_of_many_similar_keys_are_all_distinct() -> None:
    """Keys that normalise alike (`a.b`, `a-b`, `A_B`, `ab`) each get their own class."""
    taken: set[str] = set()
    for key in ["a.b", "a-b", "A_B", "ab", "Ab", "AB", "a b", "a..b"]:
        name = class_name(key, taken)
        assert name not in taken
        taken.add(name)
    assert len(taken) == 8
