# Event Contract Registry: `docker build -t event-contract-registry .`
#
# The image serves the HTTP API on port 8080. Configure it with REGISTRY_* variables, above all
# REGISTRY_DATABASE_URL (postgresql+psycopg://user:password@host:5432/db); without it the registry uses
# SQLite in /var/lib/registry (mount a volume there). Off loopback `registry serve` refuses to start until an
# API token exists: create one with `docker run ... registry token create --role admin`, or pass
# --allow-anonymous for a trusted network. docker-compose.yml wires it to PostgreSQL 16.
#
# Reproducible: every dependency is installed at the version pinned in constraints.txt (`make constraints`
# refreshes it), not at whatever the version ranges of pyproject.toml resolve to on the day of the build.
# The health check asks /readyz (database reachable, schema migrated), not /healthz (the process is up).
# One serving process uses one core: append `--workers N` to the command for N (`docker run ... registry
# serve --host 0.0.0.0 --port 8080 --workers 2`); SIGTERM (`docker stop`) drains them all.
# The `fast` extra (httptools, uvloop) is installed: uvicorn picks them by itself, halving its CPU per cached read.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY registry ./registry
COPY codegen ./codegen
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
COPY --from=build /wheels /wheels
COPY constraints.txt /tmp/constraints.txt
RUN pip install --constraint /tmp/constraints.txt "$(ls /wheels/*.whl)[fast]" && rm -rf /wheels /tmp/constraints.txt \
    && useradd --system --create-home --uid 10001 --shell /usr/sbin/nologin registry \
    && mkdir -p /var/lib/registry && chown registry:registry /var/lib/registry
USER registry
WORKDIR /var/lib/registry
ENV REGISTRY_DATABASE_URL=sqlite:////var/lib/registry/registry.db
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8080/readyz', timeout=2)"]
CMD ["registry", "serve", "--host", "0.0.0.0", "--port", "8080"]
