"""No input produces a 5xx: schemathesis drives every operation of our own /openapi.json with generated input,
against the app on PostgreSQL (the stricter database: it refuses NUL characters, for one).

Generated bodies leave optional fields out most of the time, so a second pass describes every body field
as required, and a third pins path names to a registry, schema and version that exist (deeper code)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlalchemy import Engine, text

from codegen import GeneratorPool
from registry import access, services
from registry.api.app import create_app
from registry.domain.auth import Role
from registry.settings import Settings
from registry.storage.database import make_session_factory
from registry.storage.unit_of_work import UnitOfWork
from tests.conftest import TABLES, load_example

EXAMPLES = 40
# Opaque cursors and contract content are only valid when the service made or accepts them, so data that
# merely fits the request schema may rightly get a 422. And a request generated to be invalid may be valid
# by the time it is sent: the token is added after generation (a case whose only fault was a missing
# Authorization header then carries one, and an unknown query parameter is ignored, as HTTP APIs do), and
# names may be pinned to existing resources. Refusals of invalid input are tested in test_bad_input.py.
NOT_APPLICABLE = [positive_data_acceptance, negative_data_rejection]
SEEDED = {"registry": "orders", "schema": "aws.partner-x.com/1@Order.Created", "version": "1"}
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


@pytest.fixture(scope="module")
def fuzzed_app(postgres_engine: Engine, generator_pool: GeneratorPool) -> Iterator[FastAPI]:
    with postgres_engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    uow = UnitOfWork(make_session_factory(postgres_engine))
    services.put_registry(uow, SEEDED["registry"], services.RegistryChanges(), actor="test")
    contract = services.NewVersion(
        type="OpenApi3", content=load_example("openapi3/custom-order-created.json")
    )
    services.register_version(uow, SEEDED["registry"], SEEDED["schema"], contract, actor="test")
    _, secret = access.create_token(uow, Role.ADMIN, registry=None, actor="test")
    url = postgres_engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url), engine=postgres_engine, generator=generator_pool)
    app.state.fuzz_headers = {"Authorization": f"Bearer {secret}"}
    yield app


def every_field_required(spec: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(spec)
    for component in changed["components"]["schemas"].values():
        if "properties" in component:
            component["required"] = sorted(component["properties"])
    return changed


def fuzz_every_operation(app: FastAPI, spec: dict[str, Any], *, pin_to_seeded: bool) -> None:
    api = schemathesis.openapi.from_dict(spec)
    api.app = app
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 12, "every route should be described in /openapi.json"
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
        )

        @FUZZ
        @given(case=cases)
        def no_server_error(case: schemathesis.Case) -> None:
            if pin_to_seeded:
                for name, value in SEEDED.items():
                    if case.path_parameters and name in case.path_parameters:
                        case.path_parameters[name] = value.replace("/", "%2F")
            response = case.call(headers=app.state.fuzz_headers)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                case.body,
                response.text[:300],
            )
            # The answer is also the one /openapi.json documents: status, content type, body schema.
            case.validate_response(response, excluded_checks=NOT_APPLICABLE)

        no_server_error()


@pytest.mark.postgres
# schemathesis itself calls `random` inside a strategy now and then; hypothesis deprecates that. It says
# nothing about our service, and as an error it made the run fail only on the examples that hit it.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_generated_requests_never_get_a_server_error(fuzzed_app: FastAPI) -> None:
    fuzz_every_operation(fuzzed_app, fuzzed_app.openapi(), pin_to_seeded=False)


@pytest.mark.postgres
# schemathesis itself calls `random` inside a strategy now and then; hypothesis deprecates that. It says
# nothing about our service, and as an error it made the run fail only on the examples that hit it.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_generated_requests_with_every_field_never_get_a_server_error(fuzzed_app: FastAPI) -> None:
    fuzz_every_operation(fuzzed_app, every_field_required(fuzzed_app.openapi()), pin_to_seeded=True)


@pytest.mark.postgres
# schemathesis itself calls `random` inside a strategy now and then; hypothesis deprecates that. It says
# nothing about our service, and as an error it made the run fail only on the examples that hit it.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_generated_requests_on_existing_resources_never_get_a_server_error(fuzzed_app: FastAPI) -> None:
    fuzz_every_operation(fuzzed_app, fuzzed_app.openapi(), pin_to_seeded=True)


# --- contracts whose member names are keywords -----------------------------------------------------------
# A member *named* like a keyword (`id` in a draft-4 `properties`, `$ref` as a definition's name) is a name;
# a reference may point anywhere, at anything. Contracts of both types are drawn with such names at every
# level and odd values under them, and put through the whole API: registration, validation, comparison and
# bindings. Any answer but a 5xx is right.

KEYWORD_NAMES = [
    "id",
    "$id",
    "$ref",
    "properties",
    "definitions",
    "$defs",
    "type",
    "items",
    "$schema",
    "enum",
    "$anchor",
    "patternProperties",
    "additionalProperties",
    "allOf",
    "not",
    "required",
    "default",
    "const",
    "dependencies",
    "a",
]
POINTERS = [
    "#",
    "#/definitions/id",
    "#/definitions/props",
    "#/properties",
    "#/properties/id",
    "#/definitions",
    "#/items",
    "#/definitions/props/items/properties/id",
    "#/properties/$ref",
    "#/$defs/id",
    "#/required",
    "#/enum/0",
    "#/properties/id/items",
    "#anchor",
    "#/components/schemas/id",
    "other.json",
    "http://schemas.test/s.json#/definitions/id",
]
DIALECTS = [
    None,
    "http://json-schema.org/draft-04/schema#",
    "http://json-schema.org/draft-07/schema#",
    "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
]
CONTRACTS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)

names = st.sampled_from(KEYWORD_NAMES)
refs = st.sampled_from(POINTERS)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from(
        ["string", "object", "#anchor", "anchor", "#/definitions/id", "x.json", "http://s.test/"]
    ),
)
odd = st.recursive(  # anything at all: what a keyword-named member may hold where data belongs
    st.one_of(scalars, refs.map(lambda ref: {"$ref": ref})),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(names, children, max_size=3)),
    max_leaves=6,
)


def schema_shaped(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Schemas whose keywords mostly hold what their draft allows, with keyword-named members in every map
    of names, references into such maps, ids and anchors of every kind, and odd data in data keywords."""
    maps = st.dictionaries(names, children, max_size=3)
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["object", "string", "array", "integer"]),
            "properties": maps,
            "definitions": maps,
            "$defs": maps,
            "patternProperties": st.dictionaries(st.sampled_from(["^id$", "^\\$ref"]), children, max_size=2),
            "dependencies": st.dictionaries(
                names, st.one_of(children, st.lists(names, max_size=2)), max_size=2
            ),
            "items": st.one_of(children, st.lists(children, max_size=2)),
            "additionalProperties": st.one_of(st.booleans(), children),
            "anyOf": st.lists(children, min_size=1, max_size=2),
            "not": children,
            "$ref": refs,
            "required": st.lists(names, min_size=1, max_size=2, unique=True),
            "enum": st.lists(odd, min_size=1, max_size=2),
            "default": odd,
            "const": odd,
            "id": st.one_of(ids, ids, odd),
            "$id": st.one_of(ids, ids, odd),
            "$anchor": st.one_of(st.just("anchor"), odd),
        },
    )


