"""The window on a shared (PostgreSQL) project: the frame on screen is leased, other annotators' edits
appear live, and a lead's force-release is one menu action away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from window_support import show_window  # type: ignore[import-not-found]

from annotator.cli.project_commands import copy_project
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations
from annotator.core.model.records import Annotation
from annotator.io.pg.leases import LeaseHeld
from annotator.io.store_api import create_store
from annotator.io.workspace import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.gui]


@pytest.fixture
def shared_street(pg_url: str, street_project: Path) -> str:
    """The street project copied into the shared store."""
    create_store(pg_url, data_root=street_project).close()
    copy_project(street_project, pg_url)
    return pg_url


@pytest.fixture
def alice_window(qtbot, settings, shared_street: str) -> Iterator:
    """alice's window on the shared street project, frame 1 drawn."""
    main = show_window(qtbot, settings, f"{shared_street}?annotator_user=alice")
    yield main
    main.close()


def test_the_frame_on_screen_is_leased_and_others_edits_appear_live(
    alice_window, shared_street, qtbot
) -> None:
    window = alice_window
    frame_id = window.document.frame_id
    assert window.windowTitle() == f"annotator - {shared_street.rsplit('/', 1)[1]}"
    with Workspace.open(f"{shared_street}?annotator_user=bob") as bob:
        with pytest.raises(LeaseHeld, match="leased by alice"):
            bob.store.acquire_lease(frame_id)
        other = next(f.id for f in bob.project.frames_in_order() if f.id != frame_id)
        box = Annotation(0, other, "Van", cuboid=Cuboid((20, -5, -1), (4, 1.8, 1.5), 0.0))
        added = bob.push(AddAnnotations([box])).ids[0]
    qtbot.waitUntil(lambda: added in window.document.project.annotations, timeout=3000)  # the notice, polled


def test_a_lead_force_releases_a_frame_someone_else_holds(alice_window, shared_street, qtbot) -> None:
    window = alice_window
    messages: list[str] = []
    window.leases.message.connect(messages.append)
    with Workspace.open(f"{shared_street}?annotator_user=bob") as bob:
        second = window.document.frames()[1].id
        bob.store.acquire_lease(second)
        window.document.set_frame(second)
        assert messages and "leased by bob" in messages[-1] and "will be refused" in messages[-1]
        window.actions["frame.release_lease"].trigger()
        assert messages[-1] == f"frame {second}: lease released"
        with pytest.raises(LeaseHeld, match="leased by alice"):
            bob.store.acquire_lease(second)
