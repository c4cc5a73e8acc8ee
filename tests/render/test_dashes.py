"""Dashed lines as geometry: dashes lie on their segment, keep its direction, and short segments stay whole."""

from __future__ import annotations

import numpy as np

from annotator.render.dashes import dash_segments


def test_a_long_segment_is_cut_into_dashes_along_it() -> None:
    vertices = np.array([[0.0, 0.0, 0.0], [5.5, 0.0, 0.0]])
    points, dashes, source = dash_segments(vertices, [[0, 1]], dash=0.35, gap=0.2)
    assert len(dashes) == 10 and (source == 0).all()
    starts, ends = points[dashes[:, 0]], points[dashes[:, 1]]
    assert np.allclose(starts[:, 1:], 0.0) and np.allclose(ends[:, 1:], 0.0)
    lengths = ends[:, 0] - starts[:, 0]
    assert np.allclose(lengths, 0.35) and (starts[1:, 0] - ends[:-1, 0] > 0.19).all()
    assert starts[0, 0] == 0.0 and ends[-1, 0] <= 5.5


def test_short_segments_stay_whole_and_sources_map_colours() -> None:
    vertices = np.array([[0.0, 0.0, 0.0], [0.0, 0.3, 0.0], [0.0, 0.0, 2.0]])
    points, dashes, source = dash_segments(vertices, [[0, 1], [0, 2]])
    assert source[0] == 0 and (source[1:] == 1).all()
    assert np.allclose(points[dashes[0]], vertices[[0, 1]])  # 0.3 m: one whole piece
    assert len(dashes) == 1 + 4  # 2 m at a 0.55 m period


def test_no_segments_no_dashes() -> None:
    points, dashes, source = dash_segments(np.zeros((0, 3)), np.zeros((0, 2), dtype=int))
    assert points.shape == (0, 3) and dashes.shape == (0, 2) and source.shape == (0,)
