"""The `registry` console script: migrate, serve's refusal to run open off loopback, and tokens end to end."""

from __future__ import annotations

import getpass
import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import psycopg
import pytest

from registry import cli
from tests.conftest import fresh_postgres_database, load_example
from tests.e2e.conftest import Served, bearer, create_token, free_port, run_registry, serve, sqlite_url

TABLES = {"alembic_version", "registries", "schemas", "schema_versions", "api_tokens"}
CONTRACT = {"type": "JSONSchemaDraft4", "content": load_example("draft4/custom-invoice-issued.json")}
# Tokens are re-read on every request, so a revocation shows at once.
NO_TOKEN_CACHE = {"token_cache_seconds": "0"}


def test_migrate_creates_the_tables_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    done = run_registry(sqlite_url(tmp_path), "migrate")
    assert done.returncode == 0, done.stderr
    with closing(sqlite3.connect(tmp_path / "r.db")) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= TABLES


@pytest.mark.postgres
def test_migrate_creates_the_tables_in_a_fresh_postgresql_database() -> None:
    with fresh_postgres_database() as url:
        done = run_registry(url, "migrate")
        assert done.returncode == 0, done.stderr
        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(plain) as db:
            rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        assert {row[0] for row in rows} >= TABLES


def test_serving_off_loopback_without_a_token_is_refused_with_the_way_out(tmp_path: Path) -> None:
    started = time.monotonic()
    try:
        done = run_registry(
            sqlite_url(tmp_path), "serve", "--host", "0.0.0.0", "--port", str(free_port()), timeout=15
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`registry serve --host 0.0.0.0` started without any token: {exc.stderr!r}")
    assert done.returncode != 0
    assert "--allow-anonymous" in done.stderr
    assert "token create" in done.stderr
    assert time.monotonic() - started < 10


def test_serving_off_loopback_with_allow_anonymous_runs_open(tmp_path: Path) -> None:
    database = sqlite_url(tmp_path)
    with (
        serve(tmp_path, database, "--host", "0.0.0.0", "--allow-anonymous") as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        assert http.get("/healthz").status_code == 200
        assert http.put("/registries/open", json={}).status_code == 201


@dataclass
class Guarded:
    database: str
    server: Served
    http: httpx.Client
    ids: dict[str, str]
    secrets: dict[str, str]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    """`registry serve --host 0.0.0.0` on a database holding an admin, a writer for registry `a` and a reader,
    all made by `registry token create`: with a token present, serving off loopback needs no flag."""
    workdir = tmp_path_factory.mktemp("guarded")
    database = sqlite_url(workdir)
    tokens = {
        "admin": create_token(database, "admin"),
        "writer": create_token(database, "writer", registry="a"),
        "reader": create_token(database, "reader"),
    }
    ids = {name: token[0] for name, token in tokens.items()}
    secrets = {name: token[1] for name, token in tokens.items()}
    with (
        serve(workdir, database, "--host", "0.0.0.0", settings=NO_TOKEN_CACHE) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        for registry in ("a", "b"):
            created = http.put(f"/registries/{registry}", json={}, headers=bearer(secrets["admin"]))
            assert created.status_code == 201, created.text
        yield Guarded(database, server, http, ids, secrets)


def test_token_create_prints_a_secret_that_the_server_accepts(guarded: Guarded) -> None:
    assert all(secret.startswith("ecr_") for secret in guarded.secrets.values())
    admin = guarded.http.get("/registries", headers=bearer(guarded.secrets["admin"]))
    assert admin.status_code == 200
    assert [item["name"] for item in admin.json()["items"]] == ["a", "b"]


def test_a_request_without_a_token_gets_401(guarded: Guarded) -> None:
    refused = guarded.http.get("/registries/a")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert guarded.http.get("/registries", headers=bearer("ecr_not-a-token")).status_code == 401


def test_a_writer_token_registers_into_its_registry_and_gets_403_on_another(guarded: Guarded) -> None:
    writer = bearer(guarded.secrets["writer"])
    mine = guarded.http.post("/registries/a/schemas/Invoice/versions", json=CONTRACT, headers=writer)
    assert mine.status_code == 201, mine.text
    other = guarded.http.post("/registries/b/schemas/Invoice/versions", json=CONTRACT, headers=writer)
    assert other.status_code == 403, other.text
    assert other.json()["error"]["code"] == "forbidden"


def test_a_reader_token_reads_but_gets_403_on_a_write(guarded: Guarded) -> None:
    reader = bearer(guarded.secrets["reader"])
    assert guarded.http.get("/registries/b/schemas", headers=reader).status_code == 200
    refused = guarded.http.post("/registries/b/schemas/Invoice/versions", json=CONTRACT, headers=reader)
    assert refused.status_code == 403, refused.text


def test_token_list_shows_the_ids_and_never_the_secrets(guarded: Guarded) -> None:
    listed = run_registry(guarded.database, "token", "list")
    assert listed.returncode == 0, listed.stderr
    for token_id in guarded.ids.values():
        assert token_id in listed.stdout
    for secret in guarded.secrets.values():
        assert secret not in listed.stdout + listed.stderr
    assert "ecr_" not in listed.stdout


def test_a_revoked_token_gets_401_from_the_running_server(guarded: Guarded) -> None:
    token_id, secret = create_token(guarded.database, "reader")
    assert guarded.http.get("/registries/a", headers=bearer(secret)).status_code == 200
    revoked = run_registry(guarded.database, "token", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
    refused = guarded.http.get("/registries/a", headers=bearer(secret))
    assert refused.status_code == 401, refused.text
    listed = run_registry(guarded.database, "token", "list").stdout
    assert any(line.startswith(token_id) and "revoked" in line for line in listed.splitlines()), listed


def test_revoking_an_unknown_token_fails_with_a_message(guarded: Guarded) -> None:
    done = run_registry(guarded.database, "token", "revoke", "no-such-token")
    assert done.returncode != 0
    assert done.stderr.startswith("error:")


def test_audit_prints_every_change_with_who_made_it(
    guarded: Guarded, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tokens made by the console script name the operating system user; changes over HTTP the token.
    (In this process: the tokens were made by real `registry` processes, and starting one costs seconds.)"""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", guarded.database)
    assert cli.main(["audit", "--action", "token", "--json"]) == 0
    printed = capsys.readouterr().out
    entries = [json.loads(line) for line in printed.splitlines()]
    created = {each["subject"]: each for each in entries if each["action"] == "token.created"}
    assert set(guarded.ids.values()) <= set(created)
    assert {created[token_id]["actor"] for token_id in guarded.ids.values()} == {f"cli:{getpass.getuser()}"}
    assert created[guarded.ids["writer"]]["registry"] == "a"
    assert "ecr_" not in printed

    assert cli.main(["audit", "--registry", "a", "--action", "registry", "--limit", "1000"]) == 0
    oldest = capsys.readouterr().out.splitlines()[-1]
    at, actor, action, about, *_ = oldest.split("\t")
    assert (actor, action, about) == (guarded.ids["admin"], "registry.created", "a")
    assert datetime.fromisoformat(at).tzinfo is not None
