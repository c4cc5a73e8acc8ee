"""Worker threads give the cores to the window first; numpy's BLAS computes on the calling thread only."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from annotator.jobs.priority import keep_blas_on_the_calling_thread


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.fixture
def blas_with_two_threads():
    """BLAS allowed two threads for the test (as numpy starts on two cores), its setting put back after."""
    if not blas_threads():
        pytest.skip("numpy's BLAS is not one threadpoolctl knows")
    before = threadpool_limits(limits=2, user_api="blas")
    yield
    before.restore_original_limits()


def test_blas_computes_on_the_calling_thread_only_once_asked(blas_with_two_threads) -> None:
    assert max(blas_threads()) == 2
    keep_blas_on_the_calling_thread()
    assert blas_threads() == [1] * len(blas_threads())
    points = np.random.default_rng(0).random((1000, 3))
    assert np.allclose(points @ np.eye(3), points)  # BLAS still answers, on this thread
