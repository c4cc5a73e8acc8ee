"""A stand-in distillation function (importable in a spawned child): three steps, then a card; it stops
when asked, before writing anything."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


class _Step:
    def __init__(self, step: int, total: int) -> None:
        self.step, self.total, self.metrics = step, total, {"loss": 1.0 / step}


def quick_distill(
    out: Path, teacher, labelled, settings: dict[str, Any], log, cancelled, on_step
) -> dict | None:
    """Write ``out`` after three steps of ``settings["step_seconds"]`` each (None when cancelled first)."""
    log(f"{len(labelled)} verified frames")
    for step in range(1, 4):
        time.sleep(float(settings.get("step_seconds", 0.0)))
        if cancelled():
            return None
        on_step(_Step(step, 3))
    out.write_bytes(b"student weights")
    return {
        "model": "a quick student",
        "weights": out.name,
        "model_version": "quick-1",
        "verified": sum(not frame.partial for frame in labelled),
        "unverified": sum(frame.partial for frame in labelled),
        "epochs": settings.get("epochs"),
    }
