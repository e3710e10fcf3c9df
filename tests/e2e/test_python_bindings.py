"""Python bindings as their users get them: real pip, a fresh virtual environment, real mypy, a real zip.

Everything runs against `registry serve` subprocesses on SQLite files. One server and one venv serve the
module (creating either costs seconds); each test installs what it needs into the venv itself, so the tests
do not depend on their order. The venv's interpreter runs small probe scripts whose findings come back as
JSON, so that every assertion (and its message) lives here, not in a subprocess."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from codegen.version import GENERATOR_VERSION
from tests.conftest import examples_dir, load_example
from tests.e2e.conftest import Served, bearer, create_token, serve, sqlite_url

REGISTRY = "orders"
SCHEMA = "com.acme@Order.Created"
SCHEMA_PATH = f"/registries/{REGISTRY}/schemas/{quote(SCHEMA, safe='')}"
DISTRIBUTION = "orders-com-acme-order-created"
IMPORT_NAME = "orders_com_acme_order_created"
EVENTBRIDGE_PACKAGE = "schema.com_acme.order_created"
CONTRACT = "openapi3/custom-order-created.json"
EVENT_FILE = examples_dir() / "openapi3/custom-order-created.event.json"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
RUNTIME_REQUIREMENT = "pydantic>=2.11,<3"  # validation by wire names only (by_name=False)
TOOLS = Path(sys.executable).parent
PIP_SECONDS = 180.0
PYTHON_SECONDS = 60.0
MYPY_SECONDS = 240.0


# --- subprocesses -----------------------------------------------------------------------------------------


def run(
    command: Sequence[str | Path],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def explain(done: subprocess.CompletedProcess[str]) -> str:
    """What a failed command said, for the assertion message."""
    command = " ".join(str(part) for part in done.args)
    return f"`{command}` exited with {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def succeeded(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, explain(done)
    return done


def only_our_index() -> dict[str, str]:
    """pip with no configuration file and no index or find-links from the environment: whatever it installs
    can only have come from the `--index-url` on its command line."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_NO_INDEX"}
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def tool(name: str) -> Path:
    """A console script of the project's venv; missing means the dev extras were not installed."""
    path = TOOLS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: install the development tools with `pip install -e '.[dev]'`")
    return path


@dataclass(frozen=True)
class Venv:
    """A fresh virtual environment, as a service team would create for its consumer."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def pip(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run(
            [self.python, "-m", "pip", "--no-input", *args],
            timeout=PIP_SECONDS,
            env=env if env is not None else os.environ,
        )

    def install_from(self, index_url: str, *requirements: str) -> None:
        """Install from our index alone; `--no-cache-dir`, so that every wheel comes from the server."""
        succeeded(
            self.pip(
                "install", "--no-cache-dir", "--index-url", index_url, *requirements, env=only_our_index()
            )
        )

    def probe(self, import_name: str, distribution: str, workdir: Path) -> dict[str, Any]:
        """Run PROBE in this venv (from `workdir`, so nothing but site-packages provides the package)."""
        script = workdir / "probe.py"
        script.write_text(PROBE)
        done = succeeded(
            run(
                [self.python, script, import_name, distribution, EVENT_FILE],
                timeout=PYTHON_SECONDS,
                cwd=workdir,
            )
        )
        findings: dict[str, Any] = json.loads(done.stdout)
        return findings


def new_venv(directory: Path) -> Venv:
    """`python -m venv`, then the runtime dependency through the machine's normal pip configuration."""
    venv = Venv(directory)
    succeeded(run([sys.executable, "-m", "venv", directory], timeout=PIP_SECONDS))
    succeeded(venv.pip("install", RUNTIME_REQUIREMENT))
    return venv


# What a consumer does with the installed package; prints what it saw as JSON.
PROBE = """
import importlib
import importlib.metadata
import json
import sys
from pathlib import Path

import pydantic

import_name, distribution, event_file = sys.argv[1:4]
package = importlib.import_module(import_name)
from_package = {name: getattr(package, name) for name in package.__all__}
parse_event = package.parse_event
AWSEvent, OrderCreated, Marshaller = package.AWSEvent, package.OrderCreated, package.Marshaller

text = Path(event_file).read_text()
parsed = [parse_event(text), parse_event(text.encode()), parse_event(json.loads(text))]
event = parsed[2]

invalid = json.loads(text)
invalid["detail"]["status"] = "SHIPPED"
try:
    parse_event(invalid)
except pydantic.ValidationError as exc:
    rejection = {"message": str(exc), "locations": [list(error["loc"]) for error in exc.errors()]}
else:
    rejection = None

print(json.dumps({
    "installed_version": importlib.metadata.version(distribution),
    "package_file": package.__file__,
    "exports": sorted(from_package),
    "SCHEMA_VERSION": package.SCHEMA_VERSION,
    "FINGERPRINT": package.FINGERPRINT,
    "SCHEMA": package.SCHEMA,
    "types": [type(item).__name__ for item in parsed],
    "same_from_str_bytes_dict": parsed[0] == parsed[1] == parsed[2],
    "is_pydantic_model": isinstance(event, pydantic.BaseModel),
    "detail_type": event.detail_type,
    "detail_class": type(event.detail).__name__,
    "detail_is_OrderCreated": isinstance(event.detail, OrderCreated),
    "order_id": event.detail.order_id,
    "created_at": event.detail.created_at,
    "created_at_type": type(event.detail.created_at).__name__,
    "grand_total": event.detail.totals.grand_total.amount,
    "status": event.detail.status,
    "status_type": type(event.detail.status).__name__,
    "identity": [package.DETAIL_TYPE, package.SOURCE],
    "public_names": sorted(name for name in dir(package) if not name.startswith("_")),
    "detail_fields": sorted(OrderCreated.model_fields),
    "marshalled_keys": sorted(Marshaller.marshall(event)),
    "rejection": rejection,
}))
"""


# --- the registry -----------------------------------------------------------------------------------------


def contract_v2() -> dict[str, Any]:
    """Version 2: an added optional property (the registry's compatibility is NONE, so any change goes)."""
    contract: dict[str, Any] = load_example(CONTRACT)
    detail = contract["components"]["schemas"]["OrderCreated"]["properties"]
    detail["giftMessage"] = {"type": "string", "maxLength": 200}
    return contract


@dataclass
class Registry:
    server: Served
    http: httpx.Client
    v1: dict[str, Any]
    v2: dict[str, Any]
    workdir: Path

    @property
    def index_url(self) -> str:
        """The service-wide index, as installs set up before registries had their own use it."""
        return f"{self.server.url}/simple/"

    @property
    def registry_index_url(self) -> str:
        return f"{self.server.url}/registries/{REGISTRY}/simple/"


