"""Frame selections typed on the command line."""

from __future__ import annotations

import pytest

from annotator.core.model.records import Frame
from annotator.core.selection import SelectionError, select_frames

FRAMES = [Frame(i + 1, f"{i:06d}", i) for i in range(10)]


def names(selection: str | None) -> list[str]:
    return [f.name for f in select_frames(FRAMES, selection)]


def test_all_and_none_select_every_frame_in_order() -> None:
    assert names(None) == names("all") == [f.name for f in FRAMES]


def test_positions_ranges_and_names_combine_without_duplicates() -> None:
    assert names("0,2-3,000003,8-") == ["000000", "000002", "000003", "000008", "000009"]
    assert names("-1") == ["000000", "000001"]


@pytest.mark.parametrize("bad", ["12", "5-2", "x", "3-x"])
def test_bad_selections_raise_clear_errors(bad: str) -> None:
    with pytest.raises(SelectionError, match="frame selection"):
        select_frames(FRAMES, bad)
