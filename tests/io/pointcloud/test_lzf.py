"""The pure-Python LZF codec used by PCD binary_compressed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.io.pointcloud.lzf import LZFError, compress, decompress


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_round_trip_random_bytes(data: bytes) -> None:
    assert decompress(compress(data), len(data)) == data


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"ab", b"abc", b"\x00" * 7, b"xyz" * 40]), max_size=200))
def test_round_trip_repetitive(parts: list[bytes]) -> None:
    data = b"".join(parts)
    packed = compress(data)
    assert decompress(packed, len(data)) == data
    if len(data) > 200:
        assert len(packed) < len(data) // 2


def test_hand_made_stream_with_overlapping_back_reference() -> None:
    # literal "ab" (ctrl 1), then copy 7 bytes (len code 5 -> 5 + 2) from distance 2 (offset byte 1)
    stream = bytes([1]) + b"ab" + bytes([(5 << 5) | 0, 1])
    assert decompress(stream, 9) == b"ababababa"
    # long match: length code 7 + extra byte 10 -> 19 bytes, distance 1
    stream = bytes([0]) + b"z" + bytes([7 << 5, 10, 0])
    assert decompress(stream, 20) == b"z" * 20


def test_compresses_float_data() -> None:
    values = np.repeat(np.arange(100, dtype=np.float32), 20).tobytes()
    packed = compress(values)
    assert len(packed) < len(values) // 4
    assert decompress(packed, len(values)) == values


@pytest.mark.parametrize(
    ("stream", "size", "problem"),
    [
        (bytes([4]) + b"ab", 5, "past the end"),
        (bytes([0]) + b"a" + bytes([1 << 5]), 4, "ends inside"),
        (bytes([0]) + b"a" + bytes([1 << 5, 5]), 4, "before the start"),
        (bytes([2]) + b"abc", 2, "exceed"),
        (bytes([2]) + b"abc", 10, "decoded 3 bytes, expected 10"),
    ],
)
def test_corrupt_streams_raise(stream: bytes, size: int, problem: str) -> None:
    with pytest.raises(LZFError, match=problem):
        decompress(stream, size)
