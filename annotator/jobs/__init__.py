"""Background jobs without Qt: a job is a function of a `JobContext` (a snapshot of the project, a cancel
token, a progress callback), or a generator that yields its progress; `JobRunner` runs jobs in a small
thread pool and hands progress and outcomes to the thread that owns them (the UI thread in the app,
through `annotator.qt.jobs`), dropping superseded answers and answers that came back stale."""

from __future__ import annotations

from annotator.jobs.runner import JobContext, JobHandle, JobRunner, Outcome, SnapshotSource
from annotator.jobs.token import CancelToken, JobCancelled

__all__ = [
    "CancelToken",
    "JobCancelled",
    "JobContext",
    "JobHandle",
    "JobRunner",
    "Outcome",
    "SnapshotSource",
]
