"""Running the installed `registry` console script as a user would: a subprocess on a free port.

Servers write their output to files, never to pipes, so a chatty server cannot block on a full pipe buffer,
and a test can read what the server logged while it is still running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

SCRIPT = Path(sys.executable).parent / "registry"
STARTUP_SECONDS = 15.0
COMMAND_SECONDS = 30.0


@pytest.fixture(scope="session", autouse=True)
def installed_package() -> None:
    """Fail once, with the reason, when the console script's interpreter cannot import the package.
    Run from `/`, so that the working directory cannot stand in for a broken install."""
    done = subprocess.run(
        [sys.executable, "-c", "import registry"], cwd="/", capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"{SCRIPT} cannot import registry; reinstall with `pip install -e '.[dev]'`:\n{done.stderr}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'r.db'}"


def script_env(database_url: str, **extra: str) -> dict[str, str]:
    """The caller's environment with the database chosen; `extra` names REGISTRY_* settings without prefix."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}
    env.update({f"REGISTRY_{name.upper()}": value for name, value in extra.items()})
    return env


def run_registry(
    database_url: str, *args: str, timeout: float = COMMAND_SECONDS
) -> subprocess.CompletedProcess[str]:
    """Run one `registry ...` command to completion."""
    return subprocess.run(
        [str(SCRIPT), *args],
        env=script_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def create_token(database_url: str, role: str, registry: str | None = None) -> tuple[str, str]:
    """`registry token create`: returns (id, secret)."""
    scope = ["--registry", registry] if registry else []
    done = run_registry(
        database_url, "token", "create", "--role", role, *scope, "--description", f"e2e {role}"
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1, f"stdout must hold the secret alone: {done.stdout!r}"
    secret = done.stdout.strip()
    token_id = done.stderr.split("created token ", 1)[1].split()[0]
    return token_id, secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class Served:
    """A running `registry serve`, reachable on 127.0.0.1 at `url`."""

    url: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 5.0) -> str:
        """Log lines reach the file a moment after the response reaches the client."""
        deadline = time.monotonic() + timeout
        while text not in (output := self.output()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return output


@contextmanager
def serve(
    workdir: Path,
    database_url: str,
    *args: str,
    settings: Mapping[str, str] | None = None,
    port: int | None = None,
    environment: Mapping[str, str] | None = None,
) -> Iterator[Served]:
    """Start `registry serve --port <free> *args`, wait for /healthz on 127.0.0.1, stop it afterwards.
    `settings` are REGISTRY_* settings without the prefix; `environment` other variables (OTEL_*)."""
    port = port or free_port()
    stdout, stderr = workdir / f"serve-{port}.out", workdir / f"serve-{port}.err"
    env = {**script_env(database_url, **(settings or {})), **(environment or {})}
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(SCRIPT), "serve", "--port", str(port), *args], env=env, stdout=out, stderr=err
        )
    served = Served(url=f"http://127.0.0.1:{port}", process=process, stdout=stdout, stderr=stderr)
    try:
        _wait_until_healthy(served)
        yield served
    finally:
        _stop(process)


def _wait_until_healthy(served: Served) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=served.url, timeout=1.0) as http:
        while time.monotonic() < deadline:
            if served.process.poll() is not None:
                pytest.fail(f"`registry serve` exited with {served.process.returncode}:\n{served.output()}")
            try:
                if http.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(f"`registry serve` did not answer /healthz within {STARTUP_SECONDS} s:\n{served.output()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
