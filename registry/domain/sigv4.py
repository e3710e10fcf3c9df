"""AWS Signature Version 4 verification for the EventBridge `schemas` API: pure functions, no I/O.

The server rebuilds the canonical request from what arrived on the wire, the way botocore (boto3, the
AWS CLI) builds it when it signs a rest-json request, and compares signatures in constant time:

- the canonical URI is the path as sent (still percent-encoded), percent-encoded once more: `a%2Fb` is
  signed as `a%252Fb` (every AWS service but S3 does this);
- the canonical query string holds the `key=value` pairs, decoded and encoded again the AWS way, sorted
  (for what botocore sends, already encoded that way, this is the query as sent);
- the payload hash is `X-Amz-Content-SHA256` when the client sent it, else the SHA-256 of the body.

Where botocore is lenient in ways that would let a captured request be altered and replayed, we refuse
instead: a claimed payload hash must match the body, an unsigned payload is refused, and a path holding
empty or `.`/`..` segments, which botocore removes before signing, is refused (the router would see
another path than the one signed). As on AWS, an identical request can be replayed within the skew.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote_to_bytes

from registry.domain.errors import Unauthenticated

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "schemas"
TERMINATOR = "aws4_request"
MAX_CLOCK_SKEW = timedelta(minutes=15)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
REQUIRED_SIGNED_HEADERS = ("host", "x-amz-date")
CONTENT_SHA256_HEADER = "x-amz-content-sha256"

_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_SCOPE_DATE = re.compile(r"\d{8}")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")  # an RFC 9110 token, lower-case


@dataclass(frozen=True)
class SigV4Authorization:
    """The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header."""

    access_key_id: str
    date: str  # YYYYMMDD, the credential scope's date
    region: str
    service: str
    signed_headers: tuple[str, ...]  # lower-case, sorted, unique
    signature: str  # 64 lower-case hex digits

    @property
    def credential_scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


@dataclass(frozen=True)
class SignedRequest:
    """A request as it arrived: the path and query exactly as sent (percent-encoded, no decoding), every
    header line (names in any case, repeats kept) and the body."""

    method: str
    raw_path: bytes
    raw_query: bytes
    headers: Sequence[tuple[str, str]]
    body: bytes


def is_sigv4(authorization: str) -> bool:
    """Whether the header uses the SigV4 scheme (any other scheme is someone else's to check)."""
    return authorization.split(" ", 1)[0] == ALGORITHM


def parse_authorization(authorization: str) -> SigV4Authorization:
    """Split the header into its parts, refusing anything malformed before any secret is looked up."""
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme != ALGORITHM:
        raise Unauthenticated(f"the Authorization header must use the {ALGORITHM} scheme (AWS SigV4)")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, value = item.strip().partition("=")
        if not equals or name in parts:
            raise _malformed(f"cannot read {item.strip()[:40]!r}")
        parts[name] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not parts.get(name)]
    if missing:
        raise _malformed(f"{', '.join(missing)} missing")
    if len(parts) != 3:
        unknown = sorted(set(parts) - {"Credential", "SignedHeaders", "Signature"})
        raise _malformed(f"unexpected {', '.join(unknown)}")

    credential = parts["Credential"].split("/")
    if len(credential) != 5 or credential[4] != TERMINATOR or not all(credential):
        raise _malformed(f"Credential must be <access key id>/<YYYYMMDD>/<region>/<service>/{TERMINATOR}")
    access_key_id, date, region, service, _ = credential
    if not _SCOPE_DATE.fullmatch(date):
        raise _malformed("the Credential's date must be YYYYMMDD")

    signed_headers = tuple(parts["SignedHeaders"].split(";"))
    if not all(_HEADER_NAME.fullmatch(name) for name in signed_headers):
        raise _malformed("SignedHeaders must be lower-case header names separated by ';'")
    if list(signed_headers) != sorted(set(signed_headers)):
        raise _malformed("SignedHeaders must be sorted and name each header once")

    signature = parts["Signature"]
    if not _SIGNATURE.fullmatch(signature):
        raise _malformed("Signature must be 64 lower-case hexadecimal digits")
    return SigV4Authorization(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=signature,
    )


def verify(
    request: SignedRequest,
    authorization: SigV4Authorization,
    secret_access_key: str,
    *,
    now: datetime,
    region: str | None = None,
    service: str = SERVICE,
    max_skew: timedelta = MAX_CLOCK_SKEW,
) -> None:
    """Raise Unauthenticated unless `authorization` signs `request` with `secret_access_key`, in the
    expected scope, dated within `max_skew` of `now`. `region` None accepts any region."""
    check_scope(request, authorization, now=now, region=region, service=service, max_skew=max_skew)
    expected = signature(
        string_to_sign(canonical_request(request, authorization.signed_headers), authorization, request),
        signing_key(secret_access_key, authorization.date, authorization.region, authorization.service),
    )
    if not hmac.compare_digest(expected, authorization.signature):
        raise Unauthenticated(
            "the request signature does not match: sign with the secret access key issued with this access "
            "key id, and send the request exactly as signed (a proxy must not rewrite the Host, path or body)"
        )


