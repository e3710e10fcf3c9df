"""Generation reads no file and opens no connection, whatever the contract's references say."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen import ContractInput, GenerationFailed, generate_models


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server on loopback that records whether anybody connected."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            seen.append(connection.recv(1024))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    stop.set()
    thread.join()
    server.close()


def draft4(reference: str) -> ContractInput:
    return ContractInput(
        "JSONSchemaDraft4",
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": {"stolen": {"$ref": reference}},
        },
    )


def test_a_remote_reference_opens_no_connection(listener: tuple[str, list[bytes]]) -> None:
    url, seen = listener
    for reference in (f"{url}/schema.json", f"{url}/schema.json#/definitions/x"):
        with pytest.raises(GenerationFailed):
            generate_models(draft4(reference))
    assert seen == []


def test_a_file_reference_reads_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative references resolve against the process's directory when the generator gets a dict; ours
    gets a path inside an empty temporary directory, so a planted file next to the process is not read."""
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "object", "title": "Planted", "properties": {"token": {"type": "string"}}}')
    monkeypatch.chdir(tmp_path)
    for reference in ("secret.json", f"file://{secret}", str(secret), "../" * 12 + str(secret)[1:]):
        try:
            models = generate_models(draft4(reference))
        except GenerationFailed:
            continue
        assert "Planted" not in models.module and "token" not in models.module, reference
