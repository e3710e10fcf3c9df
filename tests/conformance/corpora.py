"""Where the conformance tests find other projects' labelled corpora.

The corpora are not ours to redistribute, so they live outside the repository: in `$REGISTRY_CONFORMANCE_DIR`,
by default `../shared/conformance` beside the repository. A conformance test fails, never skips, when its
corpus is missing: a conformance run that checked nothing must not look green.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def conformance_dir() -> Path:
    return Path(os.environ.get("REGISTRY_CONFORMANCE_DIR", REPO.parent / "shared" / "conformance"))


def corpus(name: str) -> Path:
    """The folder of one corpus, e.g. `json-schema-compat`; the calling test fails when it is missing."""
    folder = conformance_dir() / name
    if not folder.is_dir():
        pytest.fail(
            f"the conformance corpus {name!r} is missing: {folder} is not a directory. Point "
            "REGISTRY_CONFORMANCE_DIR at the folder holding the corpora (default: ../shared/conformance "
            "beside the repository).",
            pytrace=False,
        )
    return folder
