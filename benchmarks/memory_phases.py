"""Resident memory of this process sampled in a thread, split by phase: for `large_clouds.py --memory`.

`RssSampler` reads ``/proc/self/status`` every few milliseconds (Linux) and keeps each sample's total
resident memory and its anonymous and file-backed shares (``RssAnon``, ``RssFile``: file pages are the
mapped libraries and scratch files, which the kernel may drop; anonymous pages are the process's own
arrays). `RssSampler.report` prints, for each named phase (start and end times on `time.perf_counter`),
the peak within it and its shares at that moment, plus the resident memory when it ended.

Run: imported by ``large_clouds.py`` (``--memory``); ``python benchmarks/memory_phases.py`` prints this
process's memory now.
"""

from __future__ import annotations

import bisect
import threading
import time
from pathlib import Path

#: Seconds between two samples.
INTERVAL = 0.005


def rss_parts() -> tuple[float, float, float]:
    """This process's resident memory now in MiB: total, anonymous, file-backed (zeros when unknown)."""
    values = {"VmRSS": 0.0, "RssAnon": 0.0, "RssFile": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = float(rest.split()[0]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return values["VmRSS"], values["RssAnon"], values["RssFile"]


class RssSampler:
    """Samples `rss_parts` in a daemon thread from `start` to `stop`."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self.times: list[float] = []
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (and wait for the thread)."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.times.append(time.perf_counter())
            self.samples.append(rss_parts())
            self._stop.wait(self.interval)

    def peak(self, begin: float, end: float) -> tuple[float, float, float] | None:
        """The sample of the highest total between ``begin`` and ``end``, None when none was taken."""
        first, last = bisect.bisect_left(self.times, begin), bisect.bisect_right(self.times, end)
        chosen = self.samples[first:last]
        return max(chosen) if chosen else None

    def report(self, phases: dict[str, tuple[float, float]]) -> str:
        """One line per phase (in time order): peak total (anonymous + file) and total at its end, MiB."""
        lines = []
        for name, (begin, end) in sorted(phases.items(), key=lambda item: item[1][0]):
            top = self.peak(begin, end)
            at_end = self.peak(end - 4 * self.interval, end)
            if top is None or at_end is None:
                continue
            lines.append(
                f"    memory {name:>12}: peak {top[0]:6.0f} MiB (anonymous {top[1]:5.0f}, file {top[2]:5.0f}),"
                f" at its end {at_end[0]:6.0f} (anonymous {at_end[1]:5.0f})"
            )
        return "\n".join(lines)


if __name__ == "__main__":
    total, anonymous, mapped = rss_parts()
    print(f"resident {total:.0f} MiB: anonymous {anonymous:.0f}, file {mapped:.0f}")
