"""SigV4 secrets encrypted at rest under REGISTRY_SECRET_KEY, on SQLite and PostgreSQL: stored sealed, used to
verify signatures, encrypted by `registry migrate`, rotated by `registry secrets reencrypt`, and a replica
refusing to start with keys that cannot open them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy import Engine, text

from registry import access
from registry.access import Authenticator, AwsCredentials
from registry.api.app import create_app
from registry.cli import main
from registry.domain.auth import Role
from registry.domain.secret_box import SEALED_PREFIX, SecretBox, new_key
from registry.settings import Settings
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import downgrade, upgrade
from registry.storage.unit_of_work import UnitOfWork

KEY, OLD_KEY = new_key(), new_key()


def stored_secrets(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = "SELECT aws_secret_access_key FROM api_tokens WHERE aws_secret_access_key IS NOT NULL"
        return [row[0] for row in connection.execute(text(query))]


def aws_token(engine: Engine, box: SecretBox | None = None) -> AwsCredentials:
    uow = UnitOfWork(make_session_factory(engine))
    *_, credentials = access.create_token(
        uow, Role.ADMIN, registry=None, aws=True, secrets_box=box, actor="anonymous"
    )
    return credentials


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


async def test_a_secret_stored_encrypted_verifies_signatures(engine: Engine) -> None:
    credentials = aws_token(engine, SecretBox([KEY]))
    (stored,) = stored_secrets(engine)
    assert stored.startswith(SEALED_PREFIX) and credentials.secret_access_key not in stored

    settings = Settings(
        database_url=url_of(engine), secret_key=KEY, mirror_worker=False, token_cache_seconds=0
    )
    signed = AWSRequest(method="GET", url="http://r.test/v1/registries", headers={"host": "r.test"})
    signed.context["timestamp"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    SigV4Auth(
        Credentials(credentials.access_key_id, credentials.secret_access_key), "schemas", "us-east-1"
    ).add_auth(signed)
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r.test") as http:
        answer = await http.get("/v1/registries", headers=dict(signed.headers.items()))
        assert answer.status_code == 200, answer.text
        assert (await http.get("/v1/registries", headers={"Authorization": "nope"})).status_code == 401


def test_migrate_encrypts_what_was_stored_in_plaintext(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = aws_token(engine)
    assert stored_secrets(engine) == [credentials.secret_access_key]
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url_of(engine))
    monkeypatch.setenv("REGISTRY_SECRET_KEY", KEY)
    assert main(["migrate"]) == 0
    assert "encrypted 1 SigV4 secret(s)" in capsys.readouterr().out
    (stored,) = stored_secrets(engine)
    assert SecretBox([KEY]).open(stored) == credentials.secret_access_key


def test_rotation_reencrypts_under_the_new_key(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = aws_token(engine, SecretBox([OLD_KEY]))
    aws_token(engine)  # one stored before any key was set
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url_of(engine))
    monkeypatch.setenv("REGISTRY_SECRET_KEY", f"{KEY},{OLD_KEY}")
    assert main(["secrets", "reencrypt"]) == 0
    assert "encrypted 2 SigV4 secret(s)" in capsys.readouterr().out
    only_new = SecretBox([KEY])
    assert all(only_new.is_current(stored) for stored in stored_secrets(engine))
    table = Authenticator(
        UnitOfWork(make_session_factory(engine)), ttl=0, require_auth=False, secrets_box=only_new
    )
    found = table.table().aws_credentials_for(credentials.access_key_id)
    assert found is not None and found[1] == credentials.secret_access_key


def test_serve_refuses_to_start_with_keys_that_cannot_open_the_secrets(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_token(engine, SecretBox([KEY]))
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url_of(engine))
    assert main(["serve", "--port", "1"]) == 1
    # the last line: `serve` logs its start (the embedded database's migration) before it checks
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: 1 SigV4 secret(s) of tokens are stored encrypted, but REGISTRY_SECRET_KEY is not set: set it "
        "to the key they were encrypted with"
    )
    monkeypatch.setenv("REGISTRY_SECRET_KEY", new_key())
    assert main(["serve", "--port", "1"]) == 1
    assert "were encrypted with a key that is not in REGISTRY_SECRET_KEY" in capsys.readouterr().err


def test_a_replica_without_the_key_skips_that_credential_and_says_so_once(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    credentials = aws_token(engine, SecretBox([KEY]))
    authenticator = Authenticator(UnitOfWork(make_session_factory(engine)), ttl=0, require_auth=False)
    with caplog.at_level(logging.ERROR, logger="registry"):
        for _ in range(3):
            assert authenticator.table().aws_credentials_for(credentials.access_key_id) is None
    (record,) = caplog.records
    assert credentials.access_key_id in record.getMessage()


def test_downgrading_waits_for_the_secrets_to_be_decrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    credentials = aws_token(engine, SecretBox([KEY]))
    with pytest.raises(RuntimeError, match="registry secrets decrypt"):
        downgrade(engine, "0007")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url_of(engine))
    monkeypatch.setenv("REGISTRY_SECRET_KEY", KEY)
    assert main(["secrets", "decrypt"]) == 0
    assert stored_secrets(engine) == [credentials.secret_access_key]
    downgrade(engine, "0007")
    engine.dispose()
