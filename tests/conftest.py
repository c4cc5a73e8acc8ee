"""Shared fixtures: headless Qt, the real sample data folder, small generated projects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real sample datasets next to the repository (skips the test when absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def pg_dsn() -> str:
    """The throwaway PostgreSQL database `scripts/test.sh` starts (``ANNOTATOR_TEST_PG``).

    Without it the test skips locally and fails under CI, where the postgres tests must run for real.
    """
    dsn = os.environ.get("ANNOTATOR_TEST_PG")
    if not dsn:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "ANNOTATOR_TEST_PG is not set: run the tests through scripts/test.sh, which starts PostgreSQL"
            )
        pytest.skip("no PostgreSQL for the tests (scripts/test.sh starts one and sets ANNOTATOR_TEST_PG)")
    return dsn


@pytest.fixture
def pg_url(pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of a fresh, not yet created project in the test database (offline journals under tmp_path)."""
    import uuid

    monkeypatch.setenv("ANNOTATOR_JOURNAL_DIR", str(tmp_path / "journal"))
    return f"{pg_dsn}/t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """One local Ray runtime (2 CPUs, no dashboard) for the session's `ray` tests; its address, for CLI runs
    that join it. Skips when Ray is missing, except under CI=true, where that is a failure."""
    try:
        import ray
        import ray.data
    except ImportError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"ray tests run for real in CI, but Ray is missing: {error}")
        pytest.skip(f"Ray is not installed ({error})")
    ray.init(
        num_cpus=2,
        object_store_memory=256 * 2**20,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
