"""Batch work on a Ray cluster: frames go through Ray Data ``map_batches`` with one model actor per slot.

The driver (the CLI process) keeps the project: it sends each actor the plugin, the weights path and the
frames' records, the actors load the model once and compute one frame per batch (pre-annotation:
`predict_frame`; scoring: `score_frame`), and the driver stores every result through the workspace as
its own undoable step, in frame order, as the in-process run does (one writer). A frame that fails is
reported and skipped; a cancel request or Ctrl+C stops the dataset and shuts a runtime this process
started down. Ray is imported only here, only when used (``pip install "ray[data]"``).

Without an address a local runtime starts with capped resources (CPUs, object store, no dashboard);
with one (``HOST:PORT`` or ``auto``) the driver joins that cluster. Actors take one GPU each when the
cluster has GPUs and the plugin can use them (torch, paddle), else one CPU each.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.ml.frame_runs import FrameRunSummary
from annotator.ml.protocol import CancelToken
from annotator.ml.registry import PluginEntry, PluginRegistry

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Object store of a local runtime (bytes): frames' results are small, the points are read by the actors.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20
#: Frameworks whose actors take a GPU when the cluster has one.
GPU_FRAMEWORKS = ("torch", "paddle")


class RayUnavailable(AnnotatorError):
    """Ray is not installed, or the cluster cannot be reached."""


def import_ray() -> Any:
    """The ``ray`` module with Ray Data, or a one-line error saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise RayUnavailable(f"--ray needs Ray with Ray Data (pip install 'ray[data]'): {error}") from None
    return ray


def local_cpus(limit: int | None = None) -> int:
    """CPUs for a local runtime: every core this process may use, or ``limit`` of them."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(limit, available) if limit else available)


@dataclass(frozen=True)
class RaySettings:
    """Where to run: a cluster ``address`` (None: a local runtime) and at most ``workers`` model actors."""

    address: str | None = None
    workers: int | None = None


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """A one-line error at once when ``HOST:PORT`` takes no connection (Ray itself retries for minutes);
    other forms (``auto``, ``ray://...``) are left to Ray."""
    host, separator, port = address.rpartition(":")
    if not separator or not port.isdigit() or "://" in address:
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as error:
        raise RayUnavailable(
            f"cannot reach the Ray cluster at {address}: {error.strerror or error}"
        ) from None


@contextmanager
def ray_runtime(address: str | None = None, cpus: int | None = None) -> Iterator[Any]:
    """Ray connected: to ``address`` (a cluster), else a local runtime with ``cpus`` CPUs (default: every
    core), a capped object store and no dashboard. Shuts down only what it started; a runtime
    already initialised in this process (tests, scripts) is used as it is."""
    if address:
        check_reachable(address)
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=local_cpus(cpus), object_store_memory=LOCAL_OBJECT_STORE_BYTES, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
        raise RayUnavailable(f"cannot start or reach {where}: {error}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def actor_slots(
    resources: dict[str, float], framework: str, workers: int | None = None
) -> tuple[int, dict[str, float]]:
    """How many model actors to run and what each takes: one per GPU for a GPU framework on a cluster
    with GPUs, else one per CPU; ``workers`` caps the count."""
    gpus = int(resources.get("GPU", 0))
    if gpus >= 1 and framework in GPU_FRAMEWORKS:
        count, each = gpus, {"num_gpus": 1.0}
    else:
        count, each = max(1, int(resources.get("CPU", 1))), {"num_cpus": 1.0}
    return (min(count, workers) if workers else count), each


@dataclass(frozen=True)
class FrameJob:
    """What every actor needs: the plugin, its weights, the frames' records and what to compute."""

    entry: PluginEntry
    weights: str | None
    root: str | None
    frames: dict[int, Frame]
    params: dict[str, Any]
    operation: str = "predict"  # or "score"
    mode: str = ""
    passes: int = 0
    iou_threshold: float = 0.0
    #: Scoring: the verified frames' stored embeddings by frame id (`annotator.ml.uncertainty.verified_ood`).
    verified: dict[int, tuple[str, np.ndarray]] = field(default_factory=dict)


class FrameActor:
    """A Ray Data actor: loads the plugin once, then computes one frame per row of each batch."""

    def __init__(self, job: FrameJob) -> None:
        self.job = job
        self.registry = PluginRegistry([job.entry])
        self.manifest = self.registry.manifest(job.entry.id)
        self.model = self.registry.load(job.entry.id)
        if job.weights is not None and self.manifest.supports("load"):
            self.model.load(job.weights)
        self.project = Project(job.root)
        self.project.load_records(("frame", frame_id, frame) for frame_id, frame in job.frames.items())

    def compute(self, frame: Frame) -> Any:
        """The frame's result: detections (``predict``) or aggregated boxes (``score``)."""
        from annotator.ml.preannotate import predict_frame
        from annotator.ml.uncertainty.scoring import score_frame
        from annotator.ml.uncertainty.verified_ood import known_embeddings

        job = self.job
        if job.operation == "predict":
            return predict_frame(self.registry, job.entry.id, self.project, frame, job.params)
        return score_frame(
            self.project,
            self.model,
            self.manifest,
            frame,
            job.params,
            job.mode,
            job.passes,
            job.iou_threshold,
            known_embeddings(job.verified, frame.id),
        )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        results, errors = [], []
        for frame_id in batch["frame_id"]:
            frame = self.job.frames[int(frame_id)]
            try:
                results.append(pickle.dumps((str(getattr(self.model, "version", "")), self.compute(frame))))
                errors.append("")
            except Exception as error:  # reported by the driver; the other frames go on
                results.append(b"")
                errors.append(str(error) or type(error).__name__)
        return {
            "frame_id": batch["frame_id"],
            "result": np.array(results, dtype=object),
            "error": np.array(errors, dtype=object),
        }


def run_frames_on_ray(
    settings: RaySettings,
    job: FrameJob,
    frames: Sequence[Frame],
    store: Callable[[Frame, str, Any], None],
    summary: FrameRunSummary,
    activity: str,
    cancel: CancelToken | None = None,
    on_frame: Callable[[int, Frame], None] | None = None,
) -> None:
    """Compute ``frames`` on model actors (joining ``settings.address``, else a local runtime) and
    ``store`` each result here (frame, model version, result) in frame order; failures are recorded in
    ``summary`` and the rest go on."""
    by_id = {frame.id: frame for frame in frames}
    with ray_runtime(settings.address, settings.workers) as ray:
        rows = _result_rows(ray, job, frames, settings.workers, activity)
        try:
            for position, row in enumerate(rows, start=1):
                frame = by_id[int(row["frame_id"])]
                if row["error"]:
                    summary.failures.append(f"{frame.name}: {row['error']}")
                    logger.warning("%s of %s failed: %s", activity, frame.name, row["error"])
                else:
                    version, result = pickle.loads(row["result"])
                    try:
                        store(frame, version, result)
                    except AnnotatorError as error:
                        summary.failures.append(f"{frame.name}: not saved: {error}")
                    else:
                        summary.frames_done += 1
                if on_frame is not None:
                    on_frame(position, frame)
                if cancel is not None and cancel.is_set() and position < len(frames):
                    summary.cancelled = True
                    break
        finally:
            rows.close()


def _result_rows(
    ray: Any, job: FrameJob, frames: Sequence[Frame], workers: int | None, activity: str
) -> Generator[dict[str, Any], None, None]:
    """The frames' result rows from the model actors, in frame order, each as soon as it is there."""
    from ray.data import ActorPoolStrategy, DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True
    for name in ("ray.data", "ray"):
        logging.getLogger(name).setLevel(logging.ERROR)
    framework = job.entry.manifest.framework if job.entry.manifest else ""
    count, each = actor_slots(ray.cluster_resources(), framework, workers)
    count = min(count, len(frames)) or 1
    logger.info("%s on Ray: %d frames, %d actors (%s each)", activity, len(frames), count, each)
    dataset = ray.data.from_items(
        [{"frame_id": frame.id} for frame in frames], override_num_blocks=len(frames)
    )
    with warnings.catch_warnings():  # Ray 2.60 warns that max_restarts will need another spelling
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        results = dataset.map_batches(
            FrameActor,
            fn_constructor_kwargs={"job": job},
            batch_size=1,
            compute=ActorPoolStrategy(size=count),
            max_restarts=0,  # a plugin that kills its process fails the run with a message, not in a loop
            **each,
        )
    # whole blocks, none prefetched: a frame's result is stored as soon as it is there, not when the
    # next one is (iter_rows holds one row back)
    batches = results.iter_batches(batch_size=None, prefetch_batches=0, batch_format="numpy")
    return rows_or_error(ray, _batch_rows(batches))


def _batch_rows(batches: Iterator[dict[str, np.ndarray]]) -> Iterator[dict[str, Any]]:
    """Rows of the result batches, one at a time."""
    for batch in batches:
        for position in range(len(batch["frame_id"])):
            yield {key: values[position] for key, values in batch.items()}


def rows_or_error(ray: Any, rows: Iterator[T]) -> Generator[T, None, None]:
    """The rows of a Ray run; a failure of the cluster itself (a worker process dying, the cluster going
    away) as one `AnnotatorError` line (what was stored or written until then stays)."""
    try:
        yield from rows
    except ray.exceptions.RayError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise AnnotatorError(f"the Ray run stopped: {first_line}") from None


def frame_job(
    registry: Any, plugin_id: str, project: Project, weights: Any, params: dict[str, Any], **options: Any
) -> FrameJob:
    """The job for ``frames`` of ``project``: the plugin's entry, its verified weights, the frame records."""
    return FrameJob(
        registry.get(plugin_id),
        None if weights is None else str(weights),
        None if project.root is None else str(project.root.absolute()),
        dict(project.frames),
        params,
        **options,
    )
