"""Event Contract Registry: versioned event contracts, compatibility checks and typed bindings."""

__version__ = "0.1.0"