def check_scope(
    request: SignedRequest,
    authorization: SigV4Authorization,
    *,
    now: datetime,
    region: str | None,
    service: str = SERVICE,
    max_skew: timedelta = MAX_CLOCK_SKEW,
) -> None:
    """Everything that can be refused without the secret: service, region, signed headers, date."""
    if authorization.service != service:
        raise Unauthenticated(
            f"the credential is scoped to service {authorization.service!r}; this API is {service!r}"
        )
    if region is not None and authorization.region != region:
        raise Unauthenticated(
            f"the credential is scoped to region {authorization.region!r}; this registry signs in {region!r}"
            " (set the client's region to it)"
        )
    unsigned = [name for name in REQUIRED_SIGNED_HEADERS if name not in authorization.signed_headers]
    if unsigned:
        raise Unauthenticated(f"SignedHeaders must include {' and '.join(unsigned)}")
    signed_at = request_time(request)
    if signed_at.strftime("%Y%m%d") != authorization.date:
        raise Unauthenticated(
            f"the Credential's date {authorization.date} is not the date of X-Amz-Date "
            f"{signed_at.strftime(AMZ_DATE_FORMAT)}"
        )
    if abs(now - signed_at) > max_skew:
        minutes = int(max_skew.total_seconds() // 60)
        raise Unauthenticated(
            f"the request was signed at {signed_at.strftime(AMZ_DATE_FORMAT)}, more than {minutes} minutes "
            f"from the server's time {now.astimezone(UTC).strftime(AMZ_DATE_FORMAT)}: the signature has "
            "expired, or the client's clock is wrong"
        )


def request_time(request: SignedRequest) -> datetime:
    """The signing time, from `X-Amz-Date` (botocore sends it; the older `Date` alternative is refused)."""
    values = _header_values(request, "x-amz-date")
    if len(values) != 1 or not _AMZ_DATE.fullmatch(values[0].strip()):
        raise Unauthenticated("the request needs one X-Amz-Date header in the form YYYYMMDDTHHMMSSZ")
    try:
        return datetime.strptime(values[0].strip(), AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise Unauthenticated(f"X-Amz-Date {values[0].strip()!r} is not a valid time") from None


def canonical_request(request: SignedRequest, signed_headers: Sequence[str]) -> str:
    lines = [
        request.method.upper(),
        canonical_uri(request.raw_path),
        canonical_query_string(request.raw_query),
    ]
    for name in signed_headers:
        values = _header_values(request, name)
        if not values:
            raise Unauthenticated(f"the signed header {name!r} is missing from the request")
        # Repeated header lines are signed as one comma-separated value, each value trimmed and its inner
        # runs of whitespace folded to one space.
        lines.append(f"{name}:{','.join(' '.join(value.split()) for value in values)}")
    lines.append("")  # the canonical headers block ends with an empty line
    lines.append(";".join(signed_headers))
    lines.append(payload_hash(request))
    return "\n".join(lines)


def canonical_uri(raw_path: bytes) -> str:
    """The path as sent, percent-encoded a second time (`%2F` becomes `%252F`); refused when removing
    empty or dot segments would change it, since the router would then see another path than the signed
    one. An empty path is `/`."""
    path = raw_path.split(b"?", 1)[0] or b"/"
    segments = path.split(b"/")
    if (
        segments[0] != b""
        or any(segment in {b".", b".."} for segment in segments)
        or b"" in segments[1:-1]  # only the last segment may be empty: `/` and a trailing slash
    ):
        raise Unauthenticated("the request path must start with '/' and hold no empty, '.' or '..' segments")
    return quote(path, safe="/~")


def canonical_query_string(raw_query: bytes) -> str:
    """`key=value` pairs, each side decoded (`+` is a space, as the application's query parser reads it)
    and percent-encoded again leaving only `A-Z a-z 0-9 - _ . ~`, sorted by key then value; a bare `key`
    is `key=`. For what botocore sends, already encoded that way, this is the query as sent; and it is
    also what botocore signs when it encodes the query itself (a space sent as `+` is signed as `%20`)."""
    if not raw_query:
        return ""
    pairs = []
    for item in raw_query.split(b"&"):
        key, _, value = item.partition(b"=")
        pairs.append((_reencode(key), _reencode(value)))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _reencode(component: bytes) -> str:
    return quote(unquote_to_bytes(component.replace(b"+", b" ")), safe="-_.~")


def payload_hash(request: SignedRequest) -> str:
    """The hex SHA-256 of the body. A client may state it in X-Amz-Content-SHA256 (then that text is what
    it signed), but the statement must be true: otherwise the body of a captured request could be swapped."""
    actual = hashlib.sha256(request.body).hexdigest()
    stated = _header_values(request, CONTENT_SHA256_HEADER)
    if not stated:
        return actual
    if len(stated) != 1:
        raise Unauthenticated("the request holds more than one X-Amz-Content-SHA256 header")
    claim = stated[0].strip()
    if not _SHA256_HEX.fullmatch(claim):
        raise Unauthenticated(
            f"X-Amz-Content-SHA256 {claim[:40]!r} is refused: this API needs the body signed (a SHA-256 hash)"
        )
    if claim.lower() != actual:
        raise Unauthenticated("X-Amz-Content-SHA256 is not the SHA-256 hash of the body")
    return claim


def string_to_sign(canonical: str, authorization: SigV4Authorization, request: SignedRequest) -> str:
    return "\n".join(
        [
            ALGORITHM,
            request_time(request).strftime(AMZ_DATE_FORMAT),
            authorization.credential_scope,
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        ]
    )


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_access_key}".encode()
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(string_to_sign: str, key: bytes) -> str:
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _header_values(request: SignedRequest, name: str) -> list[str]:
    return [value for header, value in request.headers if header.lower() == name]


def _malformed(problem: str) -> Unauthenticated:
    return Unauthenticated(f"malformed {ALGORITHM} Authorization header: {problem}")
