"""Traces as an operator's collector receives them: one `registry serve` configured only by OTEL_* variables,
exporting OTLP/HTTP to a small receiver run by the test, which decodes each protobuf export.

The registry mirrors to itself (its own EventBridge API, through boto3), so one process shows a mirror
delivery joined to the requests it makes, as an EventBridge Schema Registry would join them through
`X-Amzn-Trace-Id`. The same process logs JSON, so the test checks the lines against the spans too.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.conftest import load_example
from tests.e2e.conftest import Served, free_port, serve, sqlite_url

VERSIONS = "/registries/orders/schemas/com.acme%40OrderCreated/versions"
# An X-Ray trace header as an AWS service (API Gateway, EventBridge, a Lambda) passes it on.
XRAY_ROOT = "1-67a0b1c2-0123456789abcdef01234567"
XRAY_PARENT = "53995c3f42cd8ad8"
XRAY_HEADER = f"Root={XRAY_ROOT};Parent={XRAY_PARENT};Sampled=1"
XRAY_TRACE_ID = XRAY_ROOT.replace("-", "")[1:]  # the same id in OpenTelemetry's 32 hex digits
SERVER = 2  # Span.SpanKind.SPAN_KIND_SERVER
STAGES = ("codegen.prepare", "codegen.generator", "codegen.proof", "codegen.load")  # in the worker, in order


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    service: str


class Receiver:
    """An OTLP/HTTP trace receiver on a free port, keeping every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        lock = threading.Lock()
        received = self.spans

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                assert self.path == "/v1/traces", self.path
                assert self.headers["Content-Type"] == "application/x-protobuf"
                with lock:
                    received.extend(_spans_of(ExportTraceServiceRequest.FromString(body)))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, name: str, count: int = 1, timeout: float = 15.0, **attributes: Any) -> list[Span]:
        deadline = time.monotonic() + timeout
        while True:
            found = [
                span
                for span in list(self.spans)
                if span.name == name and all(span.attributes.get(k) == v for k, v in attributes.items())
            ]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"no {count} {name} {attributes} in {self.names()}"
                return found
            time.sleep(0.05)

    def wait_until(self, found: Callable[[list[Span]], list[Span]], timeout: float = 15.0) -> list[Span]:
        deadline = time.monotonic() + timeout
        while not (result := found(list(self.spans))) and time.monotonic() < deadline:
            time.sleep(0.05)
        return result

    def trace(self, trace_id: str) -> list[Span]:
        return [span for span in list(self.spans) if span.trace_id == trace_id]

    def names(self) -> list[str]:
        return sorted({span.name for span in list(self.spans)})


def _spans_of(request: ExportTraceServiceRequest) -> Iterator[Span]:
    for resource_spans in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield Span(
                    name=span.name,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex(),
                    kind=span.kind,
                    start_ns=span.start_time_unix_nano,
                    end_ns=span.end_time_unix_nano,
                    attributes={kv.key: _value(kv.value) for kv in span.attributes},
                    service=str(resource.get("service.name")),
                )


def _value(value: Any) -> Any:
    return getattr(value, value.WhichOneof("value")) if value.WhichOneof("value") else None


def children(spans: list[Span], parent: Span) -> list[Span]:
    return [span for span in spans if span.parent_id == parent.span_id]


def server_span(receiver: Receiver, route: str, method: str, *, trace_id: str | None = None) -> Span:
    """The one server span of a request (the only one of its route, or the one in `trace_id`)."""
    found = [
        span
        for span in receiver.wait_for(f"{method} {route}")
        if span.kind == SERVER and trace_id in (None, span.trace_id)
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def traced_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Receiver]]:
    workdir = tmp_path_factory.mktemp("traced")
    with Receiver() as receiver:
        settings = {"log_format": "json", "mirror_poll_seconds": "0.1"}
        otel = {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_SERVICE_NAME": "registry-under-test",
            "OTEL_PROPAGATORS": "tracecontext,xray",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "AWS_ACCESS_KEY_ID": "AKIATRACETESTKEY0000",
            "AWS_SECRET_ACCESS_KEY": "trace-test-secret",
        }
        with serve(workdir, sqlite_url(workdir), settings=settings, environment=otel) as served:
            yield served, receiver


@pytest.fixture(scope="module")
def flow(traced_registry: tuple[Served, Receiver]) -> dict[str, httpx.Response]:
    """The requests whose traces the tests read: a mirrored registry, two registrations (the second
    continuing an X-Ray trace), a validation and a bindings download."""
    served, _receiver = traced_registry
    contract = load_example("draft4/custom-order-created.json")
    later = {**contract, "description": "version 2"}
    mirror = {"region": "us-east-1", "registry_name": "orders-mirror", "endpoint_url": served.url}
    with httpx.Client(base_url=served.url, timeout=30) as http:
        answers = {
            "registry": http.put("/registries/orders", json={"compatibility": "BACKWARD", "mirror": mirror}),
            "v1": http.post(VERSIONS, json={"type": "JSONSchemaDraft4", "content": contract}),
            "v2": http.post(
                VERSIONS,
                json={"type": "JSONSchemaDraft4", "content": later},
                headers={"X-Amzn-Trace-Id": XRAY_HEADER, "X-Request-Id": "gateway-7f3a:42"},
            ),
            "validate": http.post(f"{VERSIONS}/2/validate", json={"unexpected": True}),
            "bindings": http.get(f"{VERSIONS}/2/bindings/python"),
        }
    assert [answer.status_code for answer in answers.values()] == [201, 201, 201, 200, 200]
    return answers


def test_a_registration_continues_the_callers_xray_trace(
    traced_registry: tuple[Served, Receiver], flow: dict[str, httpx.Response]
) -> None:
    _served, receiver = traced_registry
    check = receiver.wait_for("registry.compatibility_check")[0]
    versions = "/registries/{registry}/schemas/{schema}/versions"
    registration = server_span(receiver, versions, "POST", trace_id=XRAY_TRACE_ID)
    assert check.trace_id == XRAY_TRACE_ID, "the request carried X-Amzn-Trace-Id: its trace goes on"
    assert registration.trace_id == XRAY_TRACE_ID and registration.parent_id == XRAY_PARENT
    assert registration.service == "registry-under-test"
    assert registration.attributes["registry.request_id"] == "gateway-7f3a:42", "the caller's X-Request-Id"
    spans = receiver.trace(XRAY_TRACE_ID)
    # the check sits in the request, under a worker thread's context, with its verdict
    assert _ancestors(spans, check)[-1] == registration
    assert check.attributes["registry.compatibility.verdict"] == "compatible"
    assert check.attributes["registry.compatibility.mode"] == "BACKWARD"
    assert check.attributes["registry.compatibility.pairs"] == 1
    statements = [span for span in spans if span.attributes.get("db.system") == "sqlite"]
    assert any("INSERT" in span.name.upper() for span in statements), [span.name for span in statements]
    assert all(_ancestors(spans, span)[-1] == registration for span in statements)


def test_trace_ids_the_registry_starts_are_xray_ids(
    traced_registry: tuple[Served, Receiver], flow: dict[str, httpx.Response]
) -> None:
    """With the X-Ray propagator the X-Ray id generator is chosen: the id starts with its epoch seconds."""
    _served, receiver = traced_registry
    started = server_span(receiver, "/registries/{registry}", "PUT")
    assert started.parent_id == ""
    assert abs(int(started.trace_id[:8], 16) - time.time()) < 600


def test_a_bindings_download_shows_the_generation_in_its_worker(
    traced_registry: tuple[Served, Receiver], flow: dict[str, httpx.Response]
) -> None:
    served, receiver = traced_registry
    assert flow["bindings"].headers["content-type"] == "application/zip"
    download = server_span(
        receiver, "/registries/{registry}/schemas/{schema}/versions/{version}/bindings/python", "GET"
    )
    [generation] = receiver.wait_for("codegen.generate")
    [worker] = receiver.wait_for("codegen.worker")
    spans = receiver.trace(download.trace_id)
    assert generation in spans and _ancestors(spans, generation)[-1] == download
    assert worker.parent_id == generation.span_id
    assert generation.attributes["codegen.contract_type"] == "JSONSchemaDraft4"
    assert worker.attributes["process.pid"] != served.process.pid, "it ran in a worker process"
    # timed in the worker process, within the parent's span of the job
    assert generation.start_ns <= worker.start_ns < worker.end_ns <= generation.end_ns
    # and its stages one after the other within it, where a slow generation spent its time
    stages = [receiver.wait_for(name)[0] for name in STAGES]
    assert all(each.parent_id == worker.span_id for each in stages)
    ends = [worker.start_ns] + [bound for each in stages for bound in (each.start_ns, each.end_ns)]
    assert ends == sorted(ends) and ends[-1] <= worker.end_ns
    # each with the CPU time the worker spent in it, which cannot exceed the stage's wall time
    for each in stages:
        cpu_ms = each.attributes["codegen.cpu_ms"]
        assert 0 <= cpu_ms <= (each.end_ns - each.start_ns) / 1e6
    generator = stages[STAGES.index("codegen.generator")]
    assert generator.attributes["codegen.cpu_ms"] > 0, "generating takes CPU time, not only waiting"


