"""The jobs room's errors (see `singlewindow.core.errors`)."""

from __future__ import annotations

from singlewindow.core.errors import Conflict, NotFound


class JobStateConflict(Conflict):
    """A move the job's lifecycle does not allow (finished twice, progress before start)."""


class UnknownJob(NotFound):
    """No such job, or one the reader may not see (the same answer, so ids leak nothing)."""
