"""Swagger UI works in a real browser that can reach nothing but the registry (no CDN, no internet).

Needs Debian's `chromium` (`.ci/run` installs it); a missing browser fails the test, never skips it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import serve, sqlite_url

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every host name but the loopback address fails to resolve: a page that needs a CDN cannot render.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--virtual-time-budget=15000",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Debian's chromium is needed for the browser test: apt-get install chromium")
    return found


def render(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def test_swagger_ui_renders_every_operation_offline(tmp_path: Path) -> None:
    with serve(tmp_path, sqlite_url(tmp_path)) as server:
        page = render(f"{server.url}/docs", tmp_path / "profile", "--dump-dom")
        screenshot = render(
            f"{server.url}/docs",
            tmp_path / "profile2",
            f"--screenshot={tmp_path / 'docs.png'}",
            "--window-size=1280,2400",
        )
    dom = page.stdout
    assert page.returncode == 0, page.stderr[-2000:]
    # Swagger UI builds these from /openapi.json with its own JavaScript: they are not in the served HTML.
    assert 'class="swagger-ui' in dom
    assert "Event Contract Registry" in dom
    for path in (
        "/registries/{registry}",
        "/registries/{registry}/schemas/{schema}/versions/{version}",
        "/search",
    ):
        assert f'data-path="{path}"' in dom, path
    assert screenshot.returncode == 0, screenshot.stderr[-2000:]
    assert (tmp_path / "docs.png").stat().st_size > 10_000
