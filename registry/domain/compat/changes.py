"""A change the semantic diff found between two contracts (found by `diff`, judged by `attribution`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()
"""`before` of an added value, `after` of a removed one (None is a JSON value)."""


@dataclass(frozen=True)
class Change:
    """One difference. `old_path`/`new_path`: where it is in each contract (None on the side that lacks it);
    `old_node`/`new_node`: the schema holding it, and `keyword` the keyword of that schema it is in ("" when
    the whole schema changed). `inert` changes (annotations, reorderings) never change what is valid."""

    op: str
    summary: str
    keyword: str
    old_path: str | None
    new_path: str | None
    old_node: str | None
    new_node: str | None
    before: Any = ABSENT
    after: Any = ABSENT
    inert: bool = False
    narrowing: str | None = None  # "tightened": the new version accepts less here; "loosened": more

    @property
    def path(self) -> str:
        """Where the change is in the new contract; for a removal, where it was in the old one."""
        found = self.new_path if self.new_path is not None else self.old_path
        assert found is not None, "a change is on one side at least"
        return found
