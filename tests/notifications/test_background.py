"""The background worker's loop: every registered job runs, a failing one never
stops the others, and the notifications job is registered."""

from __future__ import annotations

from typing import Any

from commentsvc.runtime.background import JOBS, Worker, WorkerContext


class Counting:
    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.interval_seconds = 0.0
        self.runs = 0
        self.fail = fail

    def run_once(self) -> int:
        self.runs += 1
        if self.fail:
            raise RuntimeError("broken")
        return 1


def test_a_failing_job_does_not_stop_the_others() -> None:
    broken, healthy = Counting("broken", fail=True), Counting("healthy")
    worker = Worker([broken, healthy])
    due: dict[str, float] = {}
    for _ in range(3):
        worker.run_due(due)

    assert broken.runs == 3 and healthy.runs == 3


def test_every_background_job_is_registered(app: Any) -> None:
    deps = app.extensions["commentsvc"]
    context = WorkerContext(deps.settings, deps.database.sessions)

    jobs = [make(context) for make in JOBS]

    assert [job.name for job in jobs if job] == ["notifications", "spam learner", "retention"]
