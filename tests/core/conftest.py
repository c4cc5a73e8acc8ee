"""Fixtures of the core tests: the real-data readers of the fitting benchmark."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import REPO_ROOT


@pytest.fixture
def fit_real(shared_data):
    """The real-data benchmark module (its readers for the shared Argoverse, KITTI and SUSTech frames)."""
    spec = importlib.util.spec_from_file_location("fit_real", REPO_ROOT / "benchmarks" / "fit_real.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fit_real"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    if not module.ARGOVERSE.is_dir():
        pytest.skip("Argoverse sample log not found")
    return module
