"""`registry serve | migrate | config | token ...`: the console script."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import Engine, make_url

from registry import access, audit, can_i_deploy, configuration, environment_command, impact_command
from registry.domain import secret_box
from registry.domain.audit import KINDS, AuditRecord, cli_actor
from registry.domain.auth import Role, TokenInfo
from registry.domain.errors import RegistryError, Unavailable
from registry.domain.pagination import MAX_LIMIT
from registry.observability.logs import configure_logging
from registry.observability.tracing import configure_tracing
from registry.settings import InvalidSettings, Settings, load_settings, misspelt_variables
from registry.storage.availability import explain, probe
from registry.storage.database import make_engine, make_session_factory, serving_engine
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except InvalidSettings as exc:
        print("\n".join(f"error: {problem}" for problem in str(exc).splitlines()), file=sys.stderr)
        return 2
    if args.run is not _serve:  # serve's app warns itself, in its log
        for warning in misspelt_variables():
            print(f"warning: {warning}", file=sys.stderr)
    try:
        result: int = args.run(args, settings)
    except RegistryError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except secret_box.SecretKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a database that cannot be reached or opened: say so without a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        _close_engines()
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry", description="Event Contract Registry")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--allow-anonymous", action="store_true", help="serve without tokens off loopback")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="serving processes on the one port (default 1; one per core): the replica's code generation "
        "workers and database connections are shared out among them",
    )
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.set_defaults(run=_migrate)

    config = commands.add_parser(
        "config", help="print the configuration in effect (secrets masked), as VARIABLE=value lines"
    )
    config.add_argument(
        "--markdown",
        action="store_true",
        help=f"print the table of every setting instead (`{configuration.REGENERATE}`)",
    )
    config.set_defaults(run=_config)

    deploy = commands.add_parser(
        "can-i-deploy",
        help="ask a running registry whether a deployment keeps its counterparts compatible "
        "(exit 0 yes, 1 no, 2 no answer)",
        description="Ask a running registry whether a deployment keeps its counterparts compatible.",
        epilog=can_i_deploy.EXIT_CODES,
    )
    deploy.add_argument("--registry", required=True)
    deploy.add_argument("--schema", required=True)
    deploy.add_argument("--service", required=True, help="the service about to be deployed")
    deploy.add_argument("--role", required=True, choices=["producer", "consumer"])
    deploy.add_argument(
        "--version", required=True, help="the schema version it will use: a number, or `latest`"
    )
    deploy.add_argument("--environment", required=True)
    deploy.add_argument("--policy", choices=["STRICT", "LENIENT"], help="default: the schema's")
    _remote_arguments(deploy)
    deploy.add_argument("--json", action="store_true", help="print the registry's answer as JSON")
    deploy.set_defaults(run=_can_i_deploy)

    impact = commands.add_parser(
        "impact",
        help="ask a running registry what a candidate for a shared type breaks among the versions built "
        "from it (exit 0 nothing, 1 something, 2 no answer)",
        description="Ask a running registry what would become of every version that references the schema "
        "(directly or through others) if its references pointed at the candidate instead: judged as its "
        "next registration and, for services recorded running it, as their deployment. Nothing is stored.",
        epilog=impact_command.EXIT_CODES,
    )
    impact.add_argument("--registry", required=True)
    impact.add_argument("--schema", required=True, help="the shared schema the candidate is for")
    impact.add_argument("--file", required=True, type=Path, help="the candidate's content (JSON)")
    impact.add_argument(
        "--references", type=Path, help="a JSON list of the candidate's references, as in a registration"
    )
    impact.add_argument(
        "--type",
        choices=["JSONSchemaDraft4", "OpenApi3"],
        help="default: OpenApi3 when the file says `openapi`",
    )
    impact.add_argument("--event-root", help="OpenAPI: the components.schemas entry of the event")
    impact.add_argument(
        "--scope",
        choices=["default", "all"],
        default="default",
        help="default: the latest version of each dependent and every deployed one; all: every version",
    )
    _remote_arguments(impact)
    impact.add_argument("--json", action="store_true", help="print the registry's answer as JSON")
    impact.set_defaults(run=_impact)

    environment = commands.add_parser(
        "environment", help="manage the environments of a running registry"
    ).add_subparsers(required=True, metavar="ACTION")
    create_environment = environment.add_parser(
        "create",
        help="create an environment (idempotent: an existing one is left as it is)",
        description="Create an environment in a running registry, so that a first deployment there can "
        "be checked with can-i-deploy. Running it again changes nothing (a description given replaces "
        "the old one). Needs the writer role on the registry.",
        epilog=environment_command.EXIT_CODES,
    )
    create_environment.add_argument("--registry", required=True)
    create_environment.add_argument("--name", required=True, help="e.g. staging")
    create_environment.add_argument("--description", help="what the environment is (256 characters)")
    _remote_arguments(create_environment)
    create_environment.set_defaults(run=_environment_create)

    mirror = commands.add_parser(
        "mirror-worker", help="deliver mirrored versions to EventBridge, without serving HTTP"
    )
    mirror.set_defaults(run=_mirror_worker)

    keys = commands.add_parser(
        "secrets",
        help="the encryption of stored SigV4 secrets (REGISTRY_SECRET_KEY)",
        description="SigV4 secrets of tokens are stored encrypted under the first key of REGISTRY_SECRET_KEY "
        "(comma-separated keys; every one decrypts). Rotate: put a new key first, run `reencrypt`, then "
        "drop the old key.",
    ).add_subparsers(required=True, metavar="ACTION")
    keys.add_parser("generate-key", help="print a new key for REGISTRY_SECRET_KEY").set_defaults(
        run=_secrets_generate_key
    )
    keys.add_parser(
        "reencrypt",
        help="encrypt every stored SigV4 secret under the first key (plaintext ones, those under older keys)",
    ).set_defaults(run=_secrets_reencrypt)
    keys.add_parser(
        "decrypt", help="store every SigV4 secret in plaintext again (before downgrading the registry)"
    ).set_defaults(run=_secrets_decrypt)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = token.add_parser("create", help="create a token and print its secret once")
    create.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role],
        help="reader < writer < admin on the registries; metrics: reads /metrics and nothing else",
    )
    create.add_argument("--registry", help="limit the token to this registry")
    create.add_argument("--description")
    create.add_argument(
        "--aws",
        action="store_true",
        help="also issue AWS credentials for the EventBridge API (SigV4); printed as credentials-file lines",
    )
    create.set_defaults(run=_token_create)
    token.add_parser("list", help="list tokens (never their secrets)").set_defaults(run=_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id")
    revoke.set_defaults(run=_token_revoke)

    audit_history = commands.add_parser(
        "audit",
        help="print the audit history of every change, newest first (reads the database)",
        description="One tab-separated line per change, newest first: time, actor, action, what it is "
        "about (registry/schema@version, environment, subject) and its detail as JSON. Never a secret.",
    )
    audit_history.add_argument("--registry", help="only this registry (it may be deleted)")
    audit_history.add_argument("--schema", help="only this schema")
    audit_history.add_argument("--actor", help="only changes by this token id, `anonymous` or `cli:<user>`")
    audit_history.add_argument("--action", help=f"one action or a kind: {', '.join(KINDS)}")
    audit_history.add_argument("--limit", type=int, default=100, help="how many (default 100)")
    audit_history.add_argument("--json", action="store_true", help="one JSON object per line instead")
    audit_history.set_defaults(run=_audit)
    return parser


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"a whole number of 1 or more, not {text!r}")
    return number


def _remote_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the running registry is, for commands that call its REST API."""
    parser.add_argument(
        "--url", default=os.environ.get("REGISTRY_URL", "http://127.0.0.1:8080"), help="env REGISTRY_URL"
    )
    parser.add_argument("--token", default=os.environ.get("REGISTRY_TOKEN"), help="env REGISTRY_TOKEN")


