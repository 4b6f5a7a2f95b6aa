"""`motcua kpi`: the plan's figures and the Decision-766 counters for a period, and the dossier
codes behind any of them (``--explain``), so that an inspector can trace a figure to its rows.

The counting is SQL (storage/repository/kpi.py), the arithmetic motcua/core/kpi.py; this module
joins them for one period, and writes the nightly snapshots (flows/kpi.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from motcua.core.kpi import (
    COUNTERS_766,
    KPIS,
    PASS_766,
    Period,
    decision_766,
    figure,
    targets,
)
from motcua.errors import BadArguments
from motcua.settings import Settings
from motcua.storage import reports, repository
from motcua.storage.db import migrate, open_session
from motcua.storage.models import KpiSnapshot
from motcua.storage.repository.kpi import COUNTED_766
from motcua.storage.s3 import make_client
from motcua.times import utcnow

EXPLAINABLE = KPIS + COUNTERS_766


def compute(settings: Settings, period: Period, agency: str | None = None) -> dict[str, Any]:
    """The JSON of ``motcua kpi``: ``{from, to, agency, kpis: {NAME: {numerator, denominator,
    value, target, met}}, decision_766: {...}, decision_766_by_agency: {CODE: {...}}}``."""
    goals = targets(settings.kpi_targets_file)
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        counted = repository.count_kpis(session, start=period.start, end=period.end, agency=agency)
    kpis = {name: figure(name, *counted["kpis"][name], period, goals[name], received=counted["received"])
            for name in KPIS}
    by_agency = counted["by_agency"]
    total = {k: sum(c[k] for c in by_agency.values()) for k in COUNTED_766}
    return {"from": period.date_from.isoformat(), "to": period.date_to.isoformat(), "agency": agency,
            "kpis": kpis, "decision_766": decision_766(total),
            "decision_766_by_agency": {code: decision_766(c) for code, c in by_agency.items()}}


def explain(settings: Settings, name: str, period: Period, agency: str | None = None) -> dict[str, Any]:
    """The dossier codes in the numerator and the denominator of ``name``."""
    if name not in EXPLAINABLE:
        raise BadArguments(f"no figure is called {name!r}", hint=f"one of {', '.join(EXPLAINABLE)}")
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        codes = repository.explain_kpi(session, name, start=period.start, end=period.end, agency=agency)
    return {"name": name, "from": period.date_from.isoformat(), "to": period.date_to.isoformat(),
            "agency": agency, **codes}


def snapshot_rows(result: dict[str, Any], period_kind: str) -> list[KpiSnapshot]:
    """One row per figure and per Decision-766 counter of a ``compute`` result."""
    when, agency = utcnow(), result["agency"] or ""
    common = {"period": period_kind, "date_from": dt.date.fromisoformat(result["from"]),
              "date_to": dt.date.fromisoformat(result["to"]), "agency_code": agency, "computed_at": when}
    rows = [KpiSnapshot(name=name, numerator=f["numerator"], denominator=f["denominator"], value=f["value"],
                        target=f["target"], met=f["met"], **common)
            for name, f in result["kpis"].items()]
    d = result["decision_766"]
    for name in COUNTERS_766:
        rows.append(KpiSnapshot(name=f"766.{name}", numerator=d[name], **common))
    for rate, (num, den), verdict in (("rate_components", ("received_with_digitized", "received"),
                                       "verdict_components"),
                                      ("rate_results", ("results_digitized", "resolved"), "verdict_results")):
        rows.append(KpiSnapshot(name=f"766.{rate}", numerator=d[num], denominator=d[den], value=d[rate],
                                target=PASS_766, met=None if d[verdict] is None else d[verdict] == "Đạt",
                                **common))
    return rows


def save(settings: Settings, result: dict[str, Any], period_kind: str) -> int:
    with open_session(settings.db_url) as session:
        n = repository.save_kpi_snapshots(session, snapshot_rows(result, period_kind))
        session.commit()
    return n


PERIOD_LABELS = {"day": "Ngày", "month": "Tháng đến nay", "year": "Năm đến nay"}


def months(year_to_date: Period) -> list[Period]:
    """The months of a year-to-date period, the last one cut at its end: the report's trend."""
    out, first = [], year_to_date.date_from
    while first <= year_to_date.date_to:
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append(Period(first, min(following - dt.timedelta(days=1), year_to_date.date_to)))
        first = following
    return out


def steps(settings: Settings, period: Period) -> list[dict[str, Any]]:
    """How long each pipeline step took in ``period`` (the report's breakdown)."""
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        return repository.step_durations(session, start=period.start, end=period.end)


def write_report(settings: Settings, day: dt.date, page: str, payload: dict[str, Any]) -> str:
    """The nightly report in the reports bucket: ``kpi/<day>.html`` (and its figures as
    ``kpi/<day>.json``); returns the HTML's key."""
    client = make_client(settings, "pipeline")
    reports.put_json(client, settings.reports_bucket, f"kpi/{day.isoformat()}.json", payload)
    return reports.put_html(client, settings.reports_bucket, f"kpi/{day.isoformat()}.html", page)
