"""Fixtures of the render tests: an off-screen render window."""

from __future__ import annotations

import pytest

from annotator.render.offscreen import create_render_window


@pytest.fixture
def window():
    """A 400x300 off-screen render window (EGL), released after the test."""
    render_window = create_render_window(offscreen=True)
    render_window.SetSize(400, 300)
    yield render_window
    render_window.Finalize()
