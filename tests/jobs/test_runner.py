"""The job runner without Qt: progress, cancel, superseded and stale answers, errors, snapshots."""

from __future__ import annotations

import threading
import time

from tests_support import car

from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.errors import AnnotatorError
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.jobs import CancelToken, JobContext, JobRunner


class Source:
    """A project with an undo stack, its generation bumped on every change (as the document does)."""

    def __init__(self) -> None:
        self.project = Project()
        self.stack = UndoStack(self.project)
        self.generation = 0
        self.project.events.batch.connect(self._changed)
        self.stack.push(AddFrames([Frame(0, "first", 0)]))

    def _changed(self, _changes) -> None:
        self.generation += 1

    def snapshot(self) -> Project:
        return self.project.copy()


def test_a_generator_job_reports_progress_then_its_result_on_the_owners_thread():
    runner = JobRunner()
    seen, done, threads = [], [], set()

    def work(context: JobContext):
        threads.add(threading.get_ident())
        yield from range(3)
        return "all three"

    runner.submit(work, on_progress=seen.append, on_done=done.append)
    assert runner.run_until_idle(10.0)
    assert seen == [0, 1, 2]
    assert [o.result for o in done] == ["all three"] and done[0].ok
    assert threading.get_ident() not in threads  # it ran in a worker, the answer came here


def test_a_plain_function_reports_progress_through_its_context():
    runner = JobRunner()
    seen, done = [], []

    def work(context: JobContext) -> int:
        context.progress("half")
        return 42

    runner.submit(work, on_progress=seen.append, on_done=done.append)
    runner.run_until_idle(10.0)
    assert seen == ["half"] and done[0].result == 42


def test_cancel_stops_a_generator_at_its_next_step_and_reports_cancelled():
    runner = JobRunner()
    started, steps, done = threading.Event(), [], []

    def work(context: JobContext):
        for step in range(1000):
            started.set()
            steps.append(step)
            time.sleep(0.005)
            yield step
        return "finished"

    handle = runner.submit(work, on_done=done.append)
    assert started.wait(5.0)
    handle.cancel()
    runner.run_until_idle(10.0)
    assert done[0].cancelled and done[0].result is None and not done[0].ok
    assert len(steps) < 1000


def test_a_job_cancelled_while_queued_never_starts():
    runner = JobRunner(threads=1)
    gate, ran, done = threading.Event(), [], []
    runner.submit(lambda context: gate.wait(5.0))
    queued = runner.submit(lambda context: ran.append(True), on_done=done.append)
    queued.cancel()
    gate.set()
    runner.run_until_idle(10.0)
    assert not ran and done[0].cancelled


def test_a_later_job_of_the_same_name_supersedes_the_earlier_one():
    runner = JobRunner(threads=1)
    gate, done, progress = threading.Event(), [], []

    def slow(context: JobContext):
        gate.wait(5.0)
        yield "old step"
        return "old"

    runner.submit(slow, name="merge", on_progress=progress.append, on_done=done.append)
    runner.submit(lambda context: "new", name="merge", on_done=done.append)
    gate.set()
    runner.run_until_idle(10.0)
    assert [o.result for o in done] == ["new"] and not progress


def test_an_exception_becomes_a_one_line_error_and_the_runner_goes_on():
    runner = JobRunner()
    done = []

    def broken(context: JobContext):
        raise ValueError("bad calibration")

    def refused(context: JobContext):
        raise AnnotatorError("frame 3: no such file")

    runner.submit(broken, on_done=done.append)
    runner.run_until_idle(10.0)
    runner.submit(refused, on_done=done.append)
    runner.submit(lambda context: "still works", on_done=done.append)
    runner.run_until_idle(10.0)
    assert [o.error for o in done] == ["ValueError: bad calibration", "frame 3: no such file", ""]
    assert done[2].result == "still works"


