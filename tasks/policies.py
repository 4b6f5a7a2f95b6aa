"""Retry policy shared by the steps: retry only what may pass.

Bad input fails the same way every time, so retrying it only delays the quarantine; an outside
service that is down (S3, the TSA) may be back in a few seconds. Prefect tasks use
:func:`retry_only_transient`; the steps that talk to outside services (sign, archive,
quarantine), and the two ends of a round (tasks/rounds.py), use :func:`retried`, so that every
attempt is a step event of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from motcua.errors import SignPending, TransientError
from motcua.tasks.context import attempt_number

T = TypeVar("T")
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


def retried(call: Callable[[], T], *, delays: list[float] = IO_RETRY_DELAYS,
            retry_on: tuple[type[BaseException], ...] = (TransientError, SignPending)) -> T:
    """``call()``, tried again after each of ``delays`` seconds while it raises ``retry_on``;
    the last error is raised. Each attempt's number is what its step event records."""
    for attempt in range(1, len(delays) + 2):
        token = attempt_number.set(attempt)
        try:
            return call()
        except retry_on:
            if attempt > len(delays):
                raise
        finally:
            attempt_number.reset(token)
        time.sleep(delays[attempt - 1])
    raise AssertionError("unreachable")