# The engines a command opened, closed when it returns: `main` may run in a longer-lived process (tests).
_engines: list[Engine] = []


def _engine(settings: Settings) -> Engine:
    engine = serving_engine(settings)
    _engines.append(engine)
    return engine


def _close_engines() -> None:
    while _engines:
        _engines.pop().dispose()


def _uow(settings: Settings) -> UnitOfWork:
    engine = _engine(settings)
    if settings.is_sqlite:
        upgrade(engine)  # the embedded database needs no separate step
    return UnitOfWork(make_session_factory(engine))


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    # Without the serving statement limit: a migration builds indexes over the data stored (seconds at a
    # million versions), where a request's statement gets 5.
    unlimited = make_engine(settings.database_url, pool_size=1)
    _engines.append(unlimited)
    upgrade(unlimited)
    engine = _engine(settings)
    print("database is at the latest schema")
    box = access.secret_box(settings)
    if box.seals:  # secrets stored before the key was set, or under an older key, are encrypted now
        changed = access.reencrypt_secrets(UnitOfWork(make_session_factory(engine)), box)
        print(f"encrypted {changed} SigV4 secret(s) under the first key of REGISTRY_SECRET_KEY")
    return 0


def _secrets_generate_key(_args: argparse.Namespace, _settings: Settings) -> int:
    print(secret_box.new_key())
    return 0


