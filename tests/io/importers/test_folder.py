"""A plain folder: clouds, images beside them (default camera) or in camera sub-folders."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.io.errors import FormatError
from annotator.io.importers import read_source


def test_clouds_and_images_are_matched_by_stem(tmp_path):
    for stem in ("frame10", "frame2"):
        np.zeros((4, 4), np.float32).tofile(tmp_path / f"{stem}.bin")
    (tmp_path / "frame2.png").write_bytes(b"png")
    (tmp_path / "front").mkdir()
    (tmp_path / "front" / "frame10.jpg").write_bytes(b"jpg")
    (tmp_path / "front" / "only_image.jpg").write_bytes(b"jpg")
    (tmp_path / "notes.md").write_text("ignored")
    dataset = read_source("folder", tmp_path, {"camera": "cam"})
    assert [f.name for f in dataset.frames] == ["frame2", "frame10", "only_image"]
    frame2, frame10, only = dataset.frames
    assert frame2.cloud == tmp_path / "frame2.bin" and frame2.images == {"cam": tmp_path / "frame2.png"}
    assert frame10.images == {"front": tmp_path / "front" / "frame10.jpg"}
    assert only.cloud is None and not any(f.objects for f in dataset.frames)


def test_two_clouds_for_one_frame_are_refused(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"")
    (tmp_path / "a.pcd").write_bytes(b"")
    with pytest.raises(FormatError, match="two clouds make frame 'a'"):
        read_source("folder", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="no point clouds or images"):
        read_source("folder", tmp_path / "empty")
