"""Out-of-distribution score: nearest-neighbour distance of an embedding to those of the training data.

An `OodIndex` holds the embeddings of frames the detector learned from (standardised per dimension) and a
reference distance: a quantile of the index's own leave-one-out nearest-neighbour distances. A frame's
OOD score is its nearest-neighbour distance divided by that reference, so about 1 is "as far from the
training data as the training frames are from each other at the quantile", and more is farther.
The index is a small ``.npz`` file (float32), written with its SHA-256 recorded by the caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

REFERENCE_QUANTILE = 0.95
INDEX_FORMAT = "annotator-ood-index/1"


def nearest_distances(queries: np.ndarray, index: np.ndarray, skip_self: bool = False) -> np.ndarray:
    """Euclidean distance from each query row to its nearest index row (``skip_self``: queries are the
    index itself and a row is not its own neighbour)."""
    queries, index = np.atleast_2d(np.asarray(queries, float)), np.atleast_2d(np.asarray(index, float))
    squared = (queries**2).sum(1)[:, None] + (index**2).sum(1)[None, :] - 2.0 * queries @ index.T
    distances = np.sqrt(np.clip(squared, 0.0, None))
    if skip_self:
        np.fill_diagonal(distances, np.inf)
    return distances.min(axis=1)


@dataclass(frozen=True)
class OodIndex:
    """Standardised embeddings (N, D), the per-dimension mean and scale used, and the reference distance."""

    vectors: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    reference: float

    @classmethod
    def build(cls, embeddings: np.ndarray, quantile: float = REFERENCE_QUANTILE) -> OodIndex:
        """An index of ``embeddings`` (at least two rows)."""
        embeddings = np.asarray(embeddings, dtype=float)
        if embeddings.ndim != 2 or len(embeddings) < 2:
            raise ValueError("an OOD index needs at least two embeddings")
        mean = embeddings.mean(axis=0)
        scale = embeddings.std(axis=0)
        scale = np.where(scale > 1e-9, scale, 1.0)
        vectors = (embeddings - mean) / scale
        own = nearest_distances(vectors, vectors, skip_self=True)
        reference = float(np.quantile(own, quantile))
        return cls(vectors, mean, scale, reference if reference > 1e-12 else 1.0)

    @property
    def embeddings(self) -> np.ndarray:
        """The index's embeddings as they were given (undoing the standardisation)."""
        return self.vectors * self.scale + self.mean

    def extended(self, embeddings: np.ndarray, quantile: float = REFERENCE_QUANTILE) -> OodIndex:
        """A new index of these embeddings and ``embeddings`` (rows), standardised and referenced anew: the
        reference data grows by frames the model has since learned from (e.g. verified project frames)."""
        added = np.asarray(embeddings, dtype=float).reshape(-1, self.vectors.shape[1])
        return OodIndex.build(np.vstack([self.embeddings, added]), quantile)

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """The OOD score of each embedding row (see the module docstring)."""
        queries = (np.atleast_2d(np.asarray(embeddings, dtype=float)) - self.mean) / self.scale
        return nearest_distances(queries, self.vectors) / self.reference

    def save(self, path: Path) -> None:
        """Write the index (float32 arrays, no pickles)."""
        np.savez(
            path,
            format=np.array(INDEX_FORMAT),
            vectors=self.vectors.astype(np.float32),
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
            reference=np.float64(self.reference),
        )

    @classmethod
    def load(cls, path: Path) -> OodIndex:
        """An index `save` wrote; `ValueError` for anything else."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["format"]) != INDEX_FORMAT:
                    raise ValueError(f"{path}: not an OOD index ({INDEX_FORMAT})")
                return cls(
                    data["vectors"].astype(float),
                    data["mean"].astype(float),
                    data["scale"].astype(float),
                    float(data["reference"]),
                )
        except (OSError, KeyError) as error:
            raise ValueError(f"{path}: unreadable OOD index ({type(error).__name__})") from error
