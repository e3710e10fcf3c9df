"""The compatibility checker: pure, sound, and explained (see `check`; rule ids and meanings in `RULES`)."""

from registry.domain.compat.checker import check
from registry.domain.compat.report import RULES, Incompatibility
from registry.domain.model import CompatibilityPolicy

__all__ = ["RULES", "CompatibilityPolicy", "Incompatibility", "check"]
