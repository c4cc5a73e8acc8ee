"""The window's start-up imports no model framework: torch, paddle and open3d cost memory (and seconds)
only once a plugin is used."""

from __future__ import annotations

import subprocess
import sys

#: Heavy packages the window must not import before they are needed.
HEAVY = ("torch", "paddle", "open3d", "scipy", "sklearn")


def test_starting_the_window_imports_no_model_framework() -> None:
    code = (
        "import sys, annotator.qt.app.launch, annotator.qt.app.main_window, annotator.qt.frame_loader; "
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == []
