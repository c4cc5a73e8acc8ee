"""Pre-annotation: run a plugin on frames and turn its detections into reviewable proposals.

`predict_frame` is pure computation (safe in a worker thread); `ReplaceProposals` is the command that
puts a frame's proposals into the project (on the thread that owns the undo stack). Re-running a plugin
replaces its earlier unreviewed proposals on that frame instead of piling up duplicates; reviewed
annotations are never touched.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import RemoveAnnotations, ensure_track
from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.model.schema import LabelClass
from annotator.io.frame_data import load_image, load_points
from annotator.io.workspace import Workspace
from annotator.ml.frame_runs import FrameRunSummary, run_frames
from annotator.ml.plugin_process import PluginProcess, checked_detections
from annotator.ml.proposal_overlap import filter_proposals
from annotator.ml.protocol import CancelToken, Detections, FrameInput
from annotator.ml.ray_batch import RaySettings, frame_job, run_frames_on_ray
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.variants import with_variant_precision
from annotator.ml.weights import load_weights, verified_weights

logger = logging.getLogger(__name__)


def frame_input(project: Project, frame: Frame, task: str) -> FrameInput:
    """What a plugin of ``task`` needs of a frame: points for ``detect3d``, images for ``detect2d``."""
    if task == "detect3d":
        return FrameInput(frame.name, load_points(project, frame), cameras=dict(frame.cameras))
    images = {camera: load_image(project, frame, camera) for camera in frame.images}
    return FrameInput(frame.name, None, images, dict(frame.cameras))


def predict_frame(
    registry: PluginRegistry, plugin_id: str, project: Project, frame: Frame, params: dict[str, Any]
) -> list[Detections]:
    """Run the plugin on one frame; always a list (2D plugins give one `Detections` per camera), checked
    (`checked_detections`: no None, NaN or misshapen boxes reach the project)."""
    manifest = registry.manifest(plugin_id)
    model = registry.load(plugin_id)
    inputs = frame_input(project, frame, manifest.task)
    try:
        result = model.predict(inputs, params)
    except Exception as error:  # a failing plugin must not take the app down
        raise PluginError(
            f"plugin {plugin_id} failed on frame {frame.name}: {type(error).__name__}: {error}"
        ) from error
    return checked_detections(result, manifest)


def proposals_from_detections(
    detections: Iterable[Detections], frame_id: int, plugin_id: str, threshold: float = 0.0
) -> list[Annotation]:
    """Unreviewed model annotations (id 0) for the detections scoring at least ``threshold``."""
    proposals = []
    for result in detections:
        for box, label, score in zip(result.boxes, result.labels, result.scores, strict=True):
            if score < threshold:
                continue
            provenance = Provenance(Source.MODEL, plugin_id, result.model_version, float(score))
            class_name = result.class_names[int(label)]
            if result.is_3d:
                shape: dict[str, Any] = {"cuboid": Cuboid.from_array(box)}
            else:
                shape = {"box2d": Box2D(*box), "camera": result.camera}
            proposals.append(
                Annotation(0, frame_id, class_name, provenance=provenance, review=Review.UNREVIEWED, **shape)
            )
    return proposals


class ReplaceProposals(Command):
    """Put a plugin's proposals on a frame, replacing its earlier unreviewed ones.

    A proposal over a box the frame keeps (human, imported, another model's) is not added, nor one over a
    better-scoring proposal of the same object (`annotator.ml.proposal_overlap`); the proposals added are
    in ``added`` afterwards, the counts left out in ``covered`` and ``suppressed``.
    """

    def __init__(
        self, frame_id: int, plugin_id: str, proposals: Sequence[Annotation], frame_name: str = ""
    ) -> None:
        self.frame_id = frame_id
        self.plugin_id = plugin_id
        self.proposals = list(proposals)
        self.ids: list[int] = []
        self.added: list[Annotation] = []
        self.covered = self.suppressed = 0
        self.label = f"Pre-annotate {frame_name or frame_id} ({plugin_id})"

    def do(self, project: Project) -> None:
        replaced = [
            old.id
            for old in project.annotations_of(self.frame_id)
            if old.is_proposal and old.provenance.model_id == self.plugin_id
        ]
        RemoveAnnotations(replaced).do(project)  # with their derived 2D boxes and emptied tracks
        schema = project.schema
        for name in sorted({p.class_name for p in self.proposals} - set(schema.names)):
            schema = schema.with_class(LabelClass(name, schema.next_color()))
        if schema is not project.schema:
            project.put("schema", "schema", schema)
        existing = project.annotations_of(self.frame_id)
        self.added, self.covered, self.suppressed = filter_proposals(self.proposals, existing)
        self.ids = []
        for proposal in self.added:
            annotation_id = project.new_id("annotation")
            annotation = ensure_track(project, dataclasses.replace(proposal, id=annotation_id))
            project.put("annotation", annotation_id, annotation)
            self.ids.append(annotation_id)


@dataclass
class PreannotationSummary(FrameRunSummary):
    """What a pre-annotation run did."""

    proposals: int = 0
    by_class: dict[str, int] = field(default_factory=dict)


def preannotate(
    workspace: Workspace,
    registry: PluginRegistry,
    plugin_id: str,
    frames: Sequence[Frame],
    threshold: float = 0.0,
    params: dict[str, Any] | None = None,
    cancel: CancelToken | None = None,
    on_frame: Callable[[int, Frame], None] | None = None,
    weights: Path | None = None,
    frame_timeout: float | None = None,
    ray: RaySettings | None = None,
) -> PreannotationSummary:
    """Pre-annotate frames one by one, one undoable saved step per frame (for the CLI and scripts).

    The plugin uses ``weights`` when given, else the project's latest trained weights for it, if any.
    A frame whose files or plugin run fail is recorded in the summary and skipped; the rest go on.
    With ``frame_timeout`` the plugin runs in a child process (`PluginProcess`): a frame that takes
    longer, crashes or exits fails alone. With ``ray`` the frames are computed by model actors on a Ray
    cluster (`annotator.ml.ray_batch`) and stored here all the same.
    """
    manifest = registry.manifest(plugin_id)
    values = with_variant_precision(manifest.parameter_values(params), workspace.project, manifest, params)
    summary = PreannotationSummary()

    def store(frame: Frame, detections: list[Detections]) -> None:
        proposals = proposals_from_detections(detections, frame.id, plugin_id, threshold)
        command = workspace.push(ReplaceProposals(frame.id, plugin_id, proposals, frame.name))
        summary.proposals += len(command.added)
        for proposal in command.added:
            summary.by_class[proposal.class_name] = summary.by_class.get(proposal.class_name, 0) + 1

    if ray is not None:
        job = frame_job(
            registry,
            plugin_id,
            workspace.project,
            verified_weights(manifest, workspace.project, weights),
            values,
        )
        run_frames_on_ray(
            ray, job, frames, lambda f, _v, d: store(f, d), summary, "pre-annotation", cancel, on_frame
        )
        return summary
    if frame_timeout is not None:
        child = PluginProcess(
            registry, plugin_id, verified_weights(manifest, workspace.project, weights), frame_timeout
        )

        def compute(frame: Frame) -> list[Detections]:
            return child.predict(frame_input(workspace.project, frame, manifest.task), values)
    else:
        child = None
        load_weights(registry.load(plugin_id), manifest, workspace.project, weights)

        def compute(frame: Frame) -> list[Detections]:
            return predict_frame(registry, plugin_id, workspace.project, frame, values)

    try:
        run_frames(frames, compute, store, summary, "pre-annotation", cancel, on_frame)
    finally:
        if child is not None:
            child.close()
    return summary
