"""What the settings are and what they are set to: the generated table of docs/configuration.md and the
effective configuration `registry config` prints, with every secret masked."""

from __future__ import annotations

import shlex
import types
import typing
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from annotated_types import Ge, Gt, Le, Lt
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from registry.settings import OTHER_VARIABLES, SETTINGS_DOC, Settings

REGENERATE = f"registry config --markdown > {SETTINGS_DOC}"
MASK = "********"

_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", SecretStr: "secret"}
_BOUNDS = ((Gt, "gt", ">"), (Ge, "ge", "≥"), (Lt, "lt", "<"), (Le, "le", "≤"))


def markdown() -> str:
    """docs/configuration.md: every setting with its variable, type, default and description."""
    lines = [
        "# Configuration",
        "",
        f"<!-- Generated from registry/settings.py by `{REGENERATE}`: do not edit by hand;",
        "     tests/unit/test_configuration.py fails when this file is out of date. -->",
        "",
        "Each setting is an environment variable. `registry config` prints the values in effect (secrets",
        "masked); a `REGISTRY_*` variable that is no setting is reported at start with the closest one.",
        "",
        "| variable | type | default | description |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        cells = [f"`{Settings.variable(name)}`", _type_of(field), _default_of(field), field.description or ""]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += [
        "",
        "Read elsewhere, not by a replica:",
        "",
        *(f"- `{variable}`: {meaning}" for variable, meaning in OTHER_VARIABLES.items()),
        "",
    ]
    return "\n".join(lines)


def effective(settings: Settings) -> str:
    """One `VARIABLE=value` line per setting (shell syntax), secrets masked, defaults marked."""
    lines = []
    for name in Settings.model_fields:
        value = shlex.quote(shown(getattr(settings, name)))
        origin = "" if name in settings.model_fields_set else "  # default"
        lines.append(f"{Settings.variable(name)}={value}{origin}")
    return "\n".join(lines) + "\n"


def shown(value: Any) -> str:
    """A setting's value as it may be printed or logged: secrets masked, a URL's password masked."""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return _without_password(value)
    return str(value)


def _without_password(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.password:
        return text
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{MASK}@{host}"))


def _type_of(field: FieldInfo) -> str:
    annotation: Any = field.annotation
    optional = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        optional, annotation = len(members) < len(typing.get_args(annotation)), members[0]
    if typing.get_origin(annotation) is typing.Literal:
        name = "one of " + ", ".join(f"`{choice}`" for choice in typing.get_args(annotation))
    else:
        name = _TYPE_NAMES.get(annotation) or str(getattr(annotation, "__name__", annotation))
    bounds = [
        f"{symbol} {getattr(item, attribute)}"
        for item in field.metadata
        for kind, attribute, symbol in _BOUNDS
        if isinstance(item, kind)
    ]
    return " ".join([name, *bounds]) + (", optional" if optional else "")


def _default_of(field: FieldInfo) -> str:
    default = field.get_default(call_default_factory=True)
    if default is None:
        return "(none)"
    return f"`{shown(default)}`"