def _secrets_reencrypt(_args: argparse.Namespace, settings: Settings) -> int:
    box = access.secret_box(settings)
    if not box.seals:
        print("error: REGISTRY_SECRET_KEY is not set: there is no key to encrypt with", file=sys.stderr)
        return 2
    changed = access.reencrypt_secrets(_uow(settings), box)
    print(f"encrypted {changed} SigV4 secret(s) under the first key of REGISTRY_SECRET_KEY")
    return 0


def _secrets_decrypt(_args: argparse.Namespace, settings: Settings) -> int:
    changed = access.reencrypt_secrets(_uow(settings), access.secret_box(settings), to_plaintext=True)
    print(f"decrypted {changed} SigV4 secret(s); they are stored in plaintext now")
    return 0


def _config(args: argparse.Namespace, settings: Settings) -> int:
    print(configuration.markdown() if args.markdown else configuration.effective(settings), end="")
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """The checks that may refuse to start run here, once, also before the processes of `--workers`."""
    configure_logging(settings.log_format, settings.log_level)
    uow = _uow(settings)
    problem = probe(uow.engine)
    if problem is None:  # refuse to start with keys that cannot open the stored secrets
        access.check_secrets(uow, access.secret_box(settings))
    if problem is not None:  # serve anyway: /readyz stays red, and requests get 503, until it is fixed
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        why = explain(problem)
        print(f"database not ready at {where} ({problem.code}): {why}; serving anyway, /readyz answers 503 "
              "until it is", file=sys.stderr)  # fmt: skip
    if not is_loopback(args.host) and not args.allow_anonymous:
        try:
            tokens = access.list_tokens(uow)
        except Unavailable:  # whether tokens exist cannot be known: the safe side is to require one
            tokens = None
        if tokens is not None and not any(not token.revoked for token in tokens):
            print(
                f"refusing to serve on {args.host} without authentication: create a token first "
                "(`registry token create --role admin`) or pass --allow-anonymous",
                file=sys.stderr,
            )
            return 2
        settings = settings.model_copy(update={"require_auth": True})
    uow.engine.dispose()
    if args.workers > 1:
        from registry.supervisor import serve_workers

        return serve_workers(
            settings,
            host=args.host,
            port=args.port,
            count=args.workers,
            database_was_down=problem is not None,
        )
    from registry.api.app import create_app
    from registry.api.capacity import prepare_serving_process
    from registry.serving import serve

    app = create_app(settings)
    if problem is not None:  # said above: the replica's own record of it starts there, without a repeat
        app.state.uow.database.failed(problem, announce=False)
    prepare_serving_process()
    serve(app, host=args.host, port=args.port, grace=settings.shutdown_grace_seconds)
    return 0


def _can_i_deploy(args: argparse.Namespace, _settings: Settings) -> int:
    query = {
        "service": args.service,
        "role": args.role,
        "version": args.version,
        "environment": args.environment,
    }
    if args.policy:
        query["policy"] = args.policy
    return can_i_deploy.run(
        args.url, registry=args.registry, schema=args.schema, query=query, token=args.token, as_json=args.json
    )


