"""Sub-commands that render: ``snapshot`` (headless pictures of a frame). Qt and VTK are imported
only inside the command, never when the command line starts."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from annotator.io.store_api import project_location

logger = logging.getLogger(__name__)

VIEWS = ("window", "perspective", "top", "side", "front", "image")
COLOR_MODES = ("height", "intensity", "rgb", "distance")
CAMERAS = ("default", "bird-eye", "focus")


def parse_size(text: str) -> tuple[int, int]:
    """``"1600x1000"`` to (1600, 1000)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1600x1000, not {text!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size {text!r} is outside 16x16 .. 8192x8192")
    return width, height


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the render sub-commands."""
    snap = subparsers.add_parser(
        "snapshot",
        help="render a frame (the window or one view) to a PNG, without a display",
        description="Render frame N of a project headless, exactly as the application draws it.",
    )
    snap.add_argument("directory", type=project_location, help="a project directory or postgresql:// URL")
    snap.add_argument("--frame", type=int, default=0, help="0-based position of the frame (default 0)")
    snap.add_argument("--view", choices=VIEWS, default="window", help="what to draw (default: window)")
    snap.add_argument("--out", type=Path, required=True, help="the PNG to write")
    snap.add_argument("--size", type=parse_size, help="WxH pixels (default 1600x1000 window, 1024x768 view)")
    snap.add_argument(
        "--select",
        default="auto",
        help="annotation ids to select (3, or 3,5,8 for several), 'auto' (first cuboid, default) or 'none'",
    )
    snap.add_argument("--camera", choices=CAMERAS, default="default", help="perspective camera preset")
    snap.add_argument("--color-by", choices=COLOR_MODES, default="height", help="point colouring")
    snap.add_argument(
        "--image-camera", metavar="NAME", help="camera shown by --view image (default: the first)"
    )
    snap.add_argument("--points", action="store_true", help="--view image: LiDAR points coloured by depth")
    snap.add_argument(
        "--merged",
        type=int,
        default=0,
        metavar="N",
        help="merge N sweeps on each side (View > Merged sweeps)",
    )
    snap.set_defaults(handler=run_snapshot)


def run_snapshot(args: argparse.Namespace) -> int:
    """``annotator snapshot DIR --out FILE.png``: Qt starts here, on the offscreen platform."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from annotator.qt.app.launch import create_application
    from annotator.qt.app.snapshot import take_snapshot, with_color_mode

    create_application()
    path = take_snapshot(
        args.directory,
        args.out,
        frame=args.frame,
        view=args.view,
        size=args.size,
        select=args.select,
        camera=args.camera,
        options=with_color_mode(args.color_by),
        image_camera=args.image_camera,
        points=args.points,
        merged=args.merged,
    )
    print(f"wrote {path}")
    return 0
