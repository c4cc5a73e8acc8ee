"""The Qt adapter of the job runner: answers on the UI thread, and the only door to threads in qt/."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QThread

import annotator.qt
from annotator.jobs import JobContext
from annotator.qt.jobs import QtJobs

QT_PACKAGE = Path(annotator.qt.__file__).parent
#: What starts a thread of its own; only the adapter may use it.
THREAD_MAKERS = re.compile(r"\b(QThread|QThreadPool|QRunnable|ThreadPoolExecutor|threading\.Thread)\b")


def test_progress_and_result_arrive_on_the_ui_thread(qtbot):
    jobs = QtJobs(threads=2)
    seen, done, workers = [], [], []

    def work(context: JobContext):
        workers.append(QThread.currentThread())
        yield "one"
        yield "two"
        return 3

    def on_progress(item):
        seen.append((item, QThread.currentThread()))

    jobs.submit(work, on_progress=on_progress, on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    ui = QThread.currentThread()
    assert [item for item, _ in seen] == ["one", "two"] and all(thread is ui for _, thread in seen)
    assert done[0].result == 3 and workers[0] is not ui


def test_a_job_failing_reports_its_error_and_the_next_job_runs(qtbot):
    jobs = QtJobs()
    done = []

    def broken(context: JobContext):
        raise RuntimeError("plugin exploded")

    jobs.submit(broken, on_done=done.append)
    jobs.submit(lambda context: "fine", on_done=done.append)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)
    assert done[0].error == "RuntimeError: plugin exploded" and done[1].result == "fine"


def test_a_job_still_running_when_its_owner_is_deleted_stays_quiet(qtbot):
    owner = QObject()
    jobs = QtJobs(owner)
    runner, gate, done = jobs.runner, threading.Event(), []

    def slow(context: JobContext) -> str:
        gate.wait(5.0)
        return "late"

    jobs.submit(slow, on_done=done.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(jobs), timeout=5000)
    gate.set()
    assert runner.wait(5.0)
    qtbot.wait(20)
    assert not done


def test_no_module_of_qt_starts_threads_outside_the_job_adapter():
    offenders = [
        f"{path.relative_to(QT_PACKAGE)}: {match.group(0)}"
        for path in sorted(QT_PACKAGE.rglob("*.py"))
        if path.name != "jobs.py" or path.parent != QT_PACKAGE
        for match in THREAD_MAKERS.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "threads belong to annotator.qt.jobs: " + ", ".join(offenders)
