"""The shared PostgreSQL store: several annotators on one project, each a `Workspace` of its own.

These run against the throwaway server `scripts/test.sh` starts (``ANNOTATOR_TEST_PG``); under CI they
never skip.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from tests_support import snapshot  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, update_annotation
from annotator.core.model.records import Annotation, Frame
from annotator.io.errors import ProjectChanged, ProjectError
from annotator.io.pg.leases import LeaseHeld
from annotator.io.pg.store import PgProjectStore
from annotator.io.pg.url import parse_project_url
from annotator.io.workspace import Workspace

pytestmark = pytest.mark.postgres


def as_user(url: str, user: str) -> str:
    """The project URL for annotator ``user``."""
    return f"{url}?annotator_user={user}"


def box(frame_id: int, x: float) -> Annotation:
    """A manual Car cuboid at x."""
    return Annotation(0, frame_id, "Car", cuboid=Cuboid((x, 0, 0), (3.9, 1.6, 1.5), 0.0))


def moved(workspace: Workspace, annotation_id: int, x: float) -> None:
    """Move a box to x (an absolute edit, as a drag makes)."""
    workspace.push(
        update_annotation(
            workspace.project, annotation_id, "Move", cuboid=Cuboid((x, 0, 0), (3.9, 1.6, 1.5), 0.0)
        )
    )


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``check`` (as the window's timer does) until it is true or the time is up."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def x_of(workspace: Workspace, annotation_id: int) -> float:
    return workspace.project.annotations[annotation_id].cuboid.center[0]


@pytest.fixture
def team(pg_url: str, tmp_path: Path):
    """alice and bob with the same fresh project of frames 1, 2, 3 open; alice made one box on frame 1."""
    with Workspace.create(as_user(pg_url, "alice")) as setup:
        setup.push(AddFrames([Frame(i, f"{i:06d}", i, cloud=f"{i:06d}.bin") for i in (1, 2, 3)]))
    alice = Workspace.open(as_user(pg_url, "alice"))
    alice.push(AddAnnotations([box(1, 1.0)]))
    bob = Workspace.open(as_user(pg_url, "bob"))
    yield alice, bob
    alice.close()
    bob.close()


def test_a_project_written_by_one_annotator_reopens_whole(pg_url: str) -> None:
    with Workspace.create(pg_url) as workspace:
        a, b = workspace.push(
            AddFrames([Frame(0, "a", 0, cloud="a.bin"), Frame(0, "b", 1, cloud="b.bin")])
        ).ids
        ids = workspace.push(AddAnnotations([box(a, 2.0), box(b, 3.0)])).ids
        saved = snapshot(workspace.project)
    with Workspace.open(pg_url) as again:
        assert snapshot(again.project) == saved
        assert again.stack.can_undo()
        assert again.store.count("annotations") == 2
        assert again.store.count_by("class_name") == {"Car": 2}
        again.undo()
        assert set(again.project.annotations) == set()
        assert ids


def test_edits_of_different_boxes_both_land_and_show_up_live(team) -> None:
    alice, bob = team
    first = next(iter(alice.project.annotations))
    bobs = bob.push(AddAnnotations([box(2, 7.0)])).ids[0]  # bob is not behind alice: per-record check only
    moved(alice, first, 4.0)
    assert eventually(bob.refresh_if_changed)  # the NOTIFY from alice's commit (delivered asynchronously)
    assert x_of(bob, first) == 4.0
    assert eventually(alice.refresh_if_changed)
    assert x_of(alice, bobs) == 7.0
    assert not alice.refresh_if_changed()  # own commits are no news


def test_a_conflicting_edit_of_one_box_is_refused_naming_who_changed_it(team) -> None:
    alice, bob = team
    target = next(iter(alice.project.annotations))
    moved(bob, target, 9.0)
    with pytest.raises(ProjectChanged, match=r"annotation .* changed .*meanwhile") as refused:
        moved(alice, target, 5.0)  # alice had not seen bob's move: her drag is not written
    assert str(refused.value).startswith(f"{alice.location}: annotation {target} ")  # the project URL
    assert x_of(alice, target) == 9.0  # bob's move is loaded instead
    store = alice.store
    assert isinstance(store, PgProjectStore)
    with Workspace.open(as_user(alice.store.url.dsn + "/" + store.url.project, "carol")) as carol:
        assert x_of(carol, target) == 9.0


def test_the_store_names_the_other_writer_of_a_record(team) -> None:
    alice, bob = team
    target = next(iter(alice.project.annotations))
    moved(bob, target, 9.0)
    stale = dataclasses.replace(alice.project.annotations[target], class_name="Truck")
    from annotator.core.model.commands import HistoryEntry, HistoryUpdate
    from annotator.core.model.project import Change

    change = Change("annotation", target, alice.project.annotations[target], stale)
    with pytest.raises(ProjectChanged, match="changed by bob meanwhile; nothing was written"):
        alice.store.write([change], HistoryUpdate("push", 1, HistoryEntry("Class", (change,))))


def test_undo_is_per_user_and_never_reverts_another_annotators_work(team) -> None:
    alice, bob = team
    target = next(iter(alice.project.annotations))
    bobs = bob.push(AddAnnotations([box(2, 7.0)])).ids[0]
    alice.refresh()
    alice.undo()  # alice's last step is her box, not bob's
    assert target not in alice.project.annotations and bobs in alice.project.annotations
    alice.redo()
    bob.refresh()
    moved(bob, target, 6.0)
    alice.refresh()
    with pytest.raises(ProjectError, match="since edited by bob; undo only reverts your own work"):
        alice.undo()
    assert x_of(alice, target) == 6.0
    assert bob.stack.undo_label() == "Move"


def test_a_leased_frame_refuses_other_annotators_until_a_lead_releases_it(team) -> None:
    alice, bob = team
    alice.store.acquire_lease(2)
    alice.store.acquire_lease(2)  # renewing an own lease is fine
    with pytest.raises(LeaseHeld, match=r"frame 2 is leased by alice until .*--force"):
        bob.store.acquire_lease(2)
    with pytest.raises(LeaseHeld, match="leased by alice"):
        bob.push(AddAnnotations([box(2, 1.0)]))
    assert [a.frame_id for a in bob.project.annotations.values()] == [1]  # the refused box is not kept
    assert not bob.store.release_lease(2)  # not bob's to release
    assert bob.store.release_lease(2, force=True)  # a lead forces it
    bob.store.acquire_lease(2)
    bob.push(AddAnnotations([box(2, 1.0)]))
    assert [lease.holder for lease in bob.store.leases()] == ["bob"]


def drop_connection(store: PgProjectStore, dsn: str) -> None:
    """Cut the store's connection from the server side, as a network drop would."""
    pid = store.db.info.backend_pid
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_edits_made_while_the_connection_is_down_are_replayed_on_reconnect(team) -> None:
    alice, bob = team
    store = alice.store
    target = next(iter(alice.project.annotations))
    drop_connection(store, store.url.dsn)
    moved(alice, target, 3.0)  # shown as done: journaled locally
    added = alice.push(AddAnnotations([box(3, 8.0)])).ids[0]
    assert store.offline and store.journal.path.is_file()
    assert any("lost the connection" in r for r in store.take_reports())
    assert store.reconnect()
    assert store.take_reports() == [f"{store.location}: back online; replayed 2 offline edits"]
    assert not store.journal.path.exists()
    bob.refresh()
    assert x_of(bob, target) == 3.0 and x_of(bob, added) == 8.0
    assert bob.store.count("annotations") == 2  # nothing duplicated


