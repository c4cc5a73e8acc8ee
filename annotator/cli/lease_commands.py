"""``annotator lease``: per-frame leases of a shared (PostgreSQL) project: list, take, release.

A lead clears a lease left by an annotator who went home with ``annotator lease release URL FRAME --force``.
"""

from __future__ import annotations

import argparse
import logging

from annotator.core.errors import AnnotatorError
from annotator.io.store_api import SharedStore, is_shared_location, open_store, project_location

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the lease sub-command and its actions."""
    lease = subparsers.add_parser("lease", help="list, take or release frame leases of a shared project")
    actions = lease.add_subparsers(dest="lease_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the frames leased now, by whom and until when")
    listing.add_argument("project", type=project_location, help="postgresql://HOST/DATABASE/PROJECT")
    listing.set_defaults(handler=run_list)
    for name, help_text in (("take", "lease a frame to you"), ("release", "give a frame's lease back")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("project", type=project_location, help="postgresql://HOST/DATABASE/PROJECT")
        action.add_argument("frame", type=int, help="the frame id")
        if name == "release":
            action.add_argument("--force", action="store_true", help="release whoever holds it (a lead)")
        action.set_defaults(handler=run_take if name == "take" else run_release)


def _shared(location: object) -> SharedStore:
    if not is_shared_location(location):  # type: ignore[arg-type]
        raise AnnotatorError(f"{location}: leases need a shared project (postgresql://HOST/DATABASE/PROJECT)")
    store = open_store(location)  # type: ignore[arg-type]
    assert isinstance(store, SharedStore)
    return store


def run_list(args: argparse.Namespace) -> int:
    """``annotator lease list URL``."""
    store = _shared(args.project)
    try:
        leases = store.leases()
    finally:
        store.close()
    if not leases:
        print("no frame is leased")
    for lease in leases:
        print(f"frame {lease.frame_id:<8} {lease.holder:<20} until {lease.expires_at:%Y-%m-%d %H:%M:%S %Z}")
    return 0


def run_take(args: argparse.Namespace) -> int:
    """``annotator lease take URL FRAME``."""
    store = _shared(args.project)
    try:
        store.acquire_lease(args.frame)
    finally:
        store.close()
    print(f"frame {args.frame} leased to {store.user}")
    return 0


def run_release(args: argparse.Namespace) -> int:
    """``annotator lease release URL FRAME [--force]``: exit 1 when there was no lease to release."""
    store = _shared(args.project)
    try:
        released = store.release_lease(args.frame, force=args.force)
    finally:
        store.close()
    if not released:
        hint = "" if args.force else " (another annotator's lease needs --force)"
        raise AnnotatorError(f"{args.project}: frame {args.frame}: no lease of yours to release{hint}")
    print(f"frame {args.frame} released")
    return 0
