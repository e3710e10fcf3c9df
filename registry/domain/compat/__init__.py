"""The compatibility checker: pure, sound, and explained (see `check`)."""

from registry.domain.compat.checker import check
from registry.domain.compat.report import Incompatibility
from registry.domain.model import CompatibilityPolicy

__all__ = ["CompatibilityPolicy", "Incompatibility", "check"]
