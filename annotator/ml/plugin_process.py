"""Running a plugin in a child process for batch work: a frame that hangs, crashes or exits only fails
that frame.

The child imports the plugin and loads its weights once, then answers one request per frame over a
pipe. The host waits at most ``timeout`` seconds for each answer: a frame that takes longer, a child
that dies (``os._exit``, a segfault) and a plugin that calls ``sys.exit`` are reported as that frame's
failure, and the next frame gets a fresh child. What comes back is validated (`checked_detections`)
before it can reach the project.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from annotator.ml.host import PluginHost
from annotator.ml.manifest import PluginManifest
from annotator.ml.protocol import Detections, FrameInput
from annotator.ml.registry import PluginEntry, PluginError, PluginRegistry

logger = logging.getLogger(__name__)

#: Seconds a frame may take by default in a batch run.
DEFAULT_FRAME_TIMEOUT = 300.0
#: Seconds the child may take to import the plugin and load its weights.
LOAD_TIMEOUT = 600.0


def checked_detections(result: Any, manifest: PluginManifest) -> list[Detections]:
    """A plugin's answer as a list of `Detections`, or `PluginError` naming what is wrong with it
    (nothing returned, not detections, wrong box width for the task, NaN/infinite values, negative sizes)."""
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    width_ok = (7, 9) if manifest.task == "detect3d" else (4,)
    for item in items:
        if item is None:
            raise PluginError(f"plugin {manifest.id} returned nothing (None) instead of detections")
        if not isinstance(item, Detections):
            raise PluginError(f"plugin {manifest.id} returned {type(item).__name__}, not Detections")
        if item.boxes.shape[1] not in width_ok:
            raise PluginError(
                f"plugin {manifest.id} ({manifest.task}) returned boxes of width {item.boxes.shape[1]}"
            )
        if not (np.isfinite(item.boxes).all() and np.isfinite(item.scores).all()):
            raise PluginError(f"plugin {manifest.id} returned NaN or infinite boxes or scores")
        if item.is_3d and len(item) and (item.boxes[:, 3:6] < 0).any():
            raise PluginError(f"plugin {manifest.id} returned cuboids with negative sizes")
    return items


class PluginProcess:
    """One plugin in a child process (started on first use, restarted after a failed frame)."""

    def __init__(
        self,
        registry: PluginRegistry,
        plugin_id: str,
        weights: Path | None = None,
        timeout: float = DEFAULT_FRAME_TIMEOUT,
    ) -> None:
        self.manifest = registry.manifest(plugin_id)
        self.plugin_id = plugin_id
        self.entry = registry.get(plugin_id)
        self.weights = weights
        self.timeout = timeout
        self.version = ""
        self.starts = 0
        self._process: Any = None
        self._conn: Connection | None = None

    # -- requests -----------------------------------------------------------------------------------
    def predict(self, inputs: FrameInput, params: dict[str, Any]) -> list[Detections]:
        """The plugin's detections for one frame (validated)."""
        return checked_detections(self._call("predict", inputs, params), self.manifest)

    def sample(
        self, inputs: FrameInput, params: dict[str, Any], mode: str, passes: int
    ) -> dict[str | None, list[Detections]]:
        """``passes`` samples of one frame in ``mode`` by camera (see `sampling.sample_frame`), validated."""
        groups = self._call("sample", inputs, params, mode, passes)
        return {camera: checked_detections(samples, self.manifest) for camera, samples in groups.items()}

    def extras(
        self,
        inputs: FrameInput,
        params: dict[str, Any],
        boxes: np.ndarray,
        aggregated: Detections | None = None,
        known: Mapping[str, np.ndarray] | None = None,
    ) -> dict[str, Any]:
        """The plugin's measures beyond its samples for a frame's aggregated boxes, and its finishing of them
        (`annotator.ml.uncertainty.scoring.model_extras`; ``known``: the verified frames' embeddings)."""
        return self._call("extras", inputs, params, boxes, aggregated, known)

    def _call(self, operation: str, *args: Any) -> Any:
        conn = self._ensure_started()
        try:
            conn.send((operation, args))
        except OSError:  # the child ended between two frames
            code = self._stop()
            raise PluginError(f"plugin {self.plugin_id} process ended (exit code {code})") from None
        if not conn.poll(self.timeout):
            self._stop()
            raise PluginError(f"plugin {self.plugin_id} took more than {self.timeout:g} s; stopped")
        status, value = self._receive(conn)
        if status != "ok":
            raise PluginError(value)
        self.version, result = value
        return result

    def _receive(self, conn: Connection) -> tuple[str, Any]:
        try:
            return conn.recv()
        except (EOFError, OSError):
            code = self._stop()
            raise PluginError(f"plugin {self.plugin_id} process ended (exit code {code})") from None

    # -- the child ----------------------------------------------------------------------------------
    def _ensure_started(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        weights = None if self.weights is None else str(self.weights)
        process = context.Process(
            target=_serve, args=(child, self.entry, weights), daemon=True,
            name=f"plugin {self.plugin_id}",
        )  # fmt: skip
        process.start()
        child.close()
        self._process, self._conn = process, parent
        self.starts += 1
        if not parent.poll(max(self.timeout, LOAD_TIMEOUT)):
            self._stop()
            raise PluginError(f"plugin {self.plugin_id} did not load within {LOAD_TIMEOUT:g} s")
        status, value = self._receive(parent)
        if status != "ready":
            self._stop()
            raise PluginError(value)
        self.version = value
        logger.info("plugin %s started in process %s (version %s)", self.plugin_id, process.pid, value)
        return parent

    def _stop(self) -> int | None:
        """End the child (if any); its exit code."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return None
        process.join(0.2)
        if process.is_alive():
            process.kill()
            process.join(5)
        return process.exitcode

    def close(self) -> None:
        """Stop the child process."""
        self._stop()

    def __enter__(self) -> PluginProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(conn: Connection, entry: PluginEntry, weights: str | None) -> None:
    """The child: load the plugin once, then answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the host's to handle
    from annotator.ml.uncertainty.sampling import sample_frame
    from annotator.ml.uncertainty.scoring import model_extras

    plugin_id = entry.id
    try:
        registry = PluginHost([entry])  # the child process's host: one model, capped threads
        manifest = registry.manifest(plugin_id)
        model = registry.load(plugin_id)
        if weights is not None and manifest.supports("load"):
            model.load(weights)
    except BaseException as error:
        conn.send(("error", _describe(plugin_id, error, "loading")))
        return
    conn.send(("ready", str(getattr(model, "version", ""))))
    while True:
        try:
            operation, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if operation == "predict":
                result = model.predict(*args)
            elif operation == "extras":
                result = model_extras(model, *args)
            else:
                result = sample_frame(model, manifest, *args)
            answer: tuple[str, Any] = ("ok", (str(getattr(model, "version", "")), result))
        except BaseException as error:
            answer = ("error", _describe(plugin_id, error, f"frame {args[0].name}"))
        try:
            conn.send(answer)
        except Exception as error:
            conn.send(("error", _describe(plugin_id, error, "returning its result")))


def _describe(plugin_id: str, error: BaseException, where: str) -> str:
    if isinstance(error, PluginError):
        return str(error)
    if isinstance(error, SystemExit):
        return f"plugin {plugin_id} called exit({error.code}) on {where}"
    return f"plugin {plugin_id} failed on {where}: {type(error).__name__}: {error}"
