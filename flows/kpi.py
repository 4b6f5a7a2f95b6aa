"""The `nightly-kpis` flow: where the plan stands every morning (docs/kpi.md).

Scheduled at 00:30 Asia/Ho_Chi_Minh (``motcua serve``), or run at once with ``motcua kpi
--nightly``. For yesterday, the month to date and the year to date it computes every KPI and
Decision-766 counter in SQL (motcua/storage/repository/kpi.py), writes them as ``KpiSnapshot``
rows (numerator and denominator kept), shows them as a Prefect table artifact, and writes a
Vietnamese HTML report (monthly trend per KPI with its target, the 766 table with verdicts, how
long each pipeline step took) to the reports bucket as ``kpi/<yesterday>.html``, with the figures
as ``kpi/<yesterday>.json``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.schedules import Cron

from motcua.core.kpi import KPIS, PASS_766, standard_periods
from motcua.services.kpi import PERIOD_LABELS, months
from motcua.services.kpi_report import render_html
from motcua.settings import Settings
from motcua.tasks.kpi import compute_kpis, save_snapshots, step_durations, write_report
from motcua.times import VN_TZ_NAME, utcnow, vn_date

NIGHTLY_CRON = "30 0 * * *"  # 00:30 in Vietnam: yesterday is over


@flow(name="nightly-kpis", validate_parameters=False)
def nightly_kpis(settings: Settings | None = None, today: str = "") -> dict[str, Any]:
    """Yesterday's, the month's and the year's figures as of ``today`` (YYYY-MM-DD in Vietnam;
    empty: the real today). ``settings`` empty (a scheduled run): from ``MOTCUA_*``."""
    settings = settings or Settings()
    day = dt.date.fromisoformat(today) if today else vn_date(utcnow())
    periods = standard_periods(day)
    results = {kind: compute_kpis(settings, period) for kind, period in periods.items()}
    trend = [compute_kpis(settings, m) for m in months(periods["year"])[:-1]] + [results["month"]]
    steps = step_durations(settings, periods["year"])
    saved = save_snapshots(settings, results)
    yesterday = periods["day"].date_to
    page = render_html(results["year"], title=f"Báo cáo chỉ tiêu số hóa hồ sơ TTHC, ngày {yesterday:%d/%m/%Y}",
                       trend=trend, steps=steps,
                       periods={PERIOD_LABELS[k]: r for k, r in results.items()})
    key = write_report(settings, yesterday, page, {"periods": results, "steps": steps})
    create_table_artifact(
        key="nightly-kpis",
        table=[{"kpi": name, **{kind: _shown(r["kpis"][name]) for kind, r in results.items()},
                "target": results["year"]["kpis"][name]["target"]} for name in KPIS]
        + [{"kpi": f"766.{rate}", **{kind: _rate(r["decision_766"], rate, verdict) for kind, r in results.items()},
            "target": PASS_766}
           for rate, verdict in (("rate_components", "verdict_components"), ("rate_results", "verdict_results"))],
        description=f"KPIs as of {yesterday}: day, month to date, year to date; report {settings.reports_bucket}/{key}",
    )
    get_run_logger().info("KPIs for %s: %d snapshot rows, report %s", yesterday, saved, key)
    return {"date": yesterday.isoformat(), "snapshots": saved, "report_key": key, "periods": results}


def _rate(counters: dict[str, Any], rate: str, verdict: str) -> str:
    return "–" if counters[rate] is None else f"{counters[rate]:.4g} {counters[verdict]}"


def _shown(f: dict[str, Any]) -> str:
    if f["value"] is None:
        return "–"
    met = {None: "", True: " ✓", False: " ✗"}[f["met"]]
    return f"{f['value']:.4g} ({f['numerator']}/{f['denominator']}){met}"


def nightly_deployment():
    """The scheduled form of :func:`nightly_kpis`, for ``motcua serve``."""
    return nightly_kpis.to_deployment(
        name="nightly", schedule=Cron(NIGHTLY_CRON, timezone=VN_TZ_NAME), parameters={"today": ""},
        description="Yesterday's, the month's and the year's KPIs: snapshots, artifact, HTML report.",
        tags=["motcua"],
    )
