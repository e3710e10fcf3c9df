"""`registry serve | migrate | token ...`: the console script."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from registry import access, can_i_deploy, environment_command, impact_command
from registry.domain.auth import Role, TokenInfo
from registry.domain.errors import RegistryError
from registry.settings import Settings
from registry.storage.database import make_engine, make_session_factory
from registry.storage.migrations import upgrade
from registry.storage.unit_of_work import UnitOfWork


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        result: int = args.run(args, settings)
    except RegistryError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:  # a database that cannot be reached or opened: say so without a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registry", description="Event Contract Registry")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--allow-anonymous", action="store_true", help="serve without tokens off loopback")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.set_defaults(run=_migrate)

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

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = token.add_parser("create", help="create a token and print its secret once")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
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
    return parser


def _remote_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the running registry is, for commands that call its REST API."""
    parser.add_argument(
        "--url", default=os.environ.get("REGISTRY_URL", "http://127.0.0.1:8080"), help="env REGISTRY_URL"
    )
    parser.add_argument("--token", default=os.environ.get("REGISTRY_TOKEN"), help="env REGISTRY_TOKEN")


def _uow(settings: Settings) -> UnitOfWork:
    engine = make_engine(settings.database_url)
    if settings.is_sqlite:
        upgrade(engine)  # the embedded database needs no separate step
    return UnitOfWork(make_session_factory(engine))


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    upgrade(make_engine(settings.database_url))
    print("database is at the latest schema")
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from registry.api.app import create_app
    from registry.api.capacity import prepare_serving_process

    uow = _uow(settings)
    if not is_loopback(args.host) and not args.allow_anonymous:
        if not any(not token.revoked for token in access.list_tokens(uow)):
            print(
                f"refusing to serve on {args.host} without authentication: create a token first "
                "(`registry token create --role admin`) or pass --allow-anonymous",
                file=sys.stderr,
            )
            return 2
        settings = settings.model_copy(update={"require_auth": True})
    app = create_app(settings)
    prepare_serving_process()
    uvicorn.run(app, host=args.host, port=args.port, access_log=settings.access_log)
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

    worker = MirrorWorker(_uow(settings), settings)

    async def run() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        print("mirror worker started", file=sys.stderr)
        await worker.run(stop)

    asyncio.run(run())
    return 0


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    uow, role = _uow(settings), Role(args.role)
    if not args.aws:
        info, secret = access.create_token(uow, role, registry=args.registry, description=args.description)
        print(f"created token {info.id} ({_scope(info)}); its secret, shown only now:", file=sys.stderr)
        print(secret)
        return 0
    info, _bearer, credentials = access.create_token(
        uow, role, registry=args.registry, description=args.description, aws=True
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


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    info = access.revoke_token(_uow(settings), args.token_id)
    print(f"revoked token {info.id}")
    return 0
