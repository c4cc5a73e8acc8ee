"""Fine-tuning around the job, in the process that owns the project: when to run, what to give the job,
and turning its result into a version record (gated, promoted through a command), rollback, staleness.

`plan_finetune` only reads the project (cheap: no point clouds are loaded; the child loads them);
`record_result` pushes one command. The "current version" of a plugin is what pre-annotation and scoring
load (`annotator.ml.weights.latest_weights` follows it).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, FrameStatus
from annotator.core.model_versions import (
    ModelVersion,
    RecordModelVersion,
    SetCurrentVersion,
    current_version,
    model_versions,
    next_version_id,
)
from annotator.ml.finetune.data import PSEUDO, REPLAY, TRAIN, collect_frames, verified_labels
from annotator.ml.finetune.gate import GateDecision, forgetting_gate
from annotator.ml.finetune.spec import FineTuneOptions, FineTuneResult, FineTuneSpec
from annotator.ml.manifest import PluginManifest
from annotator.ml.registry import PluginError
from annotator.ml.uncertainty.scoring import is_stale
from annotator.ml.weights import MODELS_FOLDER, recorded_digest, verified_weights

logger = logging.getLogger(__name__)

#: The project setting: fine-tune after this many newly verified frames (0: only on demand).
EVERY_SETTING = "finetune_every"
DEFAULT_EVERY = 10
WEIGHTS_SUFFIX = ".weights"

Push = Callable[[Command], Any]


def seen_labels(project: Project, plugin: str) -> dict[int, str]:
    """Frame id -> label digest of the frames the current version learned from or was measured on."""
    current = current_version(project, plugin)
    if current is None:
        return {}
    return {e.frame_id: e.digest for e in current.data if e.role != PSEUDO}


def trained_frames(project: Project, plugin: str) -> frozenset[int]:
    """Ids of the frames any recorded version of ``plugin`` trained on (new or replayed)."""
    return frozenset(
        e.frame_id for v in model_versions(project, plugin) for e in v.data if e.role in (TRAIN, REPLAY)
    )


def newly_verified(project: Project, manifest: PluginManifest) -> list[Frame]:
    """Verified frames the current version has not seen with their present labels."""
    frames = collect_frames(project, manifest.classes, manifest.task, seen_labels(project, manifest.id), 0.0)
    return [f.frame for f in frames if f.role == TRAIN]


def finetune_due(project: Project, manifest: PluginManifest) -> bool:
    """True when the project's ``finetune_every`` setting (newly verified frames) has been reached."""
    every = int(project.settings.get(EVERY_SETTING, DEFAULT_EVERY) or 0)
    return every > 0 and len(newly_verified(project, manifest)) >= every


def plan_finetune(
    project: Project,
    manifest: PluginManifest,
    options: FineTuneOptions,
    *,
    models_dir: Path | None = None,
    initial_weights: Path | None = None,
    plugin_folders: list[Path] | None = None,
    entry_points: bool = True,
) -> FineTuneSpec:
    """The job for the project's present state: verified frames by role, unverified ones for pseudo-labels,
    the current version's weights (else ``initial_weights``, else the plugin's latest in the project, else the
    weights the plugin ships, hash-checked) to start from."""
    if not manifest.supports("fit"):
        raise PluginError(f"plugin {manifest.id} cannot be trained (no 'fit' capability)")
    seen = seen_labels(project, manifest.id)
    frames = collect_frames(
        project, manifest.classes, manifest.task, seen, options.held_apart, options.held_apart_from,
        trained_frames(project, manifest.id),
    )  # fmt: skip
    if not any(f.role in (TRAIN, REPLAY) for f in frames):
        raise PluginError(
            f"{project.root}: no verified frame to train {manifest.id} on (mark frames verified)"
        )
    current = current_version(project, manifest.id)
    parent_weights = (
        project.resolve_path(current.weights)
        if current is not None
        else verified_weights(manifest, project, initial_weights, variant=False)
    )
    version_id = next_version_id(project, manifest.id)
    unverified = [
        dataclasses.replace(verified_labels(project, f, manifest.classes, manifest.task), role=PSEUDO)
        for f in project.frames_in_order()
        if f.status != FrameStatus.VERIFIED
    ]
    return FineTuneSpec(
        manifest.id, version_id, None if current is None else current.id, manifest.task, tuple(manifest.classes),
        None if project.root is None else str(project.root), frames, unverified,
        None if parent_weights is None else str(parent_weights),
        str(_output_path(project, manifest.id, version_id, models_dir)), options,
        None if plugin_folders is None else [str(p) for p in plugin_folders], entry_points,
    )  # fmt: skip


