"""Entry script of the desktop bundle: the `annotator` command (no arguments: the window)."""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # fine-tuning runs in a spawned child process: the bundle is its Python
    from annotator.cli import main

    sys.exit(main())
