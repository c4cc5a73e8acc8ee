"""Sub-command ``reference``: make a labelled dataset the project's reference labels (ground truth as data)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from annotator.cli.io_commands import _add_format_options, _options
from annotator.cli.progress import Progress
from annotator.core.errors import AnnotatorError
from annotator.io.reference_labels import REFERENCE_FILE, write_reference_labels

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the reference sub-command."""
    ref = subparsers.add_parser(
        "reference",
        help="write a labelled dataset's cuboids as the project's reference labels (ground truth for "
        "evaluation and simulation), matched to its frames by name",
    )
    ref.add_argument("directory", type=Path, help="the project directory")
    ref.add_argument("source", type=Path, help="the labelled dataset folder or label file")
    _add_format_options(ref)
    ref.add_argument("--no-progress", action="store_true", help="no progress bar")
    ref.set_defaults(handler=run_reference)


def run_reference(args: argparse.Namespace) -> int:
    """``annotator reference DIR SOURCE --format F``: write ``DIR/reference_labels.json``."""
    from annotator.io.importers import read_source
    from annotator.io.reference_sources import reference_objects
    from annotator.io.store import ProjectStore

    store = ProjectStore.open(args.directory, read_only=True)
    try:
        names = {frame.name for frame in store.load().frames.values()}
    finally:
        store.close()
    dataset = read_source(args.format_id, args.source, _options(args))
    with Progress(len(dataset.frames), "counting points", enabled=not args.no_progress) as progress:
        frames = reference_objects(dataset, lambda done, total: progress.update(done))
    matched = {name: objects for name, objects in frames.items() if name in names}
    if not matched:
        raise AnnotatorError(
            f"{args.source}: none of its {len(frames)} frames is a frame of {args.directory} (matched by name)"
        )
    timestamps = {
        f.name: f.timestamp for f in dataset.frames if f.name in matched and f.timestamp is not None
    }
    path = write_reference_labels(
        args.directory / REFERENCE_FILE, matched, timestamps, {"source": str(args.source.absolute())}
    )
    objects = sum(len(found) for found in matched.values())
    print(f"wrote {path}: {objects} reference objects in {len(matched)} of the project's {len(names)} frames")
    if len(matched) < len(frames):
        print(f"{len(frames) - len(matched)} frames of {args.source} are not in the project: left out")
    return 0
