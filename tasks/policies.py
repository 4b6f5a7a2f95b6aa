"""Retry policy shared by the step tasks: retry only what may pass.

Bad input fails the same way every time, so retrying it only delays the quarantine; an outside
service that is down (S3, the TSA) may be back in a few seconds.
"""

from __future__ import annotations

from motcua.errors import SignPending, TransientError

IO_RETRY_DELAYS = [1, 4, 10]


def retry_only_transient(task, task_run, state) -> bool:
    """Prefect ``retry_condition_fn``: True only for :class:`TransientError` and
    :class:`SignPending` (the TSA or token may come back)."""
    try:
        state.result()
    except (TransientError, SignPending):
        return True
    except BaseException:
        return False
    return False