def _output_path(project: Project, plugin: str, version_id: str, models_dir: Path | None) -> Path:
    """A new weights file name under ``<models>/<plugin>/``."""
    base = models_dir if models_dir is not None else (project.root / MODELS_FOLDER if project.root else None)
    if base is None:
        raise PluginError("a project without a directory needs a models folder for fine-tuned weights")
    folder = base / plugin
    folder.mkdir(parents=True, exist_ok=True)
    while True:  # a random part keeps jobs planned at the same time apart; files are never overwritten
        path = folder / f"{version_id}-{secrets.token_hex(4)}{WEIGHTS_SUFFIX}"
        if not path.exists():
            return path


def record_result(
    push: Push, project: Project, spec: FineTuneSpec, result: FineTuneResult
) -> tuple[ModelVersion, GateDecision]:
    """Record the job's candidate as a new version (one undoable step), promoted if it passes the gate."""
    if result.cancelled or result.weights is None:
        raise PluginError(f"fine-tuning {spec.plugin} was cancelled or saved no weights: nothing to record")
    decision = forgetting_gate(
        result.scores.get("candidate", {}), result.scores.get("parent", {}), spec.options.tolerance
    )
    current = current_version(project, spec.plugin)
    if (None if current is None else current.id) != spec.parent:
        decision.passed = False
        decision.reasons.append("the current version changed while training: kept as a candidate")
    taken = {v.id for v in model_versions(project, spec.plugin)}
    version_id = spec.version_id if spec.version_id not in taken else next_version_id(project, spec.plugin)
    metrics = {
        "scores": result.scores,
        "loss_first": result.losses[0] if result.losses else None,
        "loss_last": result.losses[-1] if result.losses else None,
        "steps": len(result.losses),
        "seconds": round(result.seconds, 2),
        "selected_frames": result.selected,
        "card": result.card,
    }
    weights = project.store_path(result.weights) if project.root is not None else result.weights
    settings = {**spec.options.to_dict(), "parent_weights": spec.parent_weights}
    version = ModelVersion(
        version_id, spec.plugin, spec.parent, time.time(), result.model_version, weights,
        tuple(result.data), settings, metrics, decision.to_dict(),
        (recorded_digest(Path(result.weights)) or "") if result.weights else "",
    )  # fmt: skip
    push(RecordModelVersion(version, promote=decision.passed))
    logger.info(
        "%s %s: %s (%s)",
        spec.plugin,
        version_id,
        "promoted" if decision.passed else "kept",
        "; ".join(decision.reasons),
    )
    return version, decision


def rollback(push: Push, plugin: str, version_id: str) -> None:
    """Make any recorded version the current one again (one undoable step)."""
    push(SetCurrentVersion(plugin, version_id))


def version_weights(project: Project, version: ModelVersion) -> Path:
    """The weights file of a version; `PluginError` when it is gone."""
    path = project.resolve_path(version.weights)
    if not path.is_file():
        raise PluginError(f"{path}: the weights of {version.plugin} {version.id} are missing")
    return path


def stale_annotations(project: Project, plugin: str) -> list[Annotation]:
    """Unreviewed proposals of ``plugin`` made (or scored) by another model than its current version."""
    current = current_version(project, plugin)
    if current is None:
        return []
    versions = {plugin: current.model_version}
    return [
        a
        for a in project.annotations.values()
        if a.is_proposal
        and a.provenance.model_id == plugin
        and (a.provenance.model_version != current.model_version or is_stale(a, versions))
    ]


def stale_frames(project: Project, plugin: str) -> list[Frame]:
    """The frames holding stale proposals of ``plugin``, in sequence order (to re-run pre-annotation or
    scoring on them)."""
    ids = {a.frame_id for a in stale_annotations(project, plugin)}
    return [f for f in project.frames_in_order() if f.id in ids]
