"""The semantic diff over generated pairs of contracts, through the API: it is empty exactly when the two
contents are equal, every breaking effect carries a witness that jsonschema confirms, and every verdict of the
checker shows on some change (a version that cannot read the other has a change that says so).

The pairs are JSON Schema contracts of objects with a handful of properties, each pair either equal, two
unrelated contracts, or one contract and an edit of it. Their one definition keeps its name: renaming it
would be no change (tests/api/test_diff.py), while the content differs."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.api.app import create_app
from registry.settings import Settings
from registry.storage.database import make_engine
from registry.storage.migrations import upgrade

EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
NAMES = ["a", "b", "c", "d"]

descriptions = st.sampled_from(["an amount", "the amount"])
strings = st.fixed_dictionaries(
    {"type": st.just("string")},
    optional={
        "minLength": st.integers(0, 2),
        "maxLength": st.integers(3, 5),
        "enum": st.lists(st.sampled_from(["x", "y", "zzz"]), min_size=1, max_size=3, unique=True),
        "pattern": st.sampled_from(["^x", "^y"]),
        "description": descriptions,
    },
)
numbers = st.fixed_dictionaries(
    {"type": st.sampled_from(["integer", "number"])},
    optional={
        "minimum": st.integers(-2, 2),
        "maximum": st.integers(3, 6),
        "enum": st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True),
        "description": descriptions,
    },
)
arrays = st.fixed_dictionaries(
    {"type": st.just("array"), "items": strings}, optional={"maxItems": st.integers(1, 3)}
)
leaves = st.one_of(strings, numbers, arrays, st.just({"type": "boolean"}))
properties = st.one_of(leaves, st.just({"$ref": "#/definitions/Money"}))
contracts = st.fixed_dictionaries(
    {
        "type": st.just("object"),
        "properties": st.dictionaries(st.sampled_from(NAMES), properties, max_size=4),
        # one definition, always under the same name (a rename would be no change), used or not
        "definitions": st.fixed_dictionaries({"Money": leaves}),
    },
    optional={
        "required": st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True),
        "additionalProperties": st.booleans(),
        "description": descriptions,
    },
)


@st.composite
def edited(draw: st.DrawFn, content: dict[str, Any]) -> dict[str, Any]:
    """`content` with one to three edits a schema's author might make."""
    edited = copy.deepcopy(content)
    for _ in range(draw(st.integers(1, 3))):
        present = sorted(edited["properties"])
        edit = draw(st.sampled_from(["replace", "drop", "required", "closed", "describe", "money"]))
        name = draw(st.sampled_from(present if present and edit in ("drop", "describe") else NAMES))
        if edit == "replace":
            edited["properties"][name] = draw(properties)
        elif edit == "drop":
            edited["properties"].pop(name, None)
        elif edit == "required":
            edited["required"] = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
        elif edit == "closed":
            edited["additionalProperties"] = draw(st.booleans())
        elif edit == "money":
            edited["definitions"]["Money"] = draw(leaves)
        elif name in edited["properties"] and "$ref" not in edited["properties"][name]:
            edited["properties"][name]["description"] = draw(descriptions)
    return edited


@st.composite
def pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    first = draw(contracts)
    kind = draw(st.sampled_from(["equal", "unrelated", "edited", "edited"]))
    if kind == "equal":
        return first, copy.deepcopy(first)
    return first, draw(contracts if kind == "unrelated" else edited(first))


@pytest.fixture
def http(tmp_path: Path) -> Iterator[tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    upgrade(engine)
    app = create_app(Settings(database_url=str(engine.url), mirror_worker=False), engine=engine)
    loop = asyncio.new_event_loop()  # one loop for every example
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry.test")
    yield loop, client
    loop.run_until_complete(client.aclose())
    loop.close()
    engine.dispose()


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def test_the_diff_is_empty_exactly_for_equal_contents_and_proves_what_it_breaks(
    http: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient],
) -> None:
    loop, client = http
    numbers_of_schemas = iter(range(1_000_000))

    async def register(schema: str, content: dict[str, Any]) -> int:
        response = await client.post(
            f"{schema}/versions", json={"type": "JSONSchemaDraft4", "content": content}
        )
        assert response.status_code in (200, 201), response.text
        return int(response.json()["version"])

    async def diff_of(old: dict[str, Any], new: dict[str, Any], policy: str) -> Any:
        schema = f"/registries/generated/schemas/s{next(numbers_of_schemas)}"
        before, after = await register(schema, old), await register(schema, new)
        query = {"from": before, "to": after, "policy": policy}
        response = await client.get(f"{schema}/diff", params=query)
        assert response.status_code == 200, response.text
        return response.json()

    # a LENIENT witness is valid under the closed producer and invalid under the open consumer, so under
    # the contracts as written too
    @EXAMPLES
    @given(pair=pairs(), policy=st.sampled_from(["STRICT", "LENIENT"]))
    def check(pair: tuple[dict[str, Any], dict[str, Any]], policy: str) -> None:
        old, new = pair
        body = loop.run_until_complete(diff_of(old, new, policy))
        assert body["policy"] == policy
        assert (body["changes"] == []) == (canonical(old) == canonical(new)), body
        for direction, reading in (("new_reads_old", "backward"), ("old_reads_new", "forward")):
            effects = {change["effect"][direction] for change in body["changes"]}
            if body["compatible"][reading]:
                assert effects <= {"compatible"}, body
            else:
                assert effects - {"compatible"}, body  # some change carries the checker's verdict
        for change in body["changes"]:
            breaking = {d for d, effect in change["effect"].items() if effect == "breaking"}
            assert set(change["witness"]) == breaking, change
            for direction, witness in change["witness"].items():
                producer, consumer = (old, new) if direction == "new_reads_old" else (new, old)
                assert jsonschema.Draft4Validator(producer).is_valid(witness), (change, witness)
                assert not jsonschema.Draft4Validator(consumer).is_valid(witness), (change, witness)

    created = loop.run_until_complete(client.put("/registries/generated", json={"compatibility": "NONE"}))
    assert created.status_code == 201, created.text
    check()
