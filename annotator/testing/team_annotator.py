"""A scripted annotator on a shared project, run as its own process by the concurrency test and by
``benchmarks/team_store.py``: ``python -m annotator.testing.team_annotator URL USER --frames 1,2 ...``.

For each of its frames it takes the frame's lease, adds boxes (each tagged ``USER-N`` in its attributes,
so lost or duplicated edits can be counted), moves every other one, and releases the lease. Optional
scenes: a barrier with the other annotators, then a poke at another annotator's leased frame and an
absolute move of one contested box (exactly one annotator wins, the others get a conflict); and a dropped
connection after N edits (the edits go to the offline journal and are replayed on reconnect). It prints
one JSON line: the tags written, commit latencies, conflicts and the store's reports.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, update_annotation
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Annotation
from annotator.io.errors import ProjectChanged
from annotator.io.pg.leases import LeaseHeld
from annotator.io.pg.store import PgProjectStore
from annotator.io.workspace import Workspace

logger = logging.getLogger(__name__)


def tagged_box(frame_id: int, tag: str, x: float) -> Annotation:
    """A Car box carrying ``tag`` in its attributes."""
    return Annotation(
        0, frame_id, "Car", cuboid=Cuboid((x, 2.0, 0.0), (4.0, 1.8, 1.5), 0.1), attributes={"tag": tag}
    )


def wait_for_all(barrier: Path, user: str, count: int, timeout_s: float = 60.0) -> None:
    """A file barrier: mark ``user`` ready and wait until ``count`` annotators are."""
    barrier.mkdir(parents=True, exist_ok=True)
    (barrier / f"{user}.ready").touch()
    deadline = time.monotonic() + timeout_s
    while len(list(barrier.glob("*.ready"))) < count:
        if time.monotonic() > deadline:
            raise AnnotatorError(f"{barrier}: the other annotators never came")
        time.sleep(0.01)


def cut_connection(store: PgProjectStore) -> None:
    """End the store's server connection from the server side (a network drop, as far as it can tell)."""
    import psycopg

    with psycopg.connect(store.url.dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (store.db.info.backend_pid,))  # type: ignore[union-attr]


def annotate(args: argparse.Namespace) -> dict[str, Any]:
    """Run the script; the outcome as a dict."""
    result: dict[str, Any] = {
        "user": args.user,
        "tags": [],
        "latencies_ms": [],
        "conflicts": [],
        "refused": [],
    }
    with Workspace.open(f"{args.url}?annotator_user={args.user}") as workspace:
        store = workspace.store
        assert isinstance(store, PgProjectStore)
        edits = 0

        def commit(command: Any) -> Any:
            nonlocal edits
            started = time.perf_counter()
            done = workspace.push(command)
            result["latencies_ms"].append((time.perf_counter() - started) * 1000.0)
            edits += 1
            if args.drop_at and edits == args.drop_at:
                cut_connection(store)
            if store.offline and edits >= args.drop_at + args.offline_edits:
                while not store.reconnect():
                    time.sleep(0.05)
            return done

        for position, frame_id in enumerate(args.frames):
            while store.offline and not store.reconnect():  # a lease needs the server
                time.sleep(0.05)
            store.acquire_lease(frame_id)
            if position == 0 and args.barrier:
                wait_for_all(Path(args.barrier), args.user, args.team)
                _contend(workspace, args, result)
            for k in range(args.edits):
                tag = f"{args.user}-{len(result['tags'])}"
                ids = commit(AddAnnotations([tagged_box(frame_id, tag, float(k))])).ids
                result["tags"].append(tag)
                if k % 2:
                    moved = Cuboid((float(k), 3.0, 0.0), (4.0, 1.8, 1.5), 0.2)
                    commit(update_annotation(workspace.project, ids[0], "Move", cuboid=moved))
            if not store.offline:
                store.release_lease(frame_id)
        if store.offline:
            while not store.reconnect():
                time.sleep(0.05)
        result["reports"] = store.take_reports()
    return result


def _contend(workspace: Workspace, args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Poke another annotator's leased frame, then move the contested box (all annotators at once)."""
    if args.poke is not None:
        try:
            workspace.store.acquire_lease(args.poke)  # type: ignore[attr-defined]
        except LeaseHeld as error:
            result["refused"].append(str(error))
    if args.contested is not None:
        target = Cuboid((100.0 + len(args.user), 0.0, 0.0), (4.0, 1.8, 1.5), 0.0)
        try:
            workspace.push(update_annotation(workspace.project, args.contested, "Move", cuboid=target))
            result["contested_x"] = target.center[0]
        except ProjectChanged as error:
            result["conflicts"].append(str(error))


def main(argv: list[str] | None = None) -> int:
    """Entry point: prints the outcome as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="postgresql://HOST/DATABASE/PROJECT")
    parser.add_argument("user")
    parser.add_argument("--frames", type=lambda text: [int(f) for f in text.split(",")], required=True)
    parser.add_argument("--edits", type=int, default=10, help="boxes added per frame")
    parser.add_argument("--barrier", help="a folder the team meets in before contending")
    parser.add_argument("--team", type=int, default=2, help="annotators meeting at the barrier")
    parser.add_argument("--contested", type=int, help="an annotation every annotator moves at once")
    parser.add_argument("--poke", type=int, help="a frame another annotator holds")
    parser.add_argument("--drop-at", type=int, default=0, help="cut the connection after this many edits")
    parser.add_argument("--offline-edits", type=int, default=3, help="edits made offline before reconnecting")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(annotate(args)))
    except AnnotatorError as error:
        print(f"team_annotator: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