def test_a_validation_span_says_whether_the_event_was_valid(
    traced_registry: tuple[Served, Receiver], flow: dict[str, httpx.Response]
) -> None:
    _served, receiver = traced_registry
    [validation] = receiver.wait_for("registry.validate_event")
    assert validation.attributes["registry.valid"] is False
    assert validation.attributes["registry.version"] == 2
    request = server_span(
        receiver, "/registries/{registry}/schemas/{schema}/versions/{version}/validate", "POST"
    )
    assert _ancestors(receiver.trace(request.trace_id), validation)[-1] == request


def test_a_mirror_delivery_is_joined_by_the_eventbridge_api_it_calls(
    traced_registry: tuple[Served, Receiver], flow: dict[str, httpx.Response]
) -> None:
    _served, receiver = traced_registry
    [delivery] = receiver.wait_for("registry.mirror_delivery", **{"registry.version": 2})
    assert delivery.parent_id == "", "a delivery is a trace of its own, started by the worker"
    assert delivery.attributes["registry.mirror.target_registry"] == "orders-mirror"
    calls = sorted(children(receiver.trace(delivery.trace_id), delivery), key=lambda span: span.start_ns)
    # version 1 is there, with other content: the registry is described, the schema too, then updated
    assert [span.attributes.get("rpc.method") for span in calls] == [
        "DescribeRegistry", "DescribeSchema", "UpdateSchema"
    ]  # fmt: skip
    assert all(span.name == f"schemas.{span.attributes['rpc.method']}" for span in calls)
    # the EventBridge API (here the registry's own) continued each call's trace from X-Amzn-Trace-Id
    answered = receiver.wait_until(lambda spans: [child for call in calls for child in children(spans, call)])
    assert len(answered) == 3 and all(span.kind == SERVER for span in answered)
    assert all(span.name.split(" ")[1].startswith("/v1/registries/name/{registry}") for span in answered)


def test_json_log_lines_name_the_request_its_trace_and_its_caller(
    traced_registry: tuple[Served, Receiver], flow: dict[str, httpx.Response]
) -> None:
    served, _receiver = traced_registry
    assert flow["v2"].headers["x-request-id"] == "gateway-7f3a:42", "a well-formed id is the caller's"
    served.wait_for_output("mirrored com.acme@OrderCreated version 2")  # logged once the delivery is recorded
    lines = [json.loads(line) for line in served.stderr.read_text().splitlines() if line.strip()]
    [access] = [
        line
        for line in lines
        if line.get("request_id") == "gateway-7f3a:42" and line["logger"] == "registry.access"
    ]
    assert access["trace_id"] == XRAY_TRACE_ID
    assert access["route"] == "/registries/{registry}/schemas/{schema}/versions"
    assert (access["method"], access["status"], access["token_id"]) == ("POST", 201, "anonymous")
    assert access["duration_ms"] > 0 and access["level"] == "info"
    assert {"time", "message"} <= access.keys()
    mirrored = [line for line in lines if line["message"].startswith("mirrored com.acme@OrderCreated")]
    assert mirrored and all(line["logger"] == "registry.mirror" for line in mirrored)
    assert any(line["logger"].startswith("uvicorn") for line in lines), "uvicorn's own lines are JSON too"
    assert [line for line in lines if line["level"] not in ("debug", "info")] == [], "no warning, no error"


def _ancestors(spans: list[Span], span: Span) -> list[Span]:
    """The span's parents in `spans`, nearest first, up to the root of what was received."""
    by_id = {each.span_id: each for each in spans}
    chain = []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        chain.append(span)
    return chain
