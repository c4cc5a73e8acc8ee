"""What a fine-tuning job is given and what it hands back (plain, picklable values for the child process)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from annotator.core.model_versions import DataEntry
from annotator.ml.finetune.data import FrameLabels

logger = logging.getLogger(__name__)


@dataclass
class FineTuneOptions:
    """How a run picks and weighs its data.

    ``replay_ratio``: share of old frames in the training mix. ``held_apart``: share of verified frames
    kept for the forgetting gate, from ``held_apart_from`` verified frames on (before, every verified frame
    is trained on and the gate measures on frames the parent trained on: README, "Shipped base detector",
    seventh pass). ``uncertainty_selection``: train on the ``select_share`` most uncertain new frames,
    re-chosen every ``reselect_every`` epochs (plugins with an ``epochs`` parameter); with ``diversity`` > 0
    (and a plugin that gives frame embeddings) the frames are chosen by uncertainty x distance in latent
    space (`annotator.ml.uncertainty.diversity`), not by uncertainty alone.
    ``self_training``: add confident (score >= ``pseudo_min_score``), certain (uncertainty <=
    ``pseudo_max_uncertainty``) boxes of up to ``pseudo_frames`` unverified frames at ``pseudo_weight``.
    ``threads``: CPU threads of the training process. ``params``: the plugin's parameters.
    ``generated_frames``: generated frames mixed in while a run has fewer than ``generated_below`` verified
    training frames, for plugins that ship base weights (see `annotator.synth.replay`).
    ``params`` override the plugin's ``finetune_defaults`` (see `annotator.ml.finetune.engine`).
    """

    replay_ratio: float = 0.5
    held_apart: float = 0.2
    held_apart_from: int = 30
    tolerance: float = 0.02
    uncertainty_selection: bool = False
    select_share: float = 0.5
    reselect_every: int = 2
    diversity: float = 0.0
    self_training: bool = False
    pseudo_min_score: float = 0.6
    pseudo_max_uncertainty: float = 0.3
    pseudo_weight: float = 0.5
    pseudo_frames: int = 5
    passes: int = 4
    threads: int = 1
    seed: int = 0
    generated_frames: int = 4
    generated_below: int = 10
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (stored in the version record)."""
        return asdict(self)


@dataclass
class FineTuneSpec:
    """One job: the plugin (found in ``plugin_folders`` and, with ``entry_points``, installed packages),
    the project directory its frames' files are relative to, the labelled frames by role, unverified
    frames (with their human-confirmed annotations, if any) for pseudo-labels, the weights to start from and the file to write."""

    plugin: str
    version_id: str
    parent: str | None
    task: str
    classes: tuple[str, ...]
    root: str | None
    frames: list[FrameLabels]
    unverified: list[FrameLabels]
    parent_weights: str | None
    output: str
    options: FineTuneOptions
    plugin_folders: list[str] | None = None
    entry_points: bool = True

    def of_role(self, *roles: str) -> list[FrameLabels]:
        """The frames with any of ``roles``."""
        return [f for f in self.frames if f.role in roles]


@dataclass
class FineTuneResult:
    """What the child process produced. ``scores``: ``{"parent": {"old": .., "new": ..}, "candidate":
    {...}}`` (sets without held-apart frames are missing); ``weights`` is None when cancelled. ``data``:
    the version's data snapshot, one entry per frame used (light: the UI thread unpickles it);
    ``pseudo``: the pseudo-labelled frames with their boxes and weights; ``card``: what the plugin says
    about the trained model (its optional ``adaptation_card()``, e.g. a learned box convention)."""

    model_version: str
    weights: str | None
    scores: dict[str, dict[str, float]]
    losses: list[float]
    data: list[DataEntry]
    seconds: float
    cancelled: bool = False
    selected: list[int] = field(default_factory=list)
    pseudo: list[FrameLabels] = field(default_factory=list)
    card: dict[str, str] = field(default_factory=dict)
