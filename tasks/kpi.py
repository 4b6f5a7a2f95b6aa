"""The nightly KPI computation's steps as Prefect tasks, each around one call of
:mod:`motcua.services.kpi`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from motcua.core.kpi import Period
from motcua.services import kpi
from motcua.settings import Settings
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient


@task(name="compute-kpis", task_run_name="kpis/{period.date_from}..{period.date_to}", cache_policy=NO_CACHE)
def compute_kpis(settings: Settings, period: Period) -> dict[str, Any]:
    return kpi.compute(settings, period)


@task(name="step-durations", cache_policy=NO_CACHE)
def step_durations(settings: Settings, period: Period) -> list[dict[str, Any]]:
    return kpi.steps(settings, period)


@task(name="save-kpi-snapshots", cache_policy=NO_CACHE)
def save_snapshots(settings: Settings, results: dict[str, dict[str, Any]]) -> int:
    return sum(kpi.save(settings, result, kind) for kind, result in results.items())


@task(name="write-kpi-report", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=IO_RETRY_DELAYS,
      retry_condition_fn=retry_only_transient)
def write_report(settings: Settings, day: dt.date, page: str, payload: dict[str, Any]) -> str:
    return kpi.write_report(settings, day, page, payload)
