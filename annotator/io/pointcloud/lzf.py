"""LZF (liblzf) compression in pure Python, as used by PCD ``DATA binary_compressed``.

The stream is a sequence of tokens. A control byte ``c < 32`` starts a literal run of ``c + 1``
bytes. Otherwise ``c >> 5`` is a back-reference length code (7 means "add the next byte") and the
low 5 bits with the next byte give the distance back into the output: copy ``length + 2`` bytes
from ``out_pos - distance - 1`` (the source may overlap the destination: a repeating pattern).

Decompression works token by token with slice copies, so its cost follows the number of tokens
rather than bytes: a few MB decode in well under a second. The compressor is a straightforward
port of liblzf's greedy matcher, byte by byte; it is meant for tests and small files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

__all__ = ["LZFError", "compress", "decompress"]

_MAX_LITERAL = 32
_MAX_OFFSET = 1 << 13
_MAX_MATCH = 7 + 255 + 2
#: Most bytes one input byte can become (a 3-byte back-reference yields at most 264 bytes).
MAX_EXPANSION = 90
#: Tokens decoded between two calls of the ``check`` callback of `decompress`.
CHECK_EVERY = 1 << 16


class LZFError(ValueError):
    """The compressed stream is corrupt or does not decode to the expected size."""


def decompress(
    data: bytes | bytearray | memoryview, out_size: int, check: Callable[[], None] | None = None
) -> bytes:
    """Decompress an LZF stream that must expand to exactly ``out_size`` bytes.

    Raises LZFError (a ValueError) with the byte position of the problem for a corrupt stream.
    ``check`` is called before the first token and every `CHECK_EVERY` tokens (e.g. a reading deadline
    that raises when it is spent).
    """
    src = bytes(data)
    n = len(src)
    out = bytearray(out_size)
    ip = op = 0
    tokens = 0
    try:
        while ip < n:
            if check is not None and tokens % CHECK_EVERY == 0:
                check()
            tokens += 1
            ctrl = src[ip]
            ip += 1
            if ctrl < 32:
                length = ctrl + 1
                end = ip + length
                if end > n:
                    raise LZFError(f"literal run at byte {ip - 1} goes past the end of the data")
                if op + length > out_size:
                    raise LZFError(f"output would exceed {out_size} bytes at input byte {ip - 1}")
                out[op : op + length] = src[ip:end]
                op += length
                ip = end
                continue
            length = ctrl >> 5
            if length == 7:
                length += src[ip]
                ip += 1
            ref = op - ((ctrl & 0x1F) << 8) - src[ip] - 1
            ip += 1
            length += 2
            if ref < 0:
                raise LZFError(f"back-reference before the start of the output at input byte {ip}")
            if op + length > out_size:
                raise LZFError(f"output would exceed {out_size} bytes at input byte {ip}")
            if ref + length <= op:
                out[op : op + length] = out[ref : ref + length]
            else:  # overlapping copy: the pattern out[ref:op] repeats
                pattern = bytes(out[ref:op])
                out[op : op + length] = (pattern * (length // len(pattern) + 1))[:length]
            op += length
    except IndexError:
        raise LZFError(f"stream ends inside a back-reference at byte {n}") from None
    if op != out_size:
        raise LZFError(f"decoded {op} bytes, expected {out_size}")
    return bytes(out)


def compress(data: bytes | bytearray | memoryview) -> bytes:
    """Compress ``data`` with LZF (greedy, 3-byte hash matches); the inverse of ``decompress``."""
    src = bytes(data)
    n = len(src)
    out = bytearray()
    table: dict[bytes, int] = {}
    literal_start = 0
    ip = 0

    def flush_literals(end: int) -> None:
        start = literal_start
        while start < end:
            run = min(_MAX_LITERAL, end - start)
            out.append(run - 1)
            out.extend(src[start : start + run])
            start += run

    while ip + 2 < n:
        key = src[ip : ip + 3]
        ref = table.get(key)
        table[key] = ip
        if ref is not None and ip - ref <= _MAX_OFFSET:
            length = 3
            limit = min(_MAX_MATCH, n - ip)
            while length < limit and src[ref + length] == src[ip + length]:
                length += 1
            flush_literals(ip)
            distance = ip - ref - 1
            code = length - 2
            if code < 7:
                out.append((code << 5) | (distance >> 8))
            else:
                out.append((7 << 5) | (distance >> 8))
                out.append(code - 7)
            out.append(distance & 0xFF)
            ip += length
            literal_start = ip
        else:
            ip += 1
    flush_literals(n)
    return bytes(out)
