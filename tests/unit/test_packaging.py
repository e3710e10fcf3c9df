"""The Docker image installs under constraints.txt: it must pin every dependency pyproject.toml declares, at
a version inside the declared range, or the image build fails (or silently resolves something else)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


def pinned() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt pins with ==, not {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_constraints_pin_every_dependency_within_its_range() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = pinned()
    for requirement in map(Requirement, declared):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run `make constraints`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside {requirement}: run `make constraints`"
        )


def test_the_dockerfile_installs_under_the_constraints_and_checks_readiness() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "--constraint /tmp/constraints.txt" in dockerfile
    for text in (dockerfile, (REPO / "docker-compose.yml").read_text()):
        assert "/readyz" in text and "/healthz" not in text.split("HEALTHCHECK")[-1]