ids = st.sampled_from(["#anchor", "inner.json", "http://s.test/a.json"])
schemas = st.recursive(
    st.one_of(st.just({}), st.just({"type": "string"}), refs.map(lambda ref: {"$ref": ref})),
    lambda children: st.one_of(schema_shaped(children), schema_shaped(children), odd),
    max_leaves=8,
)
# What the pointers above point into, so that most references resolve: the issue's contract, and odd
# targets beside it (an array, a map of names, data)
SKELETON: dict[str, Any] = {
    "definitions": {
        "id": {"type": "string"},
        "props": {
            "type": "array",
            "items": {"type": "object", "properties": {"id": {"$ref": "#/definitions/id"}}},
        },
    },
    "properties": {"id": {"type": "string"}, "$ref": {"type": "integer"}},
    "items": {"properties": {"id": {}}},
    "required": ["id"],
    "enum": [{"type": "string"}],
}


def with_skeleton(content: dict[str, Any]) -> dict[str, Any]:
    merged = {**copy.deepcopy(SKELETON), **content}
    for name in ("definitions", "properties"):
        merged[name] = {**SKELETON[name], **content.get(name, {})}
    return merged


json_schema_contracts = st.fixed_dictionaries(
    {
        "definitions": st.dictionaries(names, schemas, max_size=4),
        "properties": st.dictionaries(names, schemas, max_size=4),
    },
    optional={
        "$schema": st.sampled_from(DIALECTS).filter(bool),
        "items": schemas,
        "id": st.one_of(ids, schemas),
        "$id": st.one_of(ids, schemas),
    },
)
openapi_contracts = st.builds(
    lambda version, components: {
        "openapi": version,
        "info": {"title": "keywords", "version": "1"},
        "paths": {},
        "components": {"schemas": components},
    },
    st.sampled_from(["3.0.3", "3.1.0"]),
    st.dictionaries(
        st.sampled_from(["id", "properties", "type", "items", "AWSEvent", "a"]),
        schemas,
        min_size=1,
        max_size=4,
    ),
)
contracts = st.one_of(
    json_schema_contracts.map(lambda content: ("JSONSchemaDraft4", with_skeleton(content))),
    openapi_contracts.map(lambda content: ("OpenApi3", content)),
)
events = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(names, children, max_size=3)),
    max_leaves=8,
)


