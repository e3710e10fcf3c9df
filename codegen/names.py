"""Names of generated things: distributions, import packages, the EventBridge folder, model classes.

Every name is derived from registry and schema names (or contract keys) alone, so every replica and every
generator run gives the same names. See README "Python bindings" for the rules as users read them.
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_PEP503_SEPARATORS = re.compile(r"[-_.]+")
# pip writes `<distribution>-<version>-py3-none-any.whl` to disk: keep well under 255 bytes.
MAX_DISTRIBUTION_LENGTH = 100


def normalize_project(name: str) -> str:
    """PEP 503 normalisation: what pip requests and what the index compares."""
    return _PEP503_SEPARATORS.sub("-", name).lower()


def distribution_name(registry: str, schema: str) -> str:
    """`orders` + `aws.partner-x.com/123@Ticket.Created` -> `orders-aws-partner-x-com-123-ticket-created`.

    Already PEP 503-normalised. Long names are cut and given a hash of the full name, so they stay unique.
    """
    name = _NOT_ALNUM.sub("-", f"{registry}-{schema}").strip("-").lower()
    digest = hashlib.sha256(f"{registry}\0{schema}".encode()).hexdigest()[:10]
    if not name:  # names of punctuation alone (`_`, `-`) are valid registry and schema names
        return f"schema-{digest}"
    if len(name) > MAX_DISTRIBUTION_LENGTH:
        name = f"{name[: MAX_DISTRIBUTION_LENGTH - 11].rstrip('-')}-{digest}"
    return name


def import_name(distribution: str) -> str:
    """The top-level package of the wheel: the distribution name with `_` (`orders_ticket_created`)."""
    name = normalize_project(distribution).replace("-", "_")
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"schema_{name}"


def eventbridge_package(schema: str) -> str:
    """The package path of an EventBridge code binding (`schema.aws.ec2.ec2instancestatechangenotification`).

    The rule of the AWS SAM CLI, so that handlers written against EventBridge bindings import unchanged.
    """

    def sanitize(text: str) -> str:
        return re.sub(r"[^a-zA-Z0-9_@]", "_", text).replace("@", ".")

    if schema.startswith("aws.partner-"):
        path = "schema.aws.partner." + sanitize(schema[len("aws.partner-") :])
    elif schema.startswith("aws."):
        path = "schema." + ".".join(sanitize(part) for part in schema.split("."))
    else:
        path = "schema." + sanitize(schema)
    # An empty part (`a..b`, a trailing `@`) would be an empty folder name: drop it; keep folder names
    # well within the 255 bytes file systems allow.
    return ".".join(part[:MAX_DISTRIBUTION_LENGTH] for part in path.lower().split(".") if part)


def class_name(text: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A CamelCase ASCII identifier for a contract key or title, distinct from every name in `taken`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = "".join(part[:1].upper() + part[1:] for part in _NOT_ALNUM.split(ascii_text) if part)[:80]
    if not base:
        base = "Schema"
    elif base[0].isdigit():
        base = f"Schema{base}"
    if keyword.iskeyword(base) or base in RESERVED_CLASS_NAMES:
        base = f"{base}Model"
    candidate, counter = base, 1
    while candidate in taken:
        counter += 1
        candidate = f"{base}{counter}"
    return candidate


# Names the generated modules import or define themselves: a model class must not shadow them.
RESERVED_CLASS_NAMES = frozenset(
    {
        "Annotated", "Any", "AnyUrl", "AwareDatetime", "BaseModel", "ConfigDict", "Decimal", "Enum",
        "Field", "IntEnum", "Literal", "Marshaller", "NaiveDatetime", "Optional", "RootModel", "StrEnum",
        "UUID", "Union", "ModelT",
        # what the package's __init__ defines
        "SCHEMA", "SCHEMA_VERSION", "FINGERPRINT", "REGISTRY", "SCHEMA_NAME", "CONTRACT_TYPE", "DETAIL_TYPE",
        "SOURCE",
    }
)  # fmt: skip
