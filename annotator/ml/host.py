"""The plugin host: the one door to plugins in a process, made at the entry point and passed down.

A host is a `PluginRegistry` that finds its plugins on first use (opening the window or running a command
that needs no plugin discovers nothing), keeps the one model object per plugin (so pre-annotation, scoring
and the review queue share a loaded model instead of loading it twice) and owns the CPU-thread cap of the
numerical libraries the models run on. The CLI's ``main`` makes one per command, the window one per
application, a fine-tuning child process one for its job.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from annotator.ml.registry import PluginEntry, PluginRegistry, discovered_entries

logger = logging.getLogger(__name__)

#: Environment variables that cap the threads of OpenMP, MKL and OpenBLAS (read when they start).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def default_threads() -> int:
    """All cores but one (the window keeps one), at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


def cap_threads(count: int) -> None:
    """Limit the CPU threads of numerical libraries (set before they are imported; torch also after)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(count)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(count)


class PluginHost(PluginRegistry):
    """The process's plugins: discovered once (on first use), one model per plugin, capped CPU threads.

    ``entries``: a fixed catalog (tests, a child process); without it, installed packages' entry points
    (with ``entry_points_too``) and the drop-in folders (the user's and ``$ANNOTATOR_PLUGIN_PATH``'s when
    ``dropin_folders`` is None) are read the first time a plugin is asked for. ``threads``: the cap applied
    before the first model loads (default: all cores but one).
    """

    def __init__(
        self,
        entries: Iterable[PluginEntry] | None = None,
        *,
        dropin_folders: Sequence[Path] | None = None,
        entry_points_too: bool = True,
        threads: int | None = None,
    ) -> None:
        super().__init__(entries or ())
        self._found = entries is not None
        self._folders = None if dropin_folders is None else list(dropin_folders)
        self._entry_points_too = entry_points_too
        self.threads = default_threads() if threads is None else max(1, int(threads))
        self._capped = False
        self._lock = threading.RLock()

    def _catalog(self) -> dict[str, PluginEntry]:
        if not self._found:
            with self._lock:
                if not self._found:
                    found = PluginRegistry(discovered_entries(self._folders, self._entry_points_too))
                    self._entries = found._entries
                    self._found = True
                    logger.info("plugin host: %d plugins found", len(self._entries))
        return self._entries

    def load(self, plugin_id: str) -> Any:
        """The plugin's model (loaded once per host; the thread cap is applied before the first)."""
        with self._lock:  # two workers asking for one plugin at once get the same model
            if not self._capped:
                cap_threads(self.threads)
                self._capped = True
            return super().load(plugin_id)

    def loaded(self) -> list[str]:
        """Ids of the plugins whose models this host has loaded."""
        return sorted(self._models)