@pytest.mark.postgres
def test_contracts_with_members_named_like_keywords_never_get_a_server_error(fuzzed_app: FastAPI) -> None:
    loop = asyncio.new_event_loop()  # one loop for every example: the app's generation tasks live in it
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fuzzed_app),
        base_url="http://registry.test",
        headers=fuzzed_app.state.fuzz_headers,
    )
    numbers = iter(range(1_000_000))

    async def answered(request: Awaitable[httpx.Response]) -> httpx.Response:
        response = await request
        assert response.status_code < 500, (
            response.request.method,
            response.request.url,
            response.text[:300],
        )
        return response

    async def through_the_api(first: tuple[str, Any], second: tuple[str, Any], event: Any) -> None:
        name = f"s{next(numbers)}"
        schema = f"/registries/keywords/schemas/{name}"
        registered = await answered(
            http.post(f"{schema}/versions", json={"type": first[0], "content": first[1]})
        )
        if registered.status_code != 201:
            return
        await answered(http.post(f"{schema}/versions/1/validate", json=event))
        await answered(http.post(f"{schema}/versions/1/validate?check_formats=true", json=event))
        await answered(http.get(f"{schema}/versions/1/bindings/python"))
        await answered(
            http.get(f"/v1/registries/name/keywords/schemas/name/{name}/export?type=JSONSchemaDraft4")
        )
        candidate = {"type": second[0], "content": second[1]}
        await answered(http.post(f"{schema}/compatibility", json=candidate))
        if (await answered(http.post(f"{schema}/versions", json=candidate))).status_code == 201:
            await answered(http.get(f"{schema}/compatibility?producer=1&consumer=2"))
            await answered(http.get(f"{schema}/compatibility/matrix"))
            await answered(http.get(f"{schema}/diff?from=1&to=2"))

    @CONTRACTS
    @given(first=contracts, second=contracts, event=events)
    def no_server_error(first: tuple[str, Any], second: tuple[str, Any], event: Any) -> None:
        loop.run_until_complete(through_the_api(first, second, event))

    try:
        created = loop.run_until_complete(
            http.put("/registries/keywords", json={"compatibility": "BACKWARD"})
        )
        assert created.status_code in {200, 201}, created.text
        no_server_error()
    finally:
        loop.run_until_complete(http.aclose())
        loop.close()