def register(
    http: httpx.Client, registry: str, headers: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The registry (compatibility NONE) with versions 1 and 2 of the order contract."""
    path = f"/registries/{registry}/schemas/{quote(SCHEMA, safe='')}/versions"
    created = http.put(f"/registries/{registry}", json={"compatibility": "NONE"}, headers=headers)
    assert created.status_code == 201, created.text
    versions = []
    for content in (load_example(CONTRACT), contract_v2()):
        response = http.post(path, json={"type": "OpenApi3", "content": content}, headers=headers)
        assert response.status_code == 201, response.text
        versions.append(response.json())
    assert [version["version"] for version in versions] == [1, 2]
    return versions


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    workdir = tmp_path_factory.mktemp("bindings")
    with serve(workdir, sqlite_url(workdir)) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        v1, v2 = register(http, REGISTRY)
        yield Registry(server, http, v1, v2, workdir)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return new_venv(tmp_path_factory.mktemp("consumer") / "venv")


# --- the names --------------------------------------------------------------------------------------------


def test_schema_tells_which_package_to_install(registry: Registry) -> None:
    """A user reads the names from the schema, then finds the project on the index under that name."""
    schema = registry.http.get(SCHEMA_PATH)
    assert schema.status_code == 200, schema.text
    assert schema.json()["python"] == {
        "distribution": DISTRIBUTION,
        "import_name": IMPORT_NAME,
        "eventbridge_package": EVENTBRIDGE_PACKAGE,
        "index_url": f"/registries/{REGISTRY}/simple/",
        "index_page": f"/registries/{REGISTRY}/simple/{DISTRIBUTION}/",
    }
    for index in (f"/registries/{REGISTRY}/simple/", "/simple/"):
        projects = registry.http.get(index, headers={"Accept": JSON_V1})
        assert projects.status_code == 200, projects.text
        assert projects.headers["content-type"].startswith(JSON_V1)
        assert {"name": DISTRIBUTION} in projects.json()["projects"]
        page = registry.http.get(f"{index}{DISTRIBUTION}/")
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        for version in (1, 2):
            assert f"{IMPORT_NAME}-{version}+{GENERATOR_VERSION}-py3-none-any.whl" in page.text, page.text


# --- pip --------------------------------------------------------------------------------------------------


def test_pip_installs_a_pinned_version_from_our_index_alone(registry: Registry, venv: Venv) -> None:
    """`pip install --index-url .../simple/ <dist>==1` with every other source switched off, then the
    package parses the sample event from str, bytes and dict into typed models and names a wrong field."""
    venv.install_from(registry.index_url, f"{DISTRIBUTION}==1")
    seen = venv.probe(IMPORT_NAME, DISTRIBUTION, registry.workdir)

    assert seen["installed_version"] == f"1+{GENERATOR_VERSION}"
    assert Path(seen["package_file"]).is_relative_to(venv.root), seen["package_file"]
    for name in ("parse_event", "AWSEvent", "Marshaller", "OrderCreated", "SCHEMA", "SCHEMA_VERSION"):
        assert name in seen["exports"], seen["exports"]
    assert seen["SCHEMA_VERSION"] == 1
    assert seen["FINGERPRINT"] == registry.v1["fingerprint"]
    assert seen["SCHEMA"] == registry.v1["content"]
    assert seen["types"] == ["AWSEvent"] * 3
    assert seen["same_from_str_bytes_dict"] is True
    assert seen["is_pydantic_model"] is True
    assert (seen["detail_class"], seen["detail_is_OrderCreated"]) == ("OrderCreated", True)
    assert seen["detail_type"] == "OrderCreated"
    assert seen["order_id"] == "ORD-2025-7KQ2M9XA"
    # formats are annotations in the registry, so the models keep the string as the event has it; an enum
    # value is the contract's string itself
    assert (seen["created_at"], seen["created_at_type"]) == ("2025-03-14T16:05:07.318Z", "str")
    assert seen["grand_total"] == 73.15
    assert (seen["status"], seen["status_type"]) == ("CONFIRMED", "str")
    assert seen["identity"] == ["OrderCreated", "com.example.checkout"]
    # what a user should import, and the two submodules; no helper (json, Any, annotations) besides
    assert set(seen["public_names"]) == set(seen["exports"]) | {"models", "marshaller"}
    assert {"DETAIL_TYPE", "SOURCE"} <= set(seen["exports"])
    assert "gift_message" not in seen["detail_fields"]  # a version 2 property
    assert seen["marshalled_keys"] == sorted(json.loads(EVENT_FILE.read_text()))

    rejection = seen["rejection"]
    assert rejection is not None, "status SHIPPED is not in the contract's enum, yet the event was accepted"
    assert ["detail", "status"] in rejection["locations"], rejection
    assert "status" in rejection["message"], rejection["message"]


def test_pip_upgrade_without_a_version_installs_the_latest(registry: Registry, venv: Venv) -> None:
    """`pip install -U <dist>` moves a consumer from version 1 to the newest registered version."""
    venv.install_from(registry.index_url, f"{DISTRIBUTION}==1")
    venv.install_from(registry.index_url, "-U", DISTRIBUTION)
    seen = venv.probe(IMPORT_NAME, DISTRIBUTION, registry.workdir)

    assert seen["installed_version"].startswith("2+"), seen["installed_version"]
    assert seen["installed_version"] == f"2+{GENERATOR_VERSION}"
    assert seen["SCHEMA_VERSION"] == 2
    assert seen["FINGERPRINT"] == registry.v2["fingerprint"]
    assert "gift_message" in seen["detail_fields"]
    assert seen["order_id"] == "ORD-2025-7KQ2M9XA"


def test_pip_finds_the_package_through_extra_index_url(registry: Registry, venv: Venv) -> None:
    """Teams keep PyPI (here: this machine's pip configuration) and add the registry beside it."""
    succeeded(venv.pip("uninstall", "-y", DISTRIBUTION))
    succeeded(
        venv.pip("install", "--no-cache-dir", "--extra-index-url", registry.index_url, f"{DISTRIBUTION}==1")
    )
    seen = venv.probe(IMPORT_NAME, DISTRIBUTION, registry.workdir)
    assert seen["installed_version"] == f"1+{GENERATOR_VERSION}"
    assert seen["SCHEMA_VERSION"] == 1


def test_the_readme_install_works_in_a_fresh_environment(registry: Registry, tmp_path: Path) -> None:
    """The README's first command, in a venv holding nothing: our index beside the machine's (PyPI), which
    provides pydantic."""
    fresh = Venv(tmp_path / "fresh")
    succeeded(run([sys.executable, "-m", "venv", fresh.root], timeout=PIP_SECONDS))

    succeeded(
        fresh.pip(
            "install",
            "--no-cache-dir",
            "--extra-index-url",
            registry.registry_index_url,
            f"{DISTRIBUTION}==1",
        )
    )
    seen = fresh.probe(IMPORT_NAME, DISTRIBUTION, registry.workdir)

    assert seen["installed_version"] == f"1+{GENERATOR_VERSION}"
    assert seen["order_id"] == "ORD-2025-7KQ2M9XA"


def test_pip_installs_packages_of_two_registries_each_index_with_its_own_token(
    tmp_path: Path, venv: Venv
) -> None:
    """A consumer of two registries: one install, one index per registry, each with a token of that
    registry alone; a token of one registry opens nothing in the other's index."""
    url = sqlite_url(tmp_path)
    _, admin = create_token(url, "admin")
    readers = {name: create_token(url, "reader", registry=name)[1] for name in ("ours", "theirs")}
    with serve(tmp_path, url) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        for name in readers:
            register(http, name, headers=bearer(admin))

        def index(registry: str, secret: str) -> str:
            credentials = f"http://__token__:{quote(secret, safe='')}@"
            return f"{server.url.replace('http://', credentials, 1)}/registries/{registry}/simple/"

        crossed = venv.pip(
            "install", "--no-cache-dir", "--index-url", index("theirs", readers["ours"]),
            "theirs-com-acme-order-created==1", env=only_our_index(),
        )  # fmt: skip
        assert crossed.returncode != 0, explain(crossed)
        succeeded(
            venv.pip(
                "install", "--no-cache-dir", "--index-url", index("ours", readers["ours"]),
                "--extra-index-url", index("theirs", readers["theirs"]),
                "ours-com-acme-order-created==1", "theirs-com-acme-order-created==2", env=only_our_index(),
            )
        )  # fmt: skip
        ours = venv.probe("ours_com_acme_order_created", "ours-com-acme-order-created", tmp_path)
        theirs = venv.probe("theirs_com_acme_order_created", "theirs-com-acme-order-created", tmp_path)
    assert ours["installed_version"] == f"1+{GENERATOR_VERSION}"
    assert theirs["installed_version"] == f"2+{GENERATOR_VERSION}"
    assert "gift_message" in theirs["detail_fields"]
    assert all(secret not in server.output() for secret in readers.values()), "the server logged a token"


def test_pip_authenticates_to_a_secured_index_with_a_token_as_password(tmp_path: Path, venv: Venv) -> None:
    """Once tokens exist, the index asks for Basic credentials (all pip can send), and a reader token as
    the password of `http://__token__:<secret>@host/simple/` is enough to install."""
    url = sqlite_url(tmp_path)
    _, admin = create_token(url, "admin")
    _, reader = create_token(url, "reader")
    secured = "secured"
    distribution = f"{secured}-com-acme-order-created"
    with serve(tmp_path, url) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        register(http, secured, headers=bearer(admin))

        for path in ("/simple/", f"/simple/{distribution}/"):
            anonymous = http.get(path)
            assert anonymous.status_code == 401, anonymous.text
            assert anonymous.headers["www-authenticate"] == 'Basic realm="package index"'
        wrong = http.get("/simple/", auth=("__token__", "not-a-token"))
        assert wrong.status_code == 401, wrong.text
        allowed = http.get(f"/simple/{distribution}/", auth=("__token__", reader))
        assert allowed.status_code == 200, allowed.text

        refused = venv.pip(
            "install",
            "--no-cache-dir",
            "--index-url",
            f"{server.url}/simple/",
            distribution,
            env=only_our_index(),
        )
        assert refused.returncode != 0, explain(refused)
        assert "No matching distribution" in refused.stderr, explain(refused)

        with_token = server.url.replace("http://", f"http://__token__:{quote(reader, safe='')}@", 1)
        venv.install_from(f"{with_token}/simple/", f"{distribution}==1")
        seen = venv.probe(f"{secured}_com_acme_order_created", distribution, tmp_path)
    assert seen["installed_version"] == f"1+{GENERATOR_VERSION}"
    assert seen["order_id"] == "ORD-2025-7KQ2M9XA"
    assert reader not in server.output(), "the server logged a token"


# --- the wheel --------------------------------------------------------------------------------------------


def test_the_wheel_downloaded_from_the_index_passes_check_wheel_contents(registry: Registry) -> None:
    """The wheel named in the PEP 691 listing downloads, matches the listed hash once built, and holds
    what a wheel should (check-wheel-contents: no missing or stray files, a valid RECORD)."""
    checker = tool("check-wheel-contents")
    listed = registry.http.get(f"/simple/{DISTRIBUTION}/", headers={"Accept": JSON_V1})
    assert listed.status_code == 200, listed.text
    names = [file["filename"] for file in listed.json()["files"]]
    expected = f"{IMPORT_NAME}-1+{GENERATOR_VERSION}-py3-none-any.whl"
    assert expected in names, names

    wheel = registry.http.get(f"/simple/{DISTRIBUTION}/{quote(expected)}")
    assert wheel.status_code == 200, wheel.text
    digest = hashlib.sha256(wheel.content).hexdigest()
    assert wheel.headers["etag"] == f'"{digest}"'
    relisted = registry.http.get(f"/simple/{DISTRIBUTION}/", headers={"Accept": JSON_V1}).json()["files"]
    entry = next(file for file in relisted if file["filename"] == expected)
    assert entry["hashes"] == {"sha256": digest}, entry
    assert entry["size"] == len(wheel.content), entry

    with zipfile.ZipFile(io.BytesIO(wheel.content)) as archive:
        members = set(archive.namelist())
        dist_info = f"{IMPORT_NAME}-1+{GENERATOR_VERSION}.dist-info"
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert {f"{IMPORT_NAME}/__init__.py", f"{IMPORT_NAME}/py.typed", f"{dist_info}/RECORD"} <= members
    assert f"Requires-Dist: {RUNTIME_REQUIREMENT}" in metadata, metadata

    saved = registry.workdir / expected
    saved.write_bytes(wheel.content)
    succeeded(run([checker, saved], timeout=PYTHON_SECONDS))


# --- the zip ----------------------------------------------------------------------------------------------

HANDLER = """
import json
import sys
from pathlib import Path

from schema.com_acme.order_created import AWSEvent, Marshaller, OrderCreated


def lambda_handler(event, context):
    aws_event = Marshaller.unmarshall(event, AWSEvent)
    detail: OrderCreated = aws_event.detail
    assert isinstance(detail, OrderCreated), type(detail)
    aws_event.detail_type = "OrderCreated.Handled"
    return Marshaller.marshall(aws_event)


original = json.loads(Path(sys.argv[1]).read_text())
returned = lambda_handler(original, None)
model = Marshaller.unmarshall(original, AWSEvent)
print(json.dumps({
    "returned": returned,
    "model_round_trip": Marshaller.unmarshall(Marshaller.marshall(model), AWSEvent) == model,
    "from_json_text": Marshaller.unmarshall(Path(sys.argv[1]).read_text(), AWSEvent) == model,
    "module": AWSEvent.__module__,
}))
"""

DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T")


def comparable(value: Any) -> Any:
    """JSON with date-time strings parsed: `.481Z` and pydantic's `.481000Z` are the same instant."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, str) and DATE_TIME.match(value):
        return datetime.fromisoformat(value)
    return value


def test_the_zip_works_as_an_eventbridge_code_binding(registry: Registry, venv: Venv, tmp_path: Path) -> None:
    """Unzipped next to a SAM-style handler, the binding unmarshalls an event, lets the handler change it,
    and marshalls it back with every key the event had, under its wire name."""
    base = f"{SCHEMA_PATH}/versions"
    first = registry.http.get(f"{base}/1/bindings/python")
    latest = registry.http.get(f"{base}/latest/bindings/python")
    for response in (first, latest):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
    assert first.content != latest.content

    folder = EVENTBRIDGE_PACKAGE.replace(".", "/")
    with zipfile.ZipFile(io.BytesIO(latest.content)) as archive:
        assert set(archive.namelist()) == {"README.md"} | {
            f"{folder}/{name}"
            for name in (
                "__init__.py",
                "models.py",
                "marshaller.py",
                "py.typed",
                "AWSEvent.py",
                "OrderCreated.py",
            )
        }
        archive.extractall(tmp_path)
    assert "SCHEMA_VERSION: int = 2" in (tmp_path / folder / "__init__.py").read_text()
    assert f"from {EVENTBRIDGE_PACKAGE} import" in (tmp_path / "README.md").read_text()

    (tmp_path / "handler.py").write_text(HANDLER)
    done = succeeded(run([venv.python, "handler.py", EVENT_FILE], timeout=PYTHON_SECONDS, cwd=tmp_path))
    seen = json.loads(done.stdout)

    assert seen["module"].startswith(f"{EVENTBRIDGE_PACKAGE}."), seen["module"]
    assert seen["model_round_trip"] is True
    assert seen["from_json_text"] is True
    original = json.loads(EVENT_FILE.read_text())
    expected = copy.deepcopy(original)
    expected["detail-type"] = "OrderCreated.Handled"
    assert comparable(seen["returned"]) == comparable(expected)


# --- mypy -------------------------------------------------------------------------------------------------

CONSUMER = """
from __future__ import annotations

from pathlib import Path

from orders_com_acme_order_created import AWSEvent, OrderCreated, parse_event


def grand_total(raw: str) -> float:
    event: AWSEvent = parse_event(raw)
    detail: OrderCreated = event.detail
    amount: float = detail.totals.grand_total.amount
    return amount


print(grand_total(Path("event.json").read_text()))
"""

WRONG = """
from __future__ import annotations

from orders_com_acme_order_created import parse_event


def order_number(raw: bytes) -> int:
    order_id: int = parse_event(raw).detail.order_id
    return order_id
"""


def test_mypy_strict_checks_a_consumer_against_the_installed_types(
    registry: Registry, venv: Venv, tmp_path: Path
) -> None:
    """The wheel is typed (py.typed): `mypy --strict` accepts a correct consumer and catches a wrong one."""
    mypy = tool("mypy")
    venv.install_from(registry.index_url, f"{DISTRIBUTION}==1")
    (tmp_path / "consumer.py").write_text(CONSUMER)
    (tmp_path / "wrong.py").write_text(WRONG)
    options = ["--strict", "--python-executable", str(venv.python), "--cache-dir", str(tmp_path / ".mypy")]

    succeeded(run([mypy, *options, "consumer.py"], timeout=MYPY_SECONDS, cwd=tmp_path))

    wrong = run([mypy, *options, "wrong.py"], timeout=MYPY_SECONDS, cwd=tmp_path)
    assert wrong.returncode == 1, explain(wrong)
    assert re.search(
        r'wrong\.py:\d+: error: Incompatible types in assignment .*"str".*"int"', wrong.stdout
    ), explain(wrong)

    (tmp_path / "event.json").write_text(EVENT_FILE.read_text())
    ran = succeeded(run([venv.python, "consumer.py"], timeout=PYTHON_SECONDS, cwd=tmp_path))
    assert ran.stdout.strip() == "73.15"
