"""SigV4 verification, proved against botocore: requests signed by `botocore.auth.SigV4Auth` (what boto3
and the AWS CLI use) verify, and any change to what was signed makes them fail."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st

from registry.domain import sigv4
from registry.domain.errors import Unauthenticated

ACCESS_KEY = "AKIAABCDEFGHIJKLMNOP"
SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY40"
REGION = "us-east-1"
ENDPOINT = "http://localhost:8080"
SCHEMA = "aws.partner-mongodb.com/1234567-tickets@Ticket.Created"
ARN = f"arn:aws:schemas:{REGION}:000000000000:schema/r/{SCHEMA}"


def segment(value: str) -> str:
    """A path parameter as botocore's rest-json serializer sends it: `/` and `@` percent-encoded."""
    return quote(value, safe="-_.~")


class Signed:
    """A request signed by botocore, as our server receives it, plus what botocore itself computed."""

    def __init__(self, request: AWSRequest, auth: SigV4Auth) -> None:
        prepared = request.prepare()
        url = urlsplit(prepared.url)
        body = prepared.body or b""
        self.request = sigv4.SignedRequest(
            method=prepared.method,
            raw_path=url.path.encode("ascii"),
            raw_query=url.query.encode("ascii"),
            # urllib3 adds Host from the URL; botocore signed the same value
            headers=[*prepared.headers.items(), ("Host", url.netloc)],
            body=body.encode("utf-8") if isinstance(body, str) else body,
        )
        self.authorization = str(prepared.headers["Authorization"])
        self.signed_at = datetime.strptime(
            str(prepared.headers["X-Amz-Date"]), sigv4.AMZ_DATE_FORMAT
        ).replace(tzinfo=UTC)
        del request.headers["Authorization"]
        self.botocore_canonical_request = auth.canonical_request(request)

    def verify(
        self,
        *,
        request: sigv4.SignedRequest | None = None,
        authorization: str | None = None,
        secret: str = SECRET,
        now: datetime | None = None,
        region: str | None = REGION,
    ) -> None:
        parsed = sigv4.parse_authorization(authorization or self.authorization)
        sigv4.verify(
            request or self.request,
            parsed,
            secret,
            now=now or self.signed_at,
            region=region,
        )

    def with_header(self, name: str, value: str) -> sigv4.SignedRequest:
        """The request with every `name` header line replaced by one holding `value`."""
        kept = [(key, val) for key, val in self.request.headers if key.lower() != name.lower()]
        return replace(self.request, headers=[*kept, (name, value)])


def sign(
    method: str,
    path: str,
    *,
    query: str = "",
    params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    service: str = "schemas",
    region: str = REGION,
    endpoint: str = ENDPOINT,
) -> Signed:
    url = f"{endpoint}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}), params=params or {})
    auth = SigV4Auth(Credentials(ACCESS_KEY, SECRET), service, region)
    auth.add_auth(request)
    return Signed(request, auth)


JSON = {"Content-Type": "application/json"}
REQUESTS: dict[str, Callable[[], Signed]] = {
    "list registries": lambda: sign(
        "GET", "/v1/registries", params={"limit": "10", "registryNamePrefix": "a"}
    ),
    "create registry": lambda: sign(
        "POST", "/v1/registries/name/orders", body=b'{"Description": "orders", "Tags": {}}', headers=JSON
    ),
    "schema name with %2F and %40": lambda: sign(
        "GET", f"/v1/registries/name/r/schemas/name/{segment(SCHEMA)}/version/3"
    ),
    "tag keys repeated, given out of order": lambda: sign(
        "DELETE", f"/tags/{segment(ARN)}", query="tagKeys=zeta&tagKeys=alpha&tagKeys=mid%20dle"
    ),
    "tag keys repeated, as params": lambda: sign(
        "DELETE", f"/tags/{segment(ARN)}", params=[("tagKeys", "b"), ("tagKeys", "a")]
    ),
    "bare query key": lambda: sign("GET", "/v1/registries", query="flag&limit=1"),
    "empty body": lambda: sign("PUT", "/v1/registries/name/r/schemas/name/s", body=b"", headers=JSON),
    "binary body": lambda: sign("POST", "/tags/x", body=bytes(range(256)), headers=JSON),
    "non-ASCII query value": lambda: sign("GET", "/v1/search", params={"keywords": "Zürich ✓"}),
    "trailing slash": lambda: sign("GET", "/v1/registries/"),
    "root path": lambda: sign("GET", "/"),
    "header value with runs of spaces": lambda: sign(
        "GET", "/v1/registries", headers={"X-Note": "  a   b  "}
    ),
    "default port": lambda: sign("GET", "/v1/registries", endpoint="http://registry.example"),
}


@pytest.fixture(params=sorted(REQUESTS))
def signed(request: pytest.FixtureRequest) -> Signed:
    return REQUESTS[request.param]()


def test_botocore_signed_requests_verify(signed: Signed) -> None:
    signed.verify()


def test_the_canonical_request_is_the_one_botocore_signed(signed: Signed) -> None:
    parsed = sigv4.parse_authorization(signed.authorization)
    assert sigv4.canonical_request(signed.request, parsed.signed_headers) == signed.botocore_canonical_request


def test_an_encoded_slash_is_signed_double_encoded_and_must_not_be_decoded() -> None:
    signed = REQUESTS["schema name with %2F and %40"]()
    assert "%252F" in signed.botocore_canonical_request and "%2540" in signed.botocore_canonical_request
    decoded = signed.request.raw_path.replace(b"%2F", b"/").replace(b"%40", b"@")
    with pytest.raises(Unauthenticated, match="does not match"):
        signed.verify(request=replace(signed.request, raw_path=decoded))


def test_a_body_hash_the_client_stated_is_used_when_true() -> None:
    body = b'{"Description": "x"}'
    signed = sign("POST", "/v1/registries/name/r", body=body, headers={"X-Amz-Content-SHA256": sha256(body)})
    signed.verify()


def test_an_unsigned_header_added_on_the_way_is_ignored() -> None:
    signed = sign("GET", "/v1/registries")
    signed.verify(request=signed.with_header("X-Forwarded-For", "10.0.0.1"))


# --- tampering --------------------------------------------------------------------------------------------


def tamperings(signed: Signed) -> dict[str, sigv4.SignedRequest]:
    request = signed.request
    return {
        "method": replace(request, method="DELETE" if request.method != "DELETE" else "GET"),
        "path": replace(request, raw_path=request.raw_path + b"x"),
        "query added": replace(
            request, raw_query=request.raw_query + b"&limit=100" if request.raw_query else b"a=b"
        ),
        "body": replace(request, body=request.body + b" "),
        "host": signed.with_header("Host", "evil.example:8080"),
        "content type": signed.with_header("Content-Type", "text/plain"),
        "date a second later": signed.with_header(
            "X-Amz-Date", (signed.signed_at + timedelta(seconds=1)).strftime(sigv4.AMZ_DATE_FORMAT)
        ),
    }


@pytest.mark.parametrize(
    "what", ["method", "path", "query added", "body", "host", "content type", "date a second later"]
)
def test_every_tampering_fails(what: str) -> None:
    signed = sign(
        "POST",
        f"/tags/{segment(ARN)}",
        params={"tagKeys": "a"},
        body=b'{"Tags": {"team": "orders"}}',
        headers=JSON,
    )
    with pytest.raises(Unauthenticated):
        signed.verify(request=tamperings(signed)[what])


def test_a_changed_query_value_or_a_dropped_repeat_fails() -> None:
    signed = REQUESTS["tag keys repeated, given out of order"]()
    for query in (b"tagKeys=zeta&tagKeys=alpha", b"tagKeys=zeta&tagKeys=alpha&tagKeys=mid%20dlf"):
        with pytest.raises(Unauthenticated, match="does not match"):
            signed.verify(request=replace(signed.request, raw_query=query))


