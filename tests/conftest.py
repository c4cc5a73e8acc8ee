"""Shared fixtures: headless Qt, the real sample data folder, small generated projects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotator.core.none_guard import protect_none

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
protect_none()  # PySide6 6.12 and psygnal leak references to None on CPython 3.11

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real sample datasets next to the repository (skips the test when absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not found at {SHARED_DATA}")
    return SHARED_DATA
