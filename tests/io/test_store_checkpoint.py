"""The write-ahead log is checkpointed (its fsyncs) in a thread of its own, never inside an edit's commit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.io.store import ProjectStore
from annotator.io.store_checkpoint import EVERY_WRITES, SAFETY_PAGES
from annotator.io.workspace import Workspace


def _push_boxes(workspace: Workspace, count: int) -> None:
    frame_id = workspace.push(AddFrames([Frame(0, "a", 0)])).ids[0]
    for i in range(count):
        box = Cuboid((i * 0.5, 0.0, 0.0), (4.0, 2.0, 1.5))
        workspace.push(AddAnnotations([Annotation(0, frame_id, "Car", cuboid=box)]))


def test_checkpoints_run_on_their_own_thread_not_in_the_commit(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "p") as workspace:
        store = workspace.store
        assert isinstance(store, ProjectStore)
        _push_boxes(workspace, 2 * EVERY_WRITES)
        # SQLite's own checkpoint (inside a commit, on the committing thread) only as a safety net
        assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == SAFETY_PAGES
        checkpointer = store._checkpointer
        assert checkpointer is not None
        deadline = time.monotonic() + 10.0
        while checkpointer.checkpoints < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checkpointer.checkpoints >= 1
        assert checkpointer.thread_names == {"store-checkpoint"}
        assert threading.current_thread().name not in checkpointer.thread_names


def test_every_step_is_in_the_database_when_its_push_returns(tmp_path: Path) -> None:
    with Workspace.create(tmp_path / "p") as workspace:
        _push_boxes(workspace, EVERY_WRITES + 5)  # past a checkpoint that runs beside the commits
        reader = ProjectStore.open(tmp_path / "p", read_only=True)
        try:
            assert reader.count("annotations") == EVERY_WRITES + 5
        finally:
            reader.close()


def test_closing_the_store_ends_the_checkpoint_thread(tmp_path: Path) -> None:
    workspace = Workspace.create(tmp_path / "p")
    _push_boxes(workspace, 3)
    thread = workspace.store._checkpointer._thread
    assert thread.is_alive()
    workspace.close()
    assert not thread.is_alive()
    with Workspace.open(tmp_path / "p") as reopened:
        assert len(reopened.project.annotations) == 3
