"""The OOD reference grown by a project's verified frames, in the window and ``annotator score``.

``simulate --strategy escalate --adapt-every K`` (`annotator.ml.uncertainty.adaptation.OnlineAdapter`) adds
the verified frames' embeddings to the detector's index of its training data (`OodIndex.extended`), so that
frames like those a person has checked stop being out of distribution while another sensor's stay so.
Scoring in a project does the same:

- each scored frame's embedding (the plugin's optional ``frame_embedding(frame, params)``) is stored in the
  frame's meta under `EMBEDDING_KEY`, per plugin, with the model version that made it (`ScoreProposals`,
  in the frame's scoring step: undone with it);
- a frame is then scored against the plugin's index (its optional ``ood_index`` attribute, an `OodIndex`)
  extended by the embeddings of the project's frames marked verified that the same model version made
  (`verified_embeddings`, `reference_ood`). Embeddings of another version live in another latent space and
  are left out; a frame is never its own reference.

Without verified frames, or for a plugin without an index, the score is the plugin's own ``frame_ood``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from annotator.core.model.project import Project
from annotator.core.model.records import Frame, FrameStatus
from annotator.ml.uncertainty.ood import OodIndex

logger = logging.getLogger(__name__)

#: A frame's ``meta`` key: {plugin id: {"model_version": ..., "vector": [...]}}, the frame's embedding.
EMBEDDING_KEY = "ood_embedding"
#: The key of an in-flight scored proposal's record that carries its frame's embedding to `ScoreProposals`
#: (which moves it into the frame's meta; stored records never hold it).
FRAME_EMBEDDING_KEY = "frame_embedding"


def stored_embedding(frame: Frame, plugin_id: str) -> tuple[str, np.ndarray] | None:
    """(model version, embedding) the plugin's scoring stored on ``frame`` (None: none, or malformed)."""
    entry = (frame.meta.get(EMBEDDING_KEY) or {}).get(plugin_id) if isinstance(frame.meta, Mapping) else None
    if not isinstance(entry, Mapping):
        return None
    try:
        vector = np.asarray(entry["vector"], dtype=float).reshape(-1)
        version = str(entry["model_version"])
    except (KeyError, TypeError, ValueError):
        return None
    return (version, vector) if len(vector) and np.all(np.isfinite(vector)) else None


def with_embedding(frame: Frame, plugin_id: str, version: str, vector: Sequence[float]) -> dict[str, Any]:
    """``frame``'s meta with the plugin's embedding of it (made by ``version``) stored."""
    stored = dict(frame.meta.get(EMBEDDING_KEY) or {})
    stored[plugin_id] = {"model_version": version, "vector": [round(float(v), 5) for v in vector]}
    return dict(frame.meta) | {EMBEDDING_KEY: stored}


def verified_by_frame(project: Project, plugin_id: str) -> dict[int, tuple[str, np.ndarray]]:
    """(model version, embedding) the plugin stored on each of the project's verified frames, by frame id."""
    found = {}
    for frame in project.frames.values():
        stored = stored_embedding(frame, plugin_id) if frame.status == FrameStatus.VERIFIED else None
        if stored is not None:
            found[frame.id] = stored
    return found


def known_embeddings(
    by_frame: Mapping[int, tuple[str, np.ndarray]], exclude: int | None = None
) -> dict[str, np.ndarray]:
    """`verified_by_frame`'s embeddings as rows by model version (frame ``exclude`` left out, and vectors
    whose length differs from the version's first)."""
    rows: dict[str, list[np.ndarray]] = {}
    for frame_id, (version, vector) in sorted(by_frame.items()):
        if frame_id != exclude:
            rows.setdefault(version, []).append(vector)
    return {
        version: np.vstack([v for v in vectors if len(v) == len(vectors[0])])
        for version, vectors in rows.items()
    }


def verified_embeddings(
    project: Project, plugin_id: str, exclude: int | None = None
) -> dict[str, np.ndarray]:
    """The embeddings the plugin stored on the project's verified frames, as rows by model version (frame
    ``exclude``, the one being scored, left out)."""
    return known_embeddings(verified_by_frame(project, plugin_id), exclude)


def reference_ood(index: OodIndex, embedding: np.ndarray, known: np.ndarray | None = None) -> float:
    """The OOD score of a frame's ``embedding`` against ``index`` extended by the ``known`` embeddings (rows;
    None or empty, or of another width: the index alone)."""
    embedding = np.asarray(embedding, dtype=float).reshape(1, -1)
    reference = index
    if known is not None and len(known) and np.shape(known)[-1] == index.vectors.shape[1]:
        reference = index.extended(np.asarray(known, dtype=float))
    return float(reference.score(embedding)[0])
