"""OpenTelemetry traces, configured only by the standard `OTEL_*` variables, and off unless they ask for it.

Tracing is on when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`), or when an OTLP endpoint is
set (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: `otlp` is then implied).
`OTEL_TRACES_EXPORTER=none` and `OTEL_SDK_DISABLED=true` keep it off. Off, nothing is installed (no SDK
provider, no instrumentation) and the spans named below cost one attribute lookup.

On, the SDK reads the rest itself: the sampler (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`), the
batch processor (`OTEL_BSP_*`), the exporter's endpoint, headers, timeout and compression, the resource
(`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) and the propagators (`OTEL_PROPAGATORS`, e.g. `xray`).
The id generator is `OTEL_PYTHON_ID_GENERATOR` (`random`, `xray`) when set, else X-Ray's whenever the X-Ray
propagator is chosen: X-Ray refuses trace ids that do not start with their time.

Elsewhere, code only names its spans: `span(...)` around a block, `@traced(...)` on a function.
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, ParamSpec, TypeVar

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span
from opentelemetry.util.types import AttributeValue

from registry import __version__

Attributes = Mapping[str, AttributeValue]
P = ParamSpec("P")
R = TypeVar("R")

SERVICE_NAME = "event-contract-registry"
EXPORTERS = ("otlp", "console", "none")
OTLP_PROTOCOL = "http/protobuf"  # the one OTLP transport installed (opentelemetry-exporter-otlp-proto-http)

_tracer: trace.Tracer | None = None  # set once tracing is on in this process
_lock = threading.Lock()
_traced_engines: weakref.WeakSet[Any] = weakref.WeakSet()
_OFF: AbstractContextManager[Span] = nullcontext(INVALID_SPAN)  # reusable: nullcontext keeps no state


class TracingMisconfigured(ValueError):
    """An `OTEL_*` variable asks for something this installation cannot do: said at start, not per span."""


def exporter_named(environ: Mapping[str, str]) -> str | None:
    """The trace exporter the environment asks for, or None when tracing stays off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    names = [name.strip().lower() for name in environ.get("OTEL_TRACES_EXPORTER", "").split(",")]
    names = [name for name in names if name]
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not names:
        return "otlp" if endpoint else None
    unknown = [name for name in names if name not in EXPORTERS]
    if unknown or len(names) > 1:
        raise TracingMisconfigured(
            f"OTEL_TRACES_EXPORTER={environ['OTEL_TRACES_EXPORTER']!r}: choose one of {', '.join(EXPORTERS)}"
        )
    if names[0] == "otlp":
        for variable in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
            protocol = environ.get(variable, "").strip()
            if protocol and protocol != OTLP_PROTOCOL:
                raise TracingMisconfigured(f"{variable}={protocol!r}: only {OTLP_PROTOCOL} is installed")
    return None if names[0] == "none" else names[0]


def id_generator_named(environ: Mapping[str, str]) -> str:
    chosen = environ.get("OTEL_PYTHON_ID_GENERATOR", "").strip().lower()
    if chosen:
        return chosen
    propagators = {name.strip().lower() for name in environ.get("OTEL_PROPAGATORS", "").split(",")}
    return "xray" if propagators & {"xray", "xray-lambda"} else "random"


def configure_tracing(environ: Mapping[str, str] | None = None) -> bool:
    """Install the SDK and the instrumentations the environment asks for, once per process. True when on."""
    global _tracer
    environ = os.environ if environ is None else environ
    exporter = exporter_named(environ)
    with _lock:
        if _tracer is not None or exporter is None:
            return _tracer is not None
        _tracer = _install_provider(exporter, id_generator_named(environ)).get_tracer("registry", __version__)
        from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

        # mirror deliveries: a span per AWS call, and the X-Amzn-Trace-Id header AWS services propagate
        BotocoreInstrumentor().instrument()  # type: ignore[no-untyped-call]
    return True


def _install_provider(exporter: str, id_generator: str) -> trace.TracerProvider:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    resource = Resource.create({"service.version": __version__})
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    # the sampler comes from OTEL_TRACES_SAMPLER when none is given
    provider = TracerProvider(resource=resource, id_generator=_load_id_generator(id_generator))
    span_exporter: SpanExporter
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    else:
        span_exporter = ConsoleSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    return provider


def _load_id_generator(name: str) -> Any:
    from importlib.metadata import entry_points

    found = entry_points(group="opentelemetry_id_generator", name=name)
    if not found:
        names = sorted(each.name for each in entry_points(group="opentelemetry_id_generator"))
        raise TracingMisconfigured(f"OTEL_PYTHON_ID_GENERATOR={name!r}: choose one of {', '.join(names)}")
    return next(iter(found)).load()()


def instrument_engine(engine: Any) -> None:
    """A span per SQL statement of this engine. (Each request's server span, continuing the caller's trace,
    and the spans of its dependencies, endpoint and serialization are FastAPI's own: it traces natively
    whenever a tracer provider is installed, so OpenTelemetry's FastAPI instrumentation is not used.)"""
    if _tracer is None:
        return
    with _lock:
        if engine not in _traced_engines:
            _trace_engine(engine)
            _traced_engines.add(engine)


def _trace_engine(engine: Any) -> None:
    """The SQLAlchemy instrumentation's listeners on this engine alone. Its instrumentor cannot be used: it
    also patches `create_async_engine`, whose import needs greenlet (not installed), and it declares
    SQLAlchemy < 2.1, although the engine events it listens to are the same in 2.1 (the end-to-end test
    receives its spans)."""
    from opentelemetry import metrics
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    connections = metrics.get_meter(scope).create_up_down_counter(  # a no-op: metrics are Prometheus'
        "db.client.connections.usage", unit="connections"
    )
    EngineTracer(trace.get_tracer(scope), engine, connections)  # type: ignore[no-untyped-call]


def tracing_on() -> bool:
    return _tracer is not None


def span(name: str, attributes: Attributes | None = None) -> AbstractContextManager[Span]:
    """A span around a block, child of the current one; the block may add attributes to what it yields."""
    if _tracer is None:
        return _OFF
    return _tracer.start_as_current_span(name, attributes=attributes)


def traced(
    name: str, describe: Callable[[R], Attributes] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A span around each call; `describe` turns the result into attributes (a verdict, a count)."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if _tracer is None:
                return function(*args, **kwargs)
            with _tracer.start_as_current_span(name) as current:
                result = function(*args, **kwargs)
                if describe is not None and current.is_recording():
                    current.set_attributes(describe(result))
                return result

        return call

    return decorate


def annotate(attributes: Attributes) -> None:
    """Attributes on the current span (the request's server span, in middleware); nothing when off."""
    if _tracer is not None:
        trace.get_current_span().set_attributes(attributes)


@contextmanager
def untraced() -> Iterator[None]:
    """Instrumentation (SQL statements) off for a block: background polls that find nothing would
    otherwise make a trace of one statement every second."""
    if _tracer is None:
        yield
        return
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        yield


def current_trace_id() -> str | None:
    """The current trace's id (32 hex digits), for log lines; None outside a trace or when off."""
    if _tracer is None:
        return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