def test_the_same_query_pairs_in_another_order_still_verify() -> None:
    signed = REQUESTS["tag keys repeated, given out of order"]()
    reordered = b"tagKeys=mid%20dle&tagKeys=zeta&tagKeys=alpha"
    signed.verify(request=replace(signed.request, raw_query=reordered))


def test_an_empty_body_cannot_become_a_body() -> None:
    signed = REQUESTS["empty body"]()
    with pytest.raises(Unauthenticated, match="does not match"):
        signed.verify(request=replace(signed.request, body=b"{}"))


def test_a_wrong_secret_fails() -> None:
    """The access key id itself is not signed: it only picks the secret, so signing with another key's
    secret is how a wrong or swapped access key id shows."""
    signed = sign("GET", "/v1/registries")
    with pytest.raises(Unauthenticated, match="does not match"):
        signed.verify(secret=SECRET[:-1] + "X")


def test_a_changed_signature_fails() -> None:
    signed = sign("GET", "/v1/registries")
    last = signed.authorization[-1]
    flipped = signed.authorization[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(Unauthenticated, match="does not match"):
        signed.verify(authorization=flipped)


def test_a_false_body_hash_claim_fails_even_though_it_was_signed() -> None:
    """Otherwise a captured request could carry another body under the same signed claim."""
    body = b'{"Description": "x"}'
    signed = sign("POST", "/v1/registries/name/r", body=body, headers={"X-Amz-Content-SHA256": sha256(body)})
    with pytest.raises(Unauthenticated, match="not the SHA-256 hash of the body"):
        signed.verify(request=replace(signed.request, body=b'{"Description": "y"}'))


def test_an_unsigned_payload_is_refused() -> None:
    signed = sign(
        "POST", "/v1/registries/name/r", body=b"{}", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    with pytest.raises(Unauthenticated, match="needs the body signed"):
        signed.verify()


# --- clock skew, scope and form ---------------------------------------------------------------------------


def test_fifteen_minutes_of_clock_skew_are_tolerated_either_way() -> None:
    signed = sign("GET", "/v1/registries")
    for offset in (timedelta(minutes=15), -timedelta(minutes=15)):
        signed.verify(now=signed.signed_at + offset)


@pytest.mark.parametrize("offset", [timedelta(minutes=15, seconds=1), -timedelta(minutes=15, seconds=1)])
def test_more_clock_skew_is_refused(offset: timedelta) -> None:
    signed = sign("GET", "/v1/registries")
    with pytest.raises(Unauthenticated, match="more than 15 minutes"):
        signed.verify(now=signed.signed_at + offset)


def test_another_service_is_refused() -> None:
    signed = sign("GET", "/v1/registries", service="events")
    with pytest.raises(Unauthenticated, match="scoped to service 'events'"):
        signed.verify()


def test_another_region_is_refused_unless_any_region_is_accepted() -> None:
    signed = sign("GET", "/v1/registries", region="eu-west-1")
    with pytest.raises(Unauthenticated, match="region 'eu-west-1'"):
        signed.verify()
    signed.verify(region=None)


@pytest.mark.parametrize("dropped", ["host", "x-amz-date"])
def test_signed_headers_must_include_host_and_the_date(dropped: str) -> None:
    signed = sign("GET", "/v1/registries")
    parsed = sigv4.parse_authorization(signed.authorization)
    fewer = ";".join(name for name in parsed.signed_headers if name != dropped)
    authorization = signed.authorization.replace(";".join(parsed.signed_headers), fewer)
    with pytest.raises(Unauthenticated, match=f"must include {dropped}"):
        signed.verify(authorization=authorization)


def test_a_missing_date_header_is_refused() -> None:
    signed = sign("GET", "/v1/registries")
    request = replace(
        signed.request, headers=[h for h in signed.request.headers if h[0].lower() != "x-amz-date"]
    )
    with pytest.raises(Unauthenticated, match="X-Amz-Date"):
        signed.verify(request=request)


def test_a_credential_date_other_than_the_request_date_is_refused() -> None:
    signed = sign("GET", "/v1/registries")
    day = signed.signed_at.strftime("%Y%m%d")
    other = (signed.signed_at - timedelta(days=1)).strftime("%Y%m%d")
    with pytest.raises(Unauthenticated, match="not the date of X-Amz-Date"):
        signed.verify(authorization=signed.authorization.replace(f"/{day}/", f"/{other}/"))


@pytest.mark.parametrize("path", [b"/v1/../v1/registries", b"/v1//registries", b"/v1/./registries", b"v1"])
def test_paths_that_normalise_to_another_path_are_refused(path: bytes) -> None:
    signed = sign("GET", "/v1/registries")
    with pytest.raises(Unauthenticated, match="segments"):
        signed.verify(request=replace(signed.request, raw_path=path))


SIGNATURE = "a" * 64
GOOD = f"Credential={ACCESS_KEY}/20260101/{REGION}/schemas/aws4_request, SignedHeaders=host;x-amz-date"


@pytest.mark.parametrize(
    "header",
    [
        f"AWS4-HMAC-SHA512 {GOOD}, Signature={SIGNATURE}",
        f"Bearer {GOOD}, Signature={SIGNATURE}",
        "AWS4-HMAC-SHA256",
        f"AWS4-HMAC-SHA256 {GOOD}",
        f"AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/schemas/aws4_request, "
        f"Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {GOOD}, Signature={SIGNATURE}, Extra=1",
        f"AWS4-HMAC-SHA256 {GOOD}, Signature={SIGNATURE}, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {GOOD}, Signature={SIGNATURE.upper()}",
        f"AWS4-HMAC-SHA256 {GOOD}, Signature=abc",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/schemas, "
        f"SignedHeaders=host, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/2026-1-1/{REGION}/schemas/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential=/20260101/{REGION}/schemas/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/schemas/aws4_request, "
        f"SignedHeaders=x-amz-date;host, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/schemas/aws4_request, "
        f"SignedHeaders=Host;x-amz-date, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/schemas/aws4_request, "
        f"SignedHeaders=host;host;x-amz-date, Signature={SIGNATURE}",
    ],
)
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(Unauthenticated):
        sigv4.parse_authorization(header)


def test_a_well_formed_header_is_parsed() -> None:
    parsed = sigv4.parse_authorization(f"AWS4-HMAC-SHA256 {GOOD}, Signature={SIGNATURE}")
    assert parsed == sigv4.SigV4Authorization(
        access_key_id=ACCESS_KEY,
        date="20260101",
        region=REGION,
        service="schemas",
        signed_headers=("host", "x-amz-date"),
        signature=SIGNATURE,
    )


def test_only_the_sigv4_scheme_is_recognised() -> None:
    assert sigv4.is_sigv4(f"AWS4-HMAC-SHA256 {GOOD}")
    assert not sigv4.is_sigv4("Bearer ecr_x")
    assert not sigv4.is_sigv4("AWS4-HMAC-SHA256X foo")


# --- any name, any query, any body ------------------------------------------------------------------------

NAME = st.text(alphabet="abcXYZ019._-@/", min_size=1, max_size=40).filter(
    lambda name: all(part not in {"", ".", ".."} for part in name.split("/"))
)


@given(
    registry=NAME,
    schema=NAME,
    query=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=12)), max_size=4),
    body=st.binary(max_size=64),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
)
def test_any_botocore_signed_request_verifies_and_a_changed_byte_of_body_fails(
    registry: str, schema: str, query: list[tuple[str, str]], body: bytes, method: str
) -> None:
    path = f"/v1/registries/name/{segment(registry)}/schemas/name/{segment(schema)}"
    signed = sign(method, path, params=query, body=body)
    signed.verify()
    parsed = sigv4.parse_authorization(signed.authorization)
    assert sigv4.canonical_request(signed.request, parsed.signed_headers) == signed.botocore_canonical_request
    with pytest.raises(Unauthenticated):
        signed.verify(request=replace(signed.request, body=body + b"!"))


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