def test_an_offline_edit_that_conflicts_is_kept_aside_and_reported(team) -> None:
    alice, bob = team
    store = alice.store
    target = next(iter(alice.project.annotations))
    drop_connection(store, store.url.dsn)
    moved(alice, target, 3.0)
    moved(bob, target, 9.0)  # bob moves the same box while alice is offline
    assert "lost the connection" in store.take_reports()[0]
    assert store.reconnect()
    (report,) = store.take_reports()
    assert "replayed 0 offline edits, 1 conflicted" in report
    kept = store.journal.conflicts_path.read_text()
    assert "changed by bob meanwhile" in kept and '"action":"push"' in kept
    alice.refresh()
    assert x_of(alice, target) == 9.0  # the server's state; alice's move is in the conflicts file


def test_a_journal_left_by_a_session_that_closed_offline_is_replayed_on_open(team) -> None:
    alice, _ = team
    store = alice.store
    url = as_user(f"{store.url.dsn}/{store.url.project}", "alice")
    drop_connection(store, store.url.dsn)
    alice.push(AddAnnotations([box(3, 4.0)]))
    alice.close()
    with Workspace.open(url) as again:
        assert sorted(a.cuboid.center[0] for a in again.project.annotations.values()) == [1.0, 4.0]


def test_missing_projects_and_servers_are_one_line_errors(pg_dsn: str, pg_url: str) -> None:
    with pytest.raises(ProjectError, match="no such project in the database; create it with 'annotator new"):
        Workspace.open(pg_url)
    Workspace.create(pg_url).close()
    with pytest.raises(ProjectError, match="already holds a project"):
        Workspace.create(pg_url)
    with pytest.raises(ProjectError, match="cannot reach the database"):
        Workspace.open("postgresql://nobody@127.0.0.1:1/nothing/project")


def test_migrations_apply_once_and_a_newer_schema_is_refused(pg_dsn: str, pg_url: str) -> None:
    from annotator.io.pg.schema import MIGRATION_TABLE, migrate, migration_ids

    Workspace.create(pg_url).close()
    migrate(pg_dsn, "db")  # applied already: nothing to do
    with psycopg.connect(pg_dsn, autocommit=True) as db:
        (count,) = db.execute(f"SELECT COUNT(*) FROM {MIGRATION_TABLE}").fetchone()
        assert count == len(migration_ids()) == 2
        db.execute(
            f"INSERT INTO {MIGRATION_TABLE} (migration_hash, migration_id, applied_at_utc) VALUES ('x', '9999_future', now())"
        )
        try:
            with pytest.raises(ProjectError, match=r"newer annotator .*9999_future"):
                migrate(pg_dsn, "db")
        finally:
            db.execute(f"DELETE FROM {MIGRATION_TABLE} WHERE migration_id = '9999_future'")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://host/db", "expected postgresql://HOST/DATABASE/PROJECT"),
        ("postgresql://host/db/a/b", "expected postgresql://HOST/DATABASE/PROJECT"),
        ("postgresql://u:secret@host/db/bad name", "project name"),
    ],
)
def test_bad_project_urls_are_named_without_their_password(url: str, problem: str) -> None:
    with pytest.raises(ProjectError, match=problem) as error:
        parse_project_url(url)
    assert "secret" not in str(error.value)


def test_the_annotator_name_comes_from_the_url_and_never_reaches_the_server() -> None:
    parsed = parse_project_url("postgresql://u:pw@host:5433/db/scans?annotator_user=alice&sslmode=disable")
    assert (parsed.user, parsed.project) == ("alice", "scans")
    assert parsed.dsn == "postgresql://u:pw@host:5433/db?sslmode=disable"
    assert parsed.location == "postgresql://u@host:5433/db/scans?sslmode=disable"


def test_a_lease_nobody_renews_lapses_and_renewing_keeps_it(team) -> None:
    from annotator.io.pg import leases as lease_sql

    alice, bob = team
    store = alice.store
    assert lease_sql.acquire(store.db, store.project_id, 3, "alice", seconds=0) is not None  # lapses at once
    time.sleep(0.01)
    bob.store.acquire_lease(3)  # a crashed window blocks nobody for long
    bob.store.renew_leases()
    with pytest.raises(LeaseHeld, match="leased by bob"):
        alice.store.acquire_lease(3)
    assert [(lease.frame_id, lease.holder) for lease in alice.store.leases()] == [(3, "bob")]


def test_annotators_adding_boxes_at_once_get_ids_nobody_else_gets(team) -> None:
    alice, bob = team
    ids = []
    for x in range(5):  # alternating: with ids from each one's memory, every add would clash
        ids += alice.push(AddAnnotations([box(1, float(x))])).ids
        ids += bob.push(AddAnnotations([box(2, float(x))])).ids
    assert len(bob.project.annotations) == 1 + 5  # no clash made bob reload alice's boxes
    with Workspace.open(as_user(f"{alice.store.url.dsn}/{alice.store.url.project}", "carol")) as carol:
        assert len(carol.project.annotations) == 11 and len(set(ids)) == 10


def test_a_box_made_offline_whose_id_was_taken_meanwhile_is_stored_under_a_new_id(team) -> None:
    alice, bob = team
    store = bob.store
    drop_connection(store, store.url.dsn)
    mine = bob.push(AddAnnotations([box(3, 6.0)])).ids[0]  # offline: an id from bob's own counters
    alice.push(AddAnnotations([dataclasses.replace(box(1, 2.0), id=mine)]))  # alice stores that id first
    assert store.reconnect()
    assert "replayed 1 offline edits, 2 new records renumbered" in store.take_reports()[-1]
    bob.refresh()
    xs = sorted(a.cuboid.center[0] for a in bob.project.annotations.values())
    assert xs == [1.0, 2.0, 6.0]  # alice's box under the id, bob's under a new one, nothing lost
