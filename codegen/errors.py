"""The one failure code generation reports: its message says what went wrong, for the contract's author."""

from __future__ import annotations


class GenerationFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
