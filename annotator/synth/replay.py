"""Generated frames mixed into fine-tuning when a project has few verified ones.

A plugin that ships base weights learned them from generated street scenes; a fine-tuning run on a handful
of a user's frames can drift away from everything else it knew. While the run has fewer than
``generated_below`` verified training frames, ``generated_frames`` freshly generated frames (with their
exact ground truth) join the mix, so the base's knowledge is replayed too. The plugin names this function
as its base weights' ``replay`` source in its manifest (``"annotator.synth.replay:generated_frames"``); the
fine-tuning engine (`annotator.ml.shipped.replay_source`) resolves it by name, so `annotator.ml` never
imports the generator.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from annotator.ml.protocol import Detections, FrameInput, LabelledFrame
from annotator.synth.scene import SceneConfig
from annotator.synth.sequence import iter_frames

logger = logging.getLogger(__name__)

#: Scene seeds of the generated replay frames (apart from those of demos and benchmarks).
SEED_BASE = 70_000
#: Generated objects with fewer points are "don't care" (weight 0), as in the simulated annotator.
MIN_POINTS = 10


def generated_frames(classes: Sequence[str], count: int, seed: int = 0) -> list[LabelledFrame]:
    """``count`` generated frames labelled with ``classes`` (objects of other classes or with fewer than
    `MIN_POINTS` points weigh 0)."""
    index = {name: i for i, name in enumerate(classes)}
    result = []
    for k in range(count):
        config = SceneConfig(seed=SEED_BASE + 97 * seed + k, n_frames=1)
        frame = next(iter(iter_frames(config, render_images=False)))
        objects = [o for o in frame.objects if o.num_points > 0 and o.label in index]
        boxes = np.array([o.cuboid.to_array()[:7] for o in objects]).reshape(-1, 7)
        labels = np.array([index[o.label] for o in objects], dtype=np.int64)
        weights = np.array([1.0 if o.num_points >= MIN_POINTS else 0.0 for o in objects], dtype=np.float32)
        targets = Detections(boxes, labels, np.ones(len(objects)), tuple(classes), "generated")
        result.append(
            LabelledFrame(
                FrameInput(f"generated {config.seed}", frame.points), targets, weights, synthetic=True
            )
        )
    return result
