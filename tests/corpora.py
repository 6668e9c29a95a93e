"""Where the shared corpora live: ``../shared/corpora`` beside the repository (as in CI).

A test that needs a corpus calls :func:`corpus` at collection time: locally a missing corpus
skips the test with the path in the reason; under CI (``CI`` set) it fails, so a checkout
without ``shared/`` can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def corpus(relative: str) -> Path:
    """Return the path of a shared corpus file or folder, or skip (locally) / fail (CI)."""
    path = SHARED / relative
    if not path.exists():
        message = f"corpus {path} not found (expected ../shared/corpora beside the repository)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message, allow_module_level=True)
    return path
