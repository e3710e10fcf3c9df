"""Unit-test fixtures: the example contracts in tests/data/contracts (or $REGISTRY_EXAMPLES_DIR).

Every test taking an `example` argument runs once per example contract.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import examples_dir

KINDS = {"openapi3": "OpenApi3", "draft4": "JSONSchemaDraft4"}


@dataclass(frozen=True)
class Example:
    kind: str  # the directory: "openapi3" or "draft4"
    name: str  # the file name without ".json"

    @property
    def type(self) -> str:
        return KINDS[self.kind]

    @property
    def text(self) -> str:
        return (examples_dir() / self.kind / f"{self.name}.json").read_text(encoding="utf-8")

    @property
    def content(self) -> dict[str, Any]:
        content: dict[str, Any] = json.loads(self.text)
        return content

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(
            (examples_dir() / self.kind / f"{self.name}.event.json").read_text(encoding="utf-8")
        )
        return event


def all_examples() -> list[Example]:
    found = [
        Example(kind, path.name.removesuffix(".json"))
        for kind in KINDS
        for path in sorted((examples_dir() / kind).glob("*.json"))
        if not path.name.endswith(".event.json")
    ]
    assert found, f"no example contracts in {examples_dir()}"
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "example" in metafunc.fixturenames:
        cases = all_examples()
        metafunc.parametrize("example", cases, ids=[f"{case.kind}/{case.name}" for case in cases])


@pytest.fixture
def example_named() -> Callable[[str], Example]:
    """`example_named("draft4/order-tree")` → that Example."""

    def named(path: str) -> Example:
        kind, name = path.split("/")
        return Example(kind, name)

    return named


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every connection attempt fail and record it; the test asserts the record stays empty."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("network access is not allowed in unit tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def openapi_doc(schemas: dict[str, Any], version: str = "3.0.3") -> dict[str, Any]:
    """A minimal OpenAPI document holding `schemas` as its components."""
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }
