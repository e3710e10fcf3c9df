"""One error tree for the whole service.

    RegistryError                  base; every error has a stable snake_case `code`
    ├── NotFound                   → 404
    │     RegistryNotFound, SchemaNotFound, VersionNotFound, TokenNotFound, PackageNotFound,
    │     ResourceNotFound, CodeBindingNotFound, ParticipantNotFound, EnvironmentNotFound
    ├── NotAcceptable              → 406
    ├── Conflict                   → 409
    │     SchemaTypeMismatch, IncompatibleVersion, PackageNameTaken, PackageNameAmbiguous,
    │     RegistryAlreadyExists, SchemaAlreadyExists, VersionInUse, EnvironmentInUse, VersionReferenced
    ├── UnsupportedMediaType       → 415
    ├── InvalidInput               → 422 (400 for MalformedJson)
    │     MalformedJson, InvalidName, InvalidCursor, InvalidVersionSelector, InvalidVersionRange,
    │     ContractNotWrapped, InvalidContract
    │       UnsupportedContractType, ExternalRefNotAllowed, UnresolvableRef, DocumentTooDeep,
    │       EventRootNotFound, ContentNotJson, RegexTooComplex, ContractTooComplex
    │     InvalidReference
    │       ReferenceNotFound, ReferenceCycle, ReferencesTooDeep
    │     CodeGenerationFailed, InvalidMirror, InvalidArn, UnsupportedLanguage, UnsupportedExportType,
    │     TooManyTags, ValidationBudgetExceeded, InvalidAuditAction
    │     DuplicateKey, NumberTooLong, NumberOutOfRange, JsonTooDeep (JSON past our limits)
    ├── PayloadTooLarge            → 413
    ├── Unauthenticated            → 401
    ├── Forbidden                  → 403
    └── Unavailable                → 503 with Retry-After: nothing wrong with the request, ask again soon
          DatabaseUnavailable, DatabaseReadOnly, DatabaseNotMigrated, ShuttingDown, ServerBusy,
          CodeGenerationUnavailable

Errors are built from facts (`SchemaNotFound(registry="r", schema="s")`) so messages stay consistent,
and carry optional `details` (for contracts: the JSON pointer of the offending place).
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote


class RegistryError(Exception):
    code: ClassVar[str] = "registry_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


# --- not found -------------------------------------------------------------------------------------------


class NotFound(RegistryError):
    code = "not_found"


class RegistryNotFound(NotFound):
    code = "registry_not_found"

    def __init__(self, *, registry: str) -> None:
        super().__init__(f"registry {registry!r} does not exist", details={"registry": registry})


class SchemaNotFound(NotFound):
    code = "schema_not_found"

    def __init__(self, *, registry: str, schema: str) -> None:
        super().__init__(
            f"schema {schema!r} does not exist in registry {registry!r}",
            details={"registry": registry, "schema": schema},
        )


class VersionNotFound(NotFound):
    code = "version_not_found"

    def __init__(self, *, registry: str, schema: str, version: int | str) -> None:
        super().__init__(
            f"version {version} of schema {schema!r} in registry {registry!r} does not exist",
            details={"registry": registry, "schema": schema, "version": version},
        )


class TokenNotFound(NotFound):
    code = "token_not_found"

    def __init__(self, *, token_id: str) -> None:
        super().__init__(f"token {token_id!r} does not exist", details={"token_id": token_id})


class PackageNotFound(NotFound):
    code = "package_not_found"

    def __init__(self, *, project: str, filename: str | None = None) -> None:
        what = f"file {filename!r} of package {project!r}" if filename else f"package {project!r}"
        details = {"project": project, **({"filename": filename} if filename else {})}
        super().__init__(f"{what} is not in this index", details=details)


class NotAcceptable(RegistryError):
    code = "not_acceptable"

    def __init__(self, *, offered: list[str]) -> None:
        super().__init__(
            f"the Accept header admits none of: {', '.join(offered)}", details={"offered": offered}
        )


# --- conflict --------------------------------------------------------------------------------------------


class Conflict(RegistryError):
    code = "conflict"


class SchemaTypeMismatch(Conflict):
    code = "schema_type_mismatch"

    def __init__(self, *, schema: str, existing: str, given: str) -> None:
        super().__init__(
            f"schema {schema!r} holds {existing} contracts; a {given} version cannot be added to it",
            details={"schema": schema, "existing_type": existing, "given_type": given},
        )


class IncompatibleVersion(Conflict):
    """A registration that its schema's compatibility mode refuses; `details` holds the whole report."""

    code = "incompatible_version"

    def __init__(
        self, *, schema: str, report: dict[str, Any], deployments: list[dict[str, Any]] | None = None
    ) -> None:
        """`deployments` (DEPLOYED mode): the recorded deployments the findings are about, so that the
        message names the services that would break, not only version numbers."""
        count = len(report["incompatibilities"])
        noun = "incompatibility" if count == 1 else "incompatibilities"
        message = (
            f"the new version of {schema!r} breaks the schema's {report['mode']} compatibility "
            f"({report['policy']}): {count} {noun}, each with the event that proves it where one was found"
        )
        details = report
        if deployments:
            named = ", ".join(
                f"{each['service']} ({each['role']} of version {each['version']} in {each['environment']})"
                for each in deployments[:10]
            )
            more = f" and {len(deployments) - 10} more" if len(deployments) > 10 else ""
            message += f"; deployments it does not fit: {named}{more}"
            details = {**report, "deployments": deployments}
        super().__init__(message, details=details)


class PackageNameTaken(Conflict):
    """Two schemas of one registry whose names differ only in punctuation or case would share a package.
    Package names are unique per registry, so the holder is always one the writer may read."""

    code = "package_name_taken"

    def __init__(self, *, registry: str, schema: str, package: str, holder: str | None) -> None:
        held_by = f"schema {holder!r}" if holder else "another schema"
        super().__init__(
            f"schema {schema!r} would publish its Python bindings as {package!r}, the package of {held_by} "
            "of the same registry; choose a name that differs in more than punctuation or case",
            details={"registry": registry, "schema": schema, "package": package, "holder": holder},
        )


class PackageNameAmbiguous(Conflict):
    """The service-wide index asked, by a caller who may read every registry, for a name that packages of
    several registries share (each registry is a namespace of its own: `/registries/{r}/simple/`)."""

    code = "package_name_ambiguous"

    def __init__(self, *, project: str, registries: list[str]) -> None:
        indexes = ", ".join(f"/registries/{quote(each, safe='')}/simple/" for each in registries)
        super().__init__(
            f"package {project!r} is published by more than one registry "
            f"({', '.join(map(repr, registries))}); install it from that registry's own index: {indexes}",
            details={"project": project, "registries": registries},
        )


# --- invalid input ---------------------------------------------------------------------------------------


class InvalidInput(RegistryError):
    code = "invalid_input"


class MalformedJson(InvalidInput):
    code = "malformed_json"


class InvalidName(InvalidInput):
    code = "invalid_name"

    def __init__(self, *, kind: str, name: str, reason: str) -> None:
        super().__init__(f"invalid {kind} name {name!r}: {reason}", details={"kind": kind, "name": name})


class InvalidContract(InvalidInput):
    """The content is not a valid contract of its type. `details.pointer` locates the offending place."""

    code = "invalid_contract"

    def __init__(self, message: str, *, pointer: str = "", **details: Any) -> None:
        super().__init__(message, details={"pointer": pointer, **details})


class UnsupportedContractType(InvalidContract):
    code = "unsupported_contract_type"


class ExternalRefNotAllowed(InvalidContract):
    code = "external_ref_not_allowed"


class UnresolvableRef(InvalidContract):
    code = "unresolvable_ref"


class DocumentTooDeep(InvalidContract):
    code = "document_too_deep"


class EventRootNotFound(InvalidContract):
    code = "event_root_not_found"


class ContractNotWrapped(InvalidInput):
    """A contract posted as the body itself, where the API expects it wrapped with its type."""

    code = "contract_not_wrapped"

    def __init__(self, *, suggested_type: str, marker: str) -> None:
        wrapper = f'{{"type": "{suggested_type}", "content": <your contract>}}'
        super().__init__(
            f"the body looks like a contract itself (it has {marker!r}); send it wrapped as {wrapper} "
            "(type OpenApi3 or JSONSchemaDraft4; content the contract as a JSON object or string)",
            details={"expected": {"type": suggested_type, "content": "<your contract>"}, "found": marker},
        )


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("the pagination cursor is not one this service issued")


class InvalidAuditAction(InvalidInput):
    code = "invalid_audit_action"

    def __init__(self, *, given: str, known: list[str]) -> None:
        super().__init__(
            f"{given[:80]!r} is neither an audit action nor a kind of action; use one of: {', '.join(known)}",
            details={"given": given[:80], "known": known},
        )


class InvalidVersionSelector(InvalidInput):
    code = "invalid_version"

    def __init__(self, *, given: str) -> None:
        super().__init__(
            f"version must be a positive integer or 'latest', not {given!r}", details={"given": given}
        )


class InvalidVersionRange(InvalidInput):
    code = "invalid_version_range"

    def __init__(self, *, first: int, last: int) -> None:
        super().__init__(
            f"the range from version {first} to version {last} is empty: `from` must not exceed `to`",
            details={"from": first, "to": last},
        )


class ValidationBudgetExceeded(InvalidInput):
    """Validating an event outran its time budget: no verdict, the event is neither valid nor invalid.

    422 rather than 503: the cost comes from this contract and this event (an `anyOf` over recursive
    `$ref`s grows exponentially with the event's depth), so the same request would most likely run out of
    time again; a 503 would invite clients and proxies to retry it blindly."""

    code = "validation_budget_exceeded"

    def __init__(self, *, budget_seconds: float) -> None:
        super().__init__(
            f"validating this event took longer than the {budget_seconds:g} s budget, so there is no "
            "verdict: the event is neither accepted nor refused. The contract makes validating this event "
            "too costly (typically an anyOf or oneOf over recursive $refs, or many slow patterns); retry "
            "once if the service was busy, otherwise validate a smaller event or simplify the contract",
            details={"budget_seconds": budget_seconds},
        )


class CodeGenerationFailed(InvalidInput):
    """The contract is stored, but bindings could not be generated from it; the message says why."""

    code = "code_generation_failed"

    def __init__(self, message: str, *, registry: str, schema: str, version: int) -> None:
        super().__init__(
            f"bindings for version {version} of {schema!r} could not be generated: {message}",
            details={"registry": registry, "schema": schema, "version": version, "cause": message},
        )


# --- temporarily unavailable -------------------------------------------------------------------------------


class Unavailable(RegistryError):
    """The service cannot answer this request now, through no fault of the request: retry after
    `retry_after_seconds` (sent as Retry-After)."""

    code = "unavailable"
    retry_after_seconds: ClassVar[int] = 1


class ServerBusy(Unavailable):
    """Every slot for expensive work (validation, compatibility, discovery) stayed taken while the request
    waited. 503 rather than 429: the limit is the replica's capacity, shared by every caller, not a quota
    this caller overran; another replica (or this one a moment later) can answer the same request."""

    code = "server_busy"

    def __init__(self, *, concurrency: int, waited_seconds: float) -> None:
        super().__init__(
            f"the server is busy with other expensive requests ({concurrency} at a time); "
            f"none finished within {waited_seconds:g} s: retry shortly",
            details={"concurrency": concurrency},
        )


class CodeGenerationUnavailable(Unavailable):
    """Bindings could not be generated now (no worker could run the job, or another replica is still at it):
    nothing is recorded against the contract."""

    code = "code_generation_unavailable"
    retry_after_seconds = 5

    def __init__(self, message: str) -> None:
        super().__init__(f"bindings cannot be generated right now: {message}; retry shortly")


# --- size, authentication, authorisation -----------------------------------------------------------------


class PayloadTooLarge(RegistryError):
    code = "payload_too_large"

    def __init__(self, *, limit: int, setting: str) -> None:
        """`setting`: the configuration that sets `limit`, so that an operator knows what to raise."""
        super().__init__(
            f"the request body is larger than {setting} allows ({limit} bytes); send a smaller body, "
            f"or raise {setting} where the registry runs",
            details={"limit": limit, "setting": setting},
        )


class UnsupportedMediaType(RegistryError):
    """A request body in another format than the API reads (JSON)."""

    code = "unsupported_media_type"

    def __init__(self, *, given: str) -> None:
        super().__init__(
            f"the request body must be JSON, sent with 'Content-Type: application/json', not {given[:100]!r} "
            "(curl: add -H 'content-type: application/json' to -d, or use --json)",
            details={"content_type": given[:100], "accepted": ["application/json", "application/*+json"]},
        )


class Unauthenticated(RegistryError):
    code = "unauthenticated"


class Forbidden(RegistryError):
    code = "forbidden"


# appended: raised by registry.domain.formats when a contract arrives as a string that is not JSON


class ContentNotJson(InvalidContract):
    code = "content_not_json"


# appended: raised by registry.domain.formats when a contract's regular expression could not be evaluated
# within the time bound (or would unroll too far to compile); `details.pointer` locates the pattern


class RegexTooComplex(InvalidContract):
    code = "regex_too_complex"


class ContractTooComplex(InvalidContract):
    """Checking the contract (its default values against their schemas) outran the time budget."""

    code = "contract_too_complex"


# --- the EventBridge API (registry.eventbridge) -----------------------------------------------------------


class RegistryAlreadyExists(Conflict):
    code = "registry_exists"

    def __init__(self, *, registry: str) -> None:
        super().__init__(f"registry {registry!r} already exists", details={"registry": registry})


class SchemaAlreadyExists(Conflict):
    code = "schema_exists"

    def __init__(self, *, registry: str, schema: str) -> None:
        super().__init__(
            f"schema {schema!r} already exists in registry {registry!r}; UpdateSchema adds a version",
            details={"registry": registry, "schema": schema},
        )


class ResourceNotFound(NotFound):
    code = "resource_not_found"

    def __init__(self, *, arn: str) -> None:
        super().__init__(f"no registry or schema has the ARN {arn!r}", details={"arn": arn})


class CodeBindingNotFound(NotFound):
    code = "code_binding_not_found"

    def __init__(self, *, registry: str, schema: str, version: int) -> None:
        super().__init__(
            f"no code binding of version {version} of {schema!r} in registry {registry!r} was requested; "
            "call PutCodeBinding first",
            details={"registry": registry, "schema": schema, "version": version},
        )


class InvalidArn(InvalidInput):
    code = "invalid_arn"

    def __init__(self, *, arn: str) -> None:
        super().__init__(
            f"{arn[:200]!r} is not the ARN of a registry or schema "
            "(arn:aws:schemas:<region>:<account>:registry/<registry> or .../schema/<registry>/<schema>)",
            details={"arn": arn[:200]},
        )


class UnsupportedLanguage(InvalidInput):
    code = "unsupported_language"

    def __init__(self, *, language: str, supported: str) -> None:
        super().__init__(
            f"code bindings are generated for {supported} only, not {language[:40]!r}",
            details={"language": language[:40], "supported": [supported]},
        )


class UnsupportedExportType(InvalidInput):
    code = "unsupported_export_type"

    def __init__(self, *, type_: str, supported: str) -> None:
        super().__init__(
            f"schemas are exported as {supported} only, not {type_[:40]!r}",
            details={"type": type_[:40], "supported": [supported]},
        )


class TooManyTags(InvalidInput):
    code = "too_many_tags"

    def __init__(self, *, count: int, limit: int) -> None:
        super().__init__(
            f"a resource holds at most {limit} tags; this one would hold {count}",
            details={"limit": limit, "count": count},
        )


class InvalidMirror(InvalidInput):
    """A mirror target that is not an AWS region and EventBridge registry name (and http(s) endpoint)."""

    code = "invalid_mirror"


# --- deployments (registry.deployments): who produces and consumes which version, where -------------------


class ParticipantNotFound(NotFound):
    code = "participant_not_found"

    def __init__(self, *, registry: str, schema: str, service: str, role: str, environment: str) -> None:
        super().__init__(
            f"service {service!r} is not recorded as a {role} of schema {schema!r} in environment "
            f"{environment!r} of registry {registry!r}",
            details={
                "registry": registry,
                "schema": schema,
                "service": service,
                "role": role,
                "environment": environment,
            },
        )


class EnvironmentNotFound(NotFound):
    """An environment nobody created: a typo must not pass as "deployable" about a place nobody deploys to."""

    code = "environment_not_found"

    def __init__(self, *, registry: str, environment: str) -> None:
        super().__init__(
            f"environment {environment!r} does not exist in registry {registry!r}; create it first "
            f"(PUT /registries/{registry}/environments/{environment}, or `registry environment create`), "
            "or check the name",
            details={"registry": registry, "environment": environment},
        )


class EnvironmentInUse(Conflict):
    """Only an empty environment is deleted: its records are what can-i-deploy and DEPLOYED judge by."""

    code = "environment_in_use"

    def __init__(
        self, *, registry: str, environment: str, count: int, deployments: list[dict[str, Any]]
    ) -> None:
        """`deployments`: the first of the `count` records there (schema, service, role, version)."""
        noun = "deployment is" if count == 1 else "deployments are"
        super().__init__(
            f"environment {environment!r} of registry {registry!r} is not empty: {count} {noun} recorded "
            "there; remove them (DELETE .../participants/{service}?role=&environment=) before deleting it",
            details={
                "registry": registry,
                "environment": environment,
                "count": count,
                "deployments": deployments,
            },
        )


class VersionInUse(Conflict):
    """A version recorded as deployed stays: services run it, and their checks compare against it."""

    code = "version_in_use"

    def __init__(
        self, *, registry: str, schema: str, version: int, deployments: list[dict[str, Any]]
    ) -> None:
        named = ", ".join(
            f"{each['service']} ({each['role']} in {each['environment']})" for each in deployments[:10]
        )
        more = f" and {len(deployments) - 10} more" if len(deployments) > 10 else ""
        super().__init__(
            f"version {version} of schema {schema!r} in registry {registry!r} is recorded as deployed by "
            f"{named}{more}; remove those records (or move them to another version) before deleting it",
            details={"registry": registry, "schema": schema, "version": version, "deployments": deployments},
        )


# --- references between contracts (shared types) ---------------------------------------------------------


class InvalidReference(InvalidInput):
    """A `references` entry that cannot be resolved to a stored version as given."""

    code = "invalid_reference"


class ReferenceNotFound(InvalidReference):
    """The target does not exist, or the caller may not read it: the message never tells which."""

    code = "reference_not_found"

    def __init__(self, *, name: str, registry: str, schema: str, version: int) -> None:
        super().__init__(
            f"reference {name!r} names version {version} of schema {schema!r} in registry {registry!r}, "
            "which does not exist or which this caller cannot read",
            details={"name": name, "registry": registry, "schema": schema, "version": version},
        )


class ReferenceCycle(InvalidReference):
    code = "reference_cycle"

    def __init__(self, *, path: list[str]) -> None:
        super().__init__(f"references form a cycle: {' -> '.join(path)}", details={"cycle": path})


class ReferencesTooDeep(InvalidReference):
    code = "references_too_deep"

    def __init__(self, *, limit: int, path: list[str]) -> None:
        super().__init__(
            f"references nest deeper than {limit} levels: {' -> '.join(path[:5])} -> ...",
            details={"limit": limit, "path": path},
        )


class VersionReferenced(Conflict):
    """A version that other versions reference stays: their resolved contracts are built from it."""

    code = "version_referenced"

    def __init__(self, *, what: str, dependents: list[dict[str, Any]], hidden: int) -> None:
        named = ", ".join(f"{d['registry']}/{d['schema']} version {d['version']}" for d in dependents[:10])
        more = f" and {len(dependents) - 10} more" if len(dependents) > 10 else ""
        unseen = f" (and {hidden} in registries this caller cannot read)" if hidden else ""
        listing = (
            f"{named}{more}{unseen}"
            if dependents
            else f"{hidden} versions in registries this caller cannot read"
        )
        super().__init__(
            f"{what} is referenced by {listing}; delete those versions first",
            details={"dependents": dependents, "hidden": hidden},
        )


# --- JSON that is well-formed but past what the registry reads (registry.domain.json_input) ---------------


class DuplicateKey(InvalidInput):
    """An object names a key twice: parsers disagree on which value wins, so no meaning can be trusted."""

    code = "duplicate_key"

    def __init__(self, *, where: str, pointer: str, key: str) -> None:
        super().__init__(
            f"{where} names the key {key!r} twice (at {pointer!r}); a key may appear once in an object",
            details={"pointer": pointer, "key": key},
        )


class NumberTooLong(InvalidInput):
    code = "number_too_long"

    def __init__(self, *, where: str, length: int, limit: int) -> None:
        super().__init__(
            f"{where} holds a number written with {length} characters; at most {limit} are accepted",
            details={"length": length, "limit": limit},
        )


class NumberOutOfRange(InvalidInput):
    """A number past what a 64-bit float holds (`1e999`): it would be read as Infinity, which is not JSON."""

    code = "number_out_of_range"

    def __init__(self, *, where: str, number: str) -> None:
        super().__init__(
            f"{where} holds the number {number[:40]}, beyond the range of a 64-bit float",
            details={"number": number[:40]},
        )


class JsonTooDeep(InvalidInput):
    code = "json_too_deep"

    def __init__(self, *, where: str, limit: int) -> None:
        super().__init__(
            f"{where} nests objects and arrays deeper than {limit} levels", details={"limit": limit}
        )


# --- unavailable: the same request may succeed later -----------------------------------------------------


class DatabaseUnavailable(Unavailable):
    """The database refuses connections, does not answer in time, or cannot be written."""

    code = "database_unavailable"
    retry_after_seconds = 5

    def __init__(self, *, reason: str) -> None:
        super().__init__(f"the database is unavailable: {reason}; retry later", details={"reason": reason})


class DatabaseReadOnly(DatabaseUnavailable):
    code = "database_read_only"

    def __init__(self, *, reason: str) -> None:
        RegistryError.__init__(
            self, f"the database cannot be written ({reason}); reads still work", details={"reason": reason}
        )


class DatabaseNotMigrated(Unavailable):
    code = "database_not_migrated"
    retry_after_seconds = 30

    def __init__(self, *, current: str | None, head: str | None) -> None:
        super().__init__(
            f"the database schema is at {current or 'nothing'} but this registry needs {head}: "
            "an operator must run `registry migrate`",
            details={"current_revision": current, "head_revision": head, "fix": "registry migrate"},
        )


class ShuttingDown(Unavailable):
    """This replica is draining before it stops: another one (or this one restarted) will answer."""

    code = "shutting_down"
    retry_after_seconds = 1

    def __init__(self) -> None:
        super().__init__("this replica is shutting down; retry the request")
