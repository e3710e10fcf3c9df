"""Contract formats: parse, validate, canonicalise, find the event root, validate events.

Pure Python: nothing here fetches, reads files or touches a database.
"""

from registry.domain.formats.canonical import canonical_json, fingerprint_of
from registry.domain.formats.contract import Contract, ContractType, load_contract, parse_contract
from registry.domain.formats.document import MAX_DEPTH
from registry.domain.formats.events import EVENT_MAX_DEPTH, EventError

__all__ = [
    "EVENT_MAX_DEPTH",
    "MAX_DEPTH",
    "Contract",
    "ContractType",
    "EventError",
    "canonical_json",
    "fingerprint_of",
    "load_contract",
    "parse_contract",
]