def _impact(args: argparse.Namespace, _settings: Settings) -> int:
    return impact_command.run(
        args.url,
        registry=args.registry,
        schema=args.schema,
        content_file=args.file,
        references_file=args.references,
        contract_type=args.type,
        event_root=args.event_root,
        scope=args.scope,
        token=args.token,
        as_json=args.json,
    )


def _environment_create(args: argparse.Namespace, _settings: Settings) -> int:
    return environment_command.create(
        args.url,
        registry=args.registry,
        environment=args.name,
        description=args.description,
        token=args.token,
    )


def _mirror_worker(_args: argparse.Namespace, settings: Settings) -> int:
    """The mirror worker alone (serve with REGISTRY_MIRROR_WORKER=false to keep delivery out of the API
    replicas); any number may run beside each other. Stops on SIGINT or SIGTERM."""
    import asyncio
    import signal

    from registry.mirroring import MirrorWorker

    configure_logging(settings.log_format, settings.log_level)
    configure_tracing()
    worker = MirrorWorker(_uow(settings), settings)

    async def run() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        print("mirror worker started", file=sys.stderr)
        await worker.run(stop, grace=settings.shutdown_grace_seconds)

    asyncio.run(run())
    return 0


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    uow, role = _uow(settings), Role(args.role)
    if not args.aws:
        info, secret = access.create_token(
            uow, role, registry=args.registry, description=args.description, actor=cli_actor()
        )
        print(f"created token {info.id} ({_scope(info)}); its secret, shown only now:", file=sys.stderr)
        print(secret)
        return 0
    info, _bearer, credentials = access.create_token(
        uow,
        role,
        registry=args.registry,
        description=args.description,
        aws=True,
        secrets_box=access.secret_box(settings),
        actor=cli_actor(),
    )
    # Stdout is exactly a profile's body in ~/.aws/credentials, so `>>` under a `[profile]` line works.
    print(
        f"created token {info.id} ({_scope(info)}) with AWS credentials for the EventBridge API; "
        "shown only now, in the ~/.aws/credentials form:",
        file=sys.stderr,
    )
    print(f"aws_access_key_id = {credentials.access_key_id}")
    print(f"aws_secret_access_key = {credentials.secret_access_key}")
    return 0


def _scope(info: TokenInfo) -> str:
    if info.role is Role.METRICS:
        return "metrics: reads /metrics only"
    return f"{info.role}, " + (f"registry {info.registry}" if info.registry else "all registries")


def _token_list(_args: argparse.Namespace, settings: Settings) -> int:
    """One tab-separated line per token: id, role, registry, state, description, AWS access key id (or
    empty). Never a secret."""
    uow = _uow(settings)
    access_keys = access.aws_access_key_ids(uow)
    for info in access.list_tokens(uow):
        state = "revoked" if info.revoked else "active"
        fields = [info.id, info.role, info.registry or "*", state, info.description or ""]
        print("\t".join([*fields, access_keys.get(info.id, "")]))
    return 0


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    uow, left, cursor = _uow(settings), max(args.limit, 0), None
    while left > 0:
        page = audit.audit_history(
            uow,
            registry=args.registry,
            schema=args.schema,
            actor=args.actor,
            action=args.action,
            limit=min(left, MAX_LIMIT),
            cursor=cursor,
        )
        for record in page.items:
            print(_audit_line(record, as_json=args.json))
        left -= len(page.items)
        if (cursor := page.next_cursor) is None:
            break
    return 0


def _audit_line(record: AuditRecord, *, as_json: bool) -> str:
    change = record.change
    if as_json:
        fields = {"id": record.id, "at": record.at.isoformat(), "actor": record.actor, **asdict(change)}
        return json.dumps({**fields, "detail": dict(change.detail)}, ensure_ascii=False)
    about = "/".join(part for part in (change.registry, change.schema) if part)
    about += f"@{change.version}" if change.version is not None else ""
    where = [about, change.environment or "", change.subject or ""]
    detail = json.dumps(dict(change.detail), ensure_ascii=False, sort_keys=True)
    return "\t".join([record.at.isoformat(), record.actor, change.action.value, *where, detail])


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    info = access.revoke_token(_uow(settings), args.token_id, actor=cli_actor())
    print(f"revoked token {info.id}")
    return 0
