"""Which OTEL_* environments turn tracing on, and what log lines carry while a request is answered."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from opentelemetry import trace

from registry.observability import tracing
from registry.observability.logs import JsonFormatter, RequestFacts, TextFormatter, current_request
from registry.observability.tracing import TracingMisconfigured, exporter_named, id_generator_named

ENDPOINT = "http://collector:4318"


@pytest.mark.parametrize(
    ("environ", "exporter"),
    [
        ({}, None),
        ({"OTEL_SERVICE_NAME": "registry", "OTEL_PROPAGATORS": "xray"}, None),  # nothing to export to
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{ENDPOINT}/v1/traces"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, "otlp"),  # the SDK's default endpoint, localhost:4318
        ({"OTEL_TRACES_EXPORTER": " Console "}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, None),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, None),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, "otlp"),
    ],
)
def test_tracing_is_on_only_when_the_environment_asks_for_an_exporter(
    environ: dict[str, str], exporter: str | None
) -> None:
    assert exporter_named(environ) == exporter


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        (
            {"OTEL_TRACES_EXPORTER": "zipkin"},
            "OTEL_TRACES_EXPORTER='zipkin': choose one of otlp, console, none",
        ),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, "choose one of"),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "only http/protobuf"),
        ({"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc", "OTEL_TRACES_EXPORTER": "otlp"}, "TRACES_PROTOCOL"),
    ],
)
def test_an_exporter_this_installation_lacks_is_refused_by_name(environ: dict[str, str], named: str) -> None:
    with pytest.raises(TracingMisconfigured, match=named):
        exporter_named(environ)


@pytest.mark.parametrize(
    ("environ", "generator"),
    [
        ({}, "random"),
        ({"OTEL_PROPAGATORS": "tracecontext,baggage"}, "random"),
        ({"OTEL_PROPAGATORS": "xray"}, "xray"),
        ({"OTEL_PROPAGATORS": "tracecontext, xray"}, "xray"),
        ({"OTEL_PROPAGATORS": "xray", "OTEL_PYTHON_ID_GENERATOR": "random"}, "random"),
        ({"OTEL_PYTHON_ID_GENERATOR": "xray"}, "xray"),
    ],
)
def test_xray_ids_come_with_the_xray_propagator_unless_told_otherwise(
    environ: dict[str, str], generator: str
) -> None:
    assert id_generator_named(environ) == generator


def test_without_otel_variables_nothing_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ):
        monkeypatch.delenv(variable, raising=False)
    assert tracing.configure_tracing() is False
    assert not tracing.tracing_on()
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider), "no SDK provider installed"
    with tracing.span("anything") as span:
        assert not span.is_recording()
    assert tracing.current_trace_id() is None


def record(message: str, level: int = logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord("registry.bindings", level, __file__, 1, message, None, None)


def test_a_json_line_written_during_a_request_names_it() -> None:
    facts = RequestFacts("r-42", "GET", "/registries/orders")
    facts.route_template = "/registries/{registry}"
    facts.token_id = "tok_1"
    token = current_request.set(facts)
    try:
        line = json.loads(JsonFormatter().format(record("background build skipped")))
    finally:
        current_request.reset(token)
    assert line["message"] == "background build skipped"
    assert (line["level"], line["logger"]) == ("warning", "registry.bindings")
    assert (line["request_id"], line["route"], line["token_id"]) == (
        "r-42",
        "/registries/{registry}",
        "tok_1",
    )
    assert line["time"].endswith("Z")


def test_lines_outside_requests_carry_no_request_fields() -> None:
    line = json.loads(JsonFormatter().format(record("mirror worker started", logging.INFO)))
    assert set(line) == {"time", "level", "logger", "message"}
    assert TextFormatter().format(record("x")).endswith(" WARNING registry.bindings: x")


def test_an_exception_is_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("registry", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = JsonFormatter().format(failed)
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exception"]
