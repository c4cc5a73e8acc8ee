"""The guard that keeps extensions leaking references to None from deallocating it."""

from __future__ import annotations

import sys

from annotator.core.none_guard import NONE_RESERVE, protect_none


def test_none_has_a_reserve_that_cannot_run_out() -> None:
    protect_none()
    if sys.version_info < (3, 12):
        assert sys.getrefcount(None) > NONE_RESERVE // 2
    assert protect_none() is False  # once is enough
