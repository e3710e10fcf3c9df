"""`registry serve | migrate | token ...`: the console script."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence

from registry import access
from registry.domain.auth import Role
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

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = token.add_parser("create", help="create a token and print its secret once")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--registry", help="limit the token to this registry")
    create.add_argument("--description")
    create.set_defaults(run=_token_create)
    token.add_parser("list", help="list tokens (never their secrets)").set_defaults(run=_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id")
    revoke.set_defaults(run=_token_revoke)
    return parser


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
    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=settings.access_log)
    return 0


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    info, secret = access.create_token(
        _uow(settings), Role(args.role), registry=args.registry, description=args.description
    )
    scope = f"registry {info.registry}" if info.registry else "all registries"
    print(f"created token {info.id} ({info.role}, {scope}); its secret, shown only now:", file=sys.stderr)
    print(secret)
    return 0


def _token_list(_args: argparse.Namespace, settings: Settings) -> int:
    for info in access.list_tokens(_uow(settings)):
        state = "revoked" if info.revoked else "active"
        print(f"{info.id}\t{info.role}\t{info.registry or '*'}\t{state}\t{info.description or ''}")
    return 0


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    info = access.revoke_token(_uow(settings), args.token_id)
    print(f"revoked token {info.id}")
    return 0
