"""Every error in the tree maps to an HTTP status and carries a stable, unique code."""

from __future__ import annotations

import inspect

from registry.api.errors import status_for
from registry.domain import errors


def all_error_classes() -> list[type[errors.RegistryError]]:
    found: list[type[errors.RegistryError]] = []
    pending: list[type[errors.RegistryError]] = [errors.RegistryError]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.__subclasses__())
    return [cls for cls in found if cls is not errors.RegistryError]


def test_every_error_class_maps_to_a_4xx_status_or_to_503_when_temporary() -> None:
    for cls in all_error_classes():
        error = cls.__new__(cls)
        if issubclass(cls, errors.Unavailable):
            assert status_for(error) == 503, cls
        else:
            assert 400 <= status_for(error) < 500, cls


def test_error_codes_are_unique_snake_case() -> None:
    codes = [cls.code for cls in all_error_classes()]
    assert len(codes) == len(set(codes))
    assert all(code.replace("_", "").isalpha() and code.islower() for code in codes)


def test_errors_are_defined_in_the_domain_tree() -> None:
    for cls in all_error_classes():
        assert inspect.getmodule(cls) is errors, cls
