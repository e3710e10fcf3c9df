"""The settings' generated table, the effective configuration with its secrets masked, misspelt variables
and database URLs the registry cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry import configuration
from registry.cli import main
from registry.settings import Settings, misspelt_variables

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_configuration_document_is_up_to_date() -> None:
    assert DOC.read_text() == configuration.markdown(), (
        f"docs/configuration.md is out of date: run `{configuration.REGENERATE}`"
    )


def test_every_setting_is_described_in_the_table() -> None:
    table = configuration.markdown()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} needs a description="
        assert f"`{Settings.variable(name)}`" in table


def test_the_table_gives_type_bounds_and_default() -> None:
    row = next(line for line in configuration.markdown().splitlines() if "`REGISTRY_POOL_SIZE`" in line)
    assert row.startswith("| `REGISTRY_POOL_SIZE` | integer > 0 | `10` | ")


def test_config_prints_the_effective_values_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql+psycopg://registry:hunter2@db:5432/registry")
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=")
    monkeypatch.setenv("REGISTRY_POOL_SIZE", "4")
    assert main(["config"]) == 0
    printed = capsys.readouterr().out
    assert "hunter2" not in printed and "Zm9vYmFy" not in printed
    lines = printed.splitlines()
    assert "REGISTRY_DATABASE_URL='postgresql+psycopg://registry:********@db:5432/registry'" in lines
    assert "REGISTRY_SECRET_KEY='********'" in lines
    assert "REGISTRY_POOL_SIZE=4" in lines
    assert "REGISTRY_CODEGEN_WORKERS=2  # default" in lines
    assert len(lines) == len(Settings.model_fields)


def test_config_markdown_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--markdown"]) == 0
    assert capsys.readouterr().out == configuration.markdown()


def test_a_misspelt_variable_is_named_with_the_closest_setting() -> None:
    warnings = misspelt_variables(
        {"REGISTRY_DATABSE_URL": "sqlite://", "REGISTRY_POOL_SIZE": "3", "PATH": "/bin", "REGISTRY_URL": "x"}
    )
    assert warnings == [
        "REGISTRY_DATABSE_URL is not a setting and is ignored; did you mean REGISTRY_DATABASE_URL?"
    ]


def test_a_variable_like_no_setting_points_at_the_table() -> None:
    (warning,) = misspelt_variables({"REGISTRY_WHATEVER_ELSE": "1"})
    assert warning.endswith("(the settings: docs/configuration.md)")


def test_variables_of_the_client_commands_and_tests_are_not_misspelt() -> None:
    environ = dict.fromkeys(
        ["REGISTRY_URL", "REGISTRY_TOKEN", "REGISTRY_CONFORMANCE_DIR", "REGISTRY_TEST_POSTGRES"], "x"
    )
    assert misspelt_variables(environ) == []


def test_commands_warn_about_misspelt_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_MIRROR_WORKERS", "false")
    assert main(["config"]) == 0
    assert (
        "warning: REGISTRY_MIRROR_WORKERS is not a setting and is ignored; did you mean "
        "REGISTRY_MIRROR_WORKER?" in capsys.readouterr().err
    )


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgresql_urls_mean_psycopg(url: str) -> None:
    assert Settings(database_url=url).database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    "url", ["mysql://root:hunter2@db/registry", "postgresql+psycopg2://u@h/db", "oracle://x", "registry.db"]
)
def test_a_database_url_the_registry_cannot_use_is_refused_at_start(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    assert main(["migrate"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: REGISTRY_DATABASE_URL: unsupported database URL")
    assert "sqlite:///" in error and "postgresql+psycopg://" in error
    assert "hunter2" not in error
