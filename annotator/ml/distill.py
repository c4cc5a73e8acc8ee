"""Distilling a compact student from a plugin's ensemble, the host's side (``annotator distill``, Models >
Distil student).

A plugin offers it by naming a function in its manifest, ``"distill": "module:function"``, called as
``function(out, teacher, labelled_frames, settings, log, cancelled, on_step) -> card | None`` (None:
stopped; a second call with the same ``out`` and settings resumes). ``labelled_frames`` are the project's
verified frames with their labels and, when asked (``--unverified``), its other frames as ``partial`` frames
without boxes: there the plugin learns only the teacher's soft targets, never "nothing here" from the
missing labels. The host picks the file
(``<project>/models/<plugin>/student-N.pt``, N one more than the students recorded, so a stopped run's
next call finds its partial file), hands over the project's verified frames, records the hash beside the
weights and the student as a model version of its own (kind ``student``, with its card, never promoted:
it is chosen in Models > Model version, `annotator.ml.variants`).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotator.core.model.project import Project
from annotator.core.model.records import FrameStatus
from annotator.core.model_versions import ModelVersion, RecordModelVersion, current_version, next_version_id
from annotator.ml.manifest import PluginManifest
from annotator.ml.preannotate import frame_input
from annotator.ml.protocol import CancelToken, Detections, LabelledFrame
from annotator.ml.registry import PluginError
from annotator.ml.training import labelled_frames
from annotator.ml.variants import STUDENT_KIND, student_versions
from annotator.ml.weights import models_folder, record_digest, recorded_digest

logger = logging.getLogger(__name__)

MANIFEST_KEY = "distill"
#: ``(out, teacher, labelled, settings, log, cancelled, on_step) -> card | None``
Distiller = Callable[..., dict[str, Any] | None]


@dataclass
class DistillResult:
    """What a run produced: the student's weights and card (None when stopped), the verified frames used."""

    weights: Path | None
    card: dict[str, Any] | None
    verified: int
    seconds: float


def distiller_name(manifest: PluginManifest) -> str:
    """The ``module:function`` a plugin names for distillation; `PluginError` when it offers none."""
    name = manifest.extra.get(MANIFEST_KEY)
    if not isinstance(name, str) or ":" not in name:
        raise PluginError(f"plugin {manifest.id} offers no distillation (no 'distill' in its manifest)")
    return name


def resolve(name: str) -> Distiller:
    """The function ``module:function`` (imported now)."""
    module, _, attribute = name.partition(":")
    try:
        function = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as error:
        raise PluginError(f"distillation function {name} not found: {error}") from error
    return function


def verified_frames(project: Project, manifest: PluginManifest) -> list[LabelledFrame]:
    """The project's verified frames with their human-confirmed labels (clouds read now)."""
    frames = [f for f in project.frames_in_order() if f.status == FrameStatus.VERIFIED]
    return labelled_frames(project, frames, manifest.classes, manifest.task)


def unverified_frames(project: Project, manifest: PluginManifest) -> list[LabelledFrame]:
    """The project's frames not marked verified, as ``partial`` frames without boxes (soft targets only:
    nothing in them is a label; clouds read now, frames without one left out)."""
    empty = Detections(np.zeros((0, 7)), np.zeros(0, np.int64), np.zeros(0, np.float32),
                       tuple(manifest.classes), "unlabelled")  # fmt: skip
    frames = [f for f in project.frames_in_order() if f.status != FrameStatus.VERIFIED]
    inputs = [frame_input(project, f, manifest.task) for f in frames]
    return [LabelledFrame(i, empty, partial=True) for i in inputs if i.points is not None]


def student_file(project: Project, plugin_id: str) -> Path:
    """Where the next student of the plugin goes (``student-N.pt``; a stopped run's file is reused)."""
    folder = models_folder(project, plugin_id)
    if folder is None:
        raise PluginError("a project without a directory cannot keep a student's weights")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"student-{len(student_versions(project, plugin_id)) + 1}.pt"


def run_distillation(
    project: Project,
    manifest: PluginManifest,
    settings: dict[str, Any],
    labelled: Sequence[LabelledFrame],
    cancel: CancelToken,
    log: Callable[[str], None] = logger.info,
    on_step: Callable[[Any], None] | None = None,
    teacher: Path | None = None,
    function: Distiller | None = None,
) -> DistillResult:
    """Distil a student in this process (the CLI; the window runs `distill_in_child`)."""
    start = time.perf_counter()
    out = student_file(project, manifest.id)
    run = function or resolve(distiller_name(manifest))
    card = run(out, teacher, list(labelled), dict(settings), log, cancel.is_set, on_step)
    return finished(out, card, sum(not f.partial for f in labelled), time.perf_counter() - start)


def finished(out: Path, card: dict[str, Any] | None, verified: int, seconds: float) -> DistillResult:
    """The result of a run that wrote ``card`` (None: stopped), its hash recorded beside the weights."""
    if card is None:
        return DistillResult(None, None, verified, seconds)
    record_digest(out)
    return DistillResult(out, card, verified, seconds)


def student_version(project: Project, plugin_id: str, result: DistillResult) -> ModelVersion:
    """The model-version record of a finished run (kind ``student``, its card in ``metrics``)."""
    if result.weights is None or result.card is None:
        raise PluginError("the distillation was stopped: no student to record")
    current = current_version(project, plugin_id)
    card = result.card
    return ModelVersion(
        next_version_id(project, plugin_id), plugin_id, None if current is None else current.id, time.time(),
        str(card.get("model_version", "")), project.store_path(result.weights), (),
        {"kind": STUDENT_KIND, "teacher": card.get("teacher", {}), "options": card.get("options", {}),
         "verified_frames": result.verified},
        {"card": card, "seconds": round(result.seconds, 1)},
        {"kind": STUDENT_KIND, "note": "not gated: chosen in Models > Model version"},
        recorded_digest(result.weights) or str(card.get("sha256", "")),
    )  # fmt: skip


def record_student(project: Project, plugin_id: str, result: DistillResult) -> RecordModelVersion:
    """The undoable step that records a finished run's student (never promoted)."""
    command = RecordModelVersion(student_version(project, plugin_id, result), promote=False)
    command.label = f"Distil {plugin_id} student {command.version.id}"
    return command