def test_the_job_reads_a_snapshot_that_edits_of_the_live_project_do_not_change():
    source = Source()
    runner = JobRunner()
    frame_id = next(iter(source.project.frames))
    source.stack.push(AddAnnotations([car(frame_id)]))
    read, edited, done = threading.Event(), threading.Event(), []

    def count(context: JobContext) -> tuple[int, bool]:
        before = len(context.snapshot.annotations)
        read.set()
        assert edited.wait(5.0)
        return before, len(context.snapshot.annotations) == before

    runner.submit(count, source=source, on_done=done.append)
    assert read.wait(5.0)
    source.stack.push(AddAnnotations([car(frame_id, 5.0), car(frame_id, 9.0)]))
    edited.set()
    runner.run_until_idle(10.0)
    assert done[0].stale  # the project moved on: the result is withheld
    assert len(source.project.annotations) == 3


def test_a_stale_answer_is_dropped_and_a_job_with_replans_runs_again_on_a_fresh_snapshot():
    source = Source()
    runner = JobRunner()
    frame_id = next(iter(source.project.frames))
    first, done = threading.Event(), []
    runs = []

    def count(context: JobContext) -> int:
        runs.append(context.generation)
        if len(runs) == 1:
            assert first.wait(5.0)
        return len(context.snapshot.annotations)

    runner.submit(count, source=source, replans=1, on_done=done.append)
    source.stack.push(AddAnnotations([car(frame_id)]))
    first.set()
    runner.run_until_idle(10.0)
    assert len(runs) == 2 and runs[1] == source.generation
    assert done[0].ok and done[0].result == 1  # planned again on the edited project


def test_an_answer_for_the_current_generation_is_delivered():
    source = Source()
    runner = JobRunner()
    done = []
    runner.submit(lambda context: len(context.snapshot.frames), source=source, on_done=done.append)
    runner.run_until_idle(10.0)
    assert done[0].ok and done[0].result == 1


def test_forget_drops_the_answers_and_wait_returns_once_jobs_ended():
    runner = JobRunner()
    done = []
    token_seen: list[CancelToken] = []

    def work(context: JobContext):
        token_seen.append(context.token)
        while not context.cancelled:
            time.sleep(0.002)
            yield None

    runner.submit(work, name="loop", on_done=done.append)
    deadline = time.monotonic() + 5.0
    while not token_seen and time.monotonic() < deadline:
        time.sleep(0.002)
    assert runner.busy()
    runner.forget("loop")
    assert runner.wait(5.0)
    runner.process()
    assert not done and not runner.busy() and not runner.pending("loop")


def test_answers_go_through_the_deliver_function_when_one_is_given():
    delivered: list = []
    runner = JobRunner(deliver=delivered.append)
    done = []
    runner.submit(lambda context: "x", on_done=done.append)
    assert runner.wait(5.0)
    assert len(delivered) == 1 and not done
    delivered[0]()
    assert done[0].result == "x"


def test_without_the_guard_an_answer_is_delivered_though_the_project_moved_on():
    source = Source()
    runner = JobRunner()
    gate, done = threading.Event(), []

    def count(context: JobContext) -> int:
        assert gate.wait(5.0)
        return len(context.snapshot.annotations)

    runner.submit(count, source=source, guard=False, on_done=done.append)
    source.stack.push(AddAnnotations([car(next(iter(source.project.frames)))]))
    gate.set()
    runner.run_until_idle(10.0)
    assert done[0].ok and done[0].result == 0  # what the snapshot held


class Closed:
    """A source with no project open (the document after File > Close)."""

    generation = 7

    def snapshot(self) -> None:
        return None


def test_a_job_needing_a_snapshot_when_no_project_is_open_answers_stale_without_running():
    runner = JobRunner()
    ran, done = [], []
    runner.submit(lambda context: ran.append(context), source=Closed(), replans=2, on_done=done.append)
    runner.run_until_idle(5.0)
    assert not ran and done[0].stale and done[0].result is None
