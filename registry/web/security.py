"""Who is looking, and the forms' CSRF protection.

The token a person signs in with is kept in an HttpOnly, SameSite=Strict cookie (Secure when the request
came over HTTPS), and authenticated exactly as the API's bearer token. Forms carry a double-submit token: a
random value in a cookie of its own, repeated in a hidden field; a cross-site form can send the cookie (not
with SameSite=Strict, but defence in depth) but cannot read it to fill the field."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from registry.access import Authenticator
from registry.domain.auth import Principal, refuse_metrics_only
from registry.domain.errors import Forbidden

TOKEN_COOKIE = "registry_token"
CSRF_COOKIE = "registry_csrf"
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 1024 * 1024


async def viewer(request: Request) -> Principal:
    """The person's principal: their cookie's token (or an Authorization header, as the API takes it)."""
    authenticator: Authenticator = request.app.state.authenticator
    token = request.cookies.get(TOKEN_COOKIE)
    header = f"Bearer {token}" if token else request.headers.get("authorization")
    known = authenticator.principal_if_fresh(header)
    found = known if known is not None else await run_in_threadpool(authenticator.principal_for, header)
    return refuse_metrics_only(found)


def csrf_token(request: Request) -> str:
    """This browser's CSRF value: the cookie's, or a new one that `remember_csrf` will set."""
    token: str | None = getattr(request.state, "csrf", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    token = getattr(request.state, "csrf", None)
    if token is not None and token != request.cookies.get(CSRF_COOKIE):
        set_private_cookie(request, response, CSRF_COOKIE, token)


def set_private_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A cookie scripts cannot read, sent back to this site only (over HTTPS only when it came so)."""
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )


def forget_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )


async def checked_form(request: Request) -> dict[str, str]:
    """The form's fields (urlencoded), once its CSRF field matches this browser's cookie; Forbidden else."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Forbidden("the form is too large")
    fields = {
        key: values[0]
        for key, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
    }
    sent, expected = fields.get(CSRF_FIELD, ""), request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("the form's CSRF token is missing or stale: reload the page and send it again")
    return fields
