"""No input produces a 5xx: schemathesis drives every operation of our own /openapi.json with generated input,
against the app on PostgreSQL (the stricter database: it refuses NUL characters, for one).

Generated bodies leave optional fields out most of the time, so a second pass describes every body field
as required, and a third pins path names to a registry, schema and version that exist (deeper code)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

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
    services.put_registry(uow, SEEDED["registry"], services.RegistryChanges())
    contract = services.NewVersion(
        type="OpenApi3", content=load_example("openapi3/custom-order-created.json")
    )
    services.register_version(uow, SEEDED["registry"], SEEDED["schema"], contract)
    _, secret = access.create_token(uow, Role.ADMIN, registry=None)
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
