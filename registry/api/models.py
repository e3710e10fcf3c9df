"""Request and response bodies: the wire contract CI depends on (see DESIGN section 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from registry.domain.auth import Role
from registry.domain.deployments import (
    MAX_PARTICIPANT_NAME,
    PARTICIPANT_NAME_PATTERN,
    AuditAction,
    ParticipantRole,
)
from registry.domain.errors import ContractNotWrapped
from registry.domain.formats import ContractType
from registry.domain.formats.contract import unwrapped_contract
from registry.domain.model import CompatibilityMode, CompatibilityPolicy

T = TypeVar("T")


def _storable(text: str) -> str:
    """Databases refuse NUL characters and lone surrogates; say so instead of failing at the driver."""
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    return text


Text = Annotated[str, AfterValidator(_storable)]
Description = Annotated[Text, Field(max_length=256)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str = Field(description="stable snake_case identifier")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorOut(BaseModel):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can answer, all with the one error body."""
    meaning = {
        400: "malformed JSON",
        401: "missing, unknown or revoked bearer token",
        403: "the token lacks the role, or is limited to another registry",
        404: "no such registry, schema, version, package, participant or environment",
        406: "the Accept header admits no format offered",
        409: "conflicts with what is stored",
        413: "request body over REGISTRY_MAX_CONTENT_BYTES",
        415: "the body is not sent as JSON (Content-Type application/json or application/*+json)",
        422: "invalid input: `code` says what, `details` where (`code_generation_failed`: bindings)",
    }
    return {status: {"model": ErrorOut, "description": meaning[status]} for status in statuses}


READ_ERRORS = error_responses(401, 403, 404, 422)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, 422)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class MirrorIn(Strict):
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$", examples=["eu-west-1"])]
    registry_name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[.\-_A-Za-z0-9@]+$")]
    endpoint_url: (
        Annotated[str, Field(max_length=2048, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")] | None
    ) = Field(default=None, description="another endpoint speaking the EventBridge schemas API")


class MirrorOut(BaseModel):
    region: str
    registry_name: str
    endpoint_url: str | None = None


class RegistryIn(Strict):
    description: Description | None = None
    mirror: MirrorIn | None = Field(
        default=None,
        description="mirror every version to this EventBridge Schema Registry (null: stop mirroring); "
        "credentials come from the standard AWS chain of the service",
    )
    compatibility: CompatibilityMode | None = Field(
        default=None, description="default mode for the registry's schemas (BACKWARD when created)"
    )
    compatibility_policy: CompatibilityPolicy | None = Field(
        default=None, description="STRICT (plain JSON Schema semantics, default) or LENIENT"
    )


class RegistryOut(BaseModel):
    name: str
    description: str | None
    compatibility: CompatibilityMode
    compatibility_policy: CompatibilityPolicy
    created_at: datetime
    updated_at: datetime
    mirror: MirrorOut | None = None


class MirrorStateOut(BaseModel):
    status: Literal["pending", "mirrored", "failed"]
    remote_version: str | None = Field(description="the version number the mirror gave it")
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="when a pending or failed delivery is tried next")
    updated_at: datetime


class MirroredVersionOut(MirrorStateOut):
    schema_: str = Field(alias="schema")
    version: int


class MirrorStatusOut(BaseModel):
    registry: str
    target: MirrorOut | None
    counts: dict[str, int] = Field(description="deliveries by status")
    items: list[MirroredVersionOut]
    next_cursor: str | None


class SchemaPatch(Strict):
    description: Description | None = None
    compatibility: CompatibilityMode | None = Field(default=None, description="null: use the registry's")
    compatibility_policy: CompatibilityPolicy | None = Field(
        default=None, description="null: use the registry's"
    )


class PythonPackageOut(BaseModel):
    distribution: str = Field(
        description="`pip install --extra-index-url http://HOST<index_url> <distribution>==<version>`"
    )
    import_name: str = Field(description="`from <import_name> import parse_event`")
    eventbridge_package: str = Field(description="the package path inside the EventBridge-style zip")
    index_url: str = Field(
        description="the registry's PEP 503 index, for pip (`/registries/<registry>/simple/`)"
    )
    index_page: str = Field(description="the package's page in that index")


class SchemaOut(BaseModel):
    registry: str
    name: str
    type: str
    description: str | None
    latest_version: int | None
    version_count: int
    compatibility: CompatibilityMode | None
    compatibility_policy: CompatibilityPolicy | None
    created_at: datetime
    updated_at: datetime
    python: PythonPackageOut


class ReferenceIn(Strict):
    """`$ref`s whose URI (without fragment) is `name` resolve to this stored version."""

    name: Annotated[Text, Field(min_length=1, max_length=2048)] = Field(
        description="the URI as the content's `$ref`s write it: absolute (https://...) or relative "
        "(money.json)"
    )
    registry: Annotated[Text, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="the registry of the referenced schema; default: the same registry"
    )
    schema_: Annotated[Text, Field(min_length=1, max_length=385)] = Field(alias="schema")
    version: int = Field(ge=1, le=2**31 - 1)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ReferenceOut(BaseModel):
    name: str
    registry: str
    schema_: str = Field(alias="schema")
    version: int

    model_config = ConfigDict(populate_by_name=True)


class RegisterVersionIn(Strict):
    @model_validator(mode="before")
    @classmethod
    def _wrapped(cls, data: Any) -> Any:
        """A contract posted as the body itself gets a hint (`contract_not_wrapped`), not a list of fields."""
        found = unwrapped_contract(data)
        if found is not None:
            suggested, marker = found
            context = {"suggested_type": suggested.value, "marker": marker}
            raise PydanticCustomError(ContractNotWrapped.code, "the body is a contract, not wrapped", context)
        return data

    type: ContractType
    content: dict[str, Any] | str = Field(
        description="the contract, as a JSON object or a string holding one"
    )
    description: Description | None = None
    event_root: Annotated[Text, Field(max_length=256)] | None = Field(
        default=None,
        description="OpenAPI only: the components.schemas entry that describes the event, when the "
        "document has several and none is named AWSEvent or carries x-amazon-events-detail-type",
    )
    references: list[ReferenceIn] = Field(
        default_factory=list,
        max_length=256,
        description="other stored versions this contract's non-local `$ref`s resolve to "
        "(README: Shared types)",
    )


class VersionOut(BaseModel):
    registry: str
    schema_: str = Field(alias="schema")
    version: int
    type: str
    content: dict[str, Any]
    fingerprint: str = Field(
        description="sha256 of the canonical JSON of the content (and, when it has references, of what "
        "they resolve to)"
    )
    event_root: str | None
    description: str | None
    created_at: datetime
    created_by: str | None = Field(
        default=None,
        description="who registered it: the public id of the token, or `anonymous` when the service runs "
        "open; null for versions registered before the registry kept it",
    )
    mirror: MirrorStateOut | None = Field(
        default=None, description="its delivery to the registry's mirror (absent when the registry has none)"
    )
    references: list[ReferenceOut] | None = Field(
        default=None,
        description="the stored versions its `$ref`s resolve to, by name (present when it has references)",
    )


class VersionSummaryOut(BaseModel):
    version: int
    fingerprint: str
    description: str | None
    created_at: datetime
    created_by: str | None = Field(
        default=None,
        description="who registered it: the public id of the token, or `anonymous` when the service runs "
        "open; null for versions registered before the registry kept it",
    )


class EventErrorOut(BaseModel):
    path: str = Field(description="JSON pointer into the event")
    message: str
    code: str = Field(
        description="`schema_violation`: the event breaks the contract's schema; `identity_mismatch`: its "
        "`detail-type` or `source` is not the contract's (`check_identity=false` skips that check)"
    )


class ValidationOut(BaseModel):
    valid: bool
    errors: list[EventErrorOut]
    registry: str
    schema_: str = Field(alias="schema")
    version: int


class SearchHitOut(BaseModel):
    registry: str
    schema_: str = Field(alias="schema")
    type: str
    latest_version: int | None
    description: str | None


class TokenIn(Strict):
    role: Role
    registry: Annotated[Text, Field(max_length=64)] | None = None
    description: Description | None = None


class TokenOut(BaseModel):
    id: str
    role: Role
    registry: str | None
    description: str | None
    revoked: bool


class CreatedTokenOut(TokenOut):
    token: str = Field(description="the secret; shown once, stored only as a hash")


class Health(BaseModel):
    status: str
    detail: str | None = None
    code: str | None = Field(default=None, description="when not ready: the error code saying why")


class PairOut(BaseModel):
    producer: int | str = Field(description="a version number, or `new` for a candidate")
    consumer: int | str


class IncompatibilityOut(PairOut):
    rule: str = Field(description="stable identifier of the rule the pair breaks (see the README's table)")
    producer_path: str = Field(description="JSON pointer into the producer's event schema")
    consumer_path: str = Field(description="JSON pointer into the consumer's event schema")
    message: str
    witness: Any = Field(description="an event the producer may emit and the consumer rejects")
    proven: bool = Field(
        description="true: `witness` was validated against both versions; false: no such event was found, "
        "and the checker could not prove the pair compatible either"
    )


class PairReportOut(BaseModel):
    """Whether each consumer version reads every event of its producer version, under `policy`."""

    compatible: bool
    policy: CompatibilityPolicy
    checked: list[PairOut]
    incompatibilities: list[IncompatibilityOut]


class CompatibilityReportOut(PairReportOut):
    """A candidate judged by its schema's compatibility mode: `mode` chose the pairs in `checked`."""

    mode: CompatibilityMode


class MatrixOut(BaseModel):
    policy: CompatibilityPolicy
    rows: Literal["producer"] = Field(
        default="producer", description="the axis of `compatible`'s rows: the producer versions"
    )
    columns: Literal["consumer"] = Field(
        default="consumer", description="the axis of `compatible`'s columns: the consumer versions"
    )
    versions: list[int] = Field(
        description="the versions crossed, ascending: those in the range asked, at most `limit` "
        "(the latest of them, or the earliest when only `from` is given); empty when none is in the range"
    )
    compatible: list[list[bool]] = Field(
        description="compatible[i][j]: consumer versions[j] reads every event of producer versions[i] "
        "(row i is the producer, column j the consumer)"
    )
    lowest: int | None = Field(
        default=None, description="the schema's lowest version number, whatever the range (null: none)"
    )
    highest: int | None = Field(
        default=None, description="the schema's highest version number, whatever the range (null: none)"
    )


# --- deployments (registry.deployments) ------------------------------------------------------------------

PARTICIPANT_NAME: JsonDict = {"pattern": PARTICIPANT_NAME_PATTERN, "maxLength": MAX_PARTICIPANT_NAME}


class ParticipantIn(Strict):
    role: ParticipantRole
    version: int = Field(ge=1, le=999_999_999, description="a registered version of the schema")
    # The pattern is documented here and enforced by the domain, which answers `invalid_name`.
    environment: str = Field(description="e.g. `prod`, `staging`", json_schema_extra=PARTICIPANT_NAME)


class ParticipantOut(BaseModel):
    registry: str
    schema_: str = Field(alias="schema")
    service: str
    role: ParticipantRole
    version: int
    environment: str
    updated_at: datetime = Field(description="when the record last changed (recorded or moved)")
    updated_by: str = Field(description="the public id of the token that changed it, or `anonymous`")


class CounterpartOut(BaseModel):
    service: str
    role: ParticipantRole
    version: int


class DeployPairOut(BaseModel):
    counterpart: CounterpartOut
    producer_version: int
    consumer_version: int = Field(description="must read every event of `producer_version`")
    compatible: bool
    report: PairReportOut


class CanIDeployOut(BaseModel):
    deployable: bool = Field(description="every pair is compatible (true when there are none)")
    registry: str
    schema_: str = Field(alias="schema")
    service: str
    role: ParticipantRole
    version: int = Field(description="the version asked about (`latest` resolved to its number)")
    environment: str
    policy: CompatibilityPolicy
    pairs: list[DeployPairOut]


class EnvironmentIn(Strict):
    description: Description | None = Field(
        default=None, description="what the environment is; left as it was when absent, removed when null"
    )


class EnvironmentSummaryOut(BaseModel):
    environment: str
    description: str | None
    created_at: datetime
    created_by: str = Field(
        description="the public id of the token that created it (by PUT or by the first record there), "
        "or `anonymous`"
    )
    schemas: int = Field(description="schemas with participants there")
    participants: int = Field(description="records there (one per schema, service and role)")


class ServiceVersionOut(BaseModel):
    service: str
    version: int


class IncompatiblePairOut(BaseModel):
    producer: ServiceVersionOut
    consumer: ServiceVersionOut = Field(description="cannot read every event of the producer's version")
    report: PairReportOut


class SchemaPictureOut(BaseModel):
    schema_: str = Field(alias="schema")
    producers: list[ServiceVersionOut]
    consumers: list[ServiceVersionOut]
    incompatible_pairs: list[IncompatiblePairOut]


class EnvironmentOut(BaseModel):
    registry: str
    environment: str
    compatible: bool = Field(description="no producer/consumer pair of any schema there is incompatible")
    schemas: list[SchemaPictureOut]


class AuditEntryOut(BaseModel):
    id: int
    registry: str
    schema_: str = Field(alias="schema")
    service: str
    role: ParticipantRole
    environment: str
    action: AuditAction
    version: int | None = Field(description="the version recorded after the change; null when removed")
    previous_version: int | None = Field(description="the version before it; null when newly recorded")
    actor: str = Field(description="the public id of the token, or `anonymous` when the service runs open")
    at: datetime
