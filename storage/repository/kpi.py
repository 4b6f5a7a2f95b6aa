"""The KPI counts, in SQL that runs on SQLite and PostgreSQL (docs/kpi.md has the definitions).

One relation of *facts*, a row per dossier touched by the period (received, resolved or returned
in it), feeds every figure. A dossier motcua received itself (``source = 'motcua'``) gets its
facts from its own rows: its component documents and reuse events, its result documents, its
handoffs; an imported one (``source = 'import'``) from the counts of its ``DossierRecord``. The
one-stop system's times, desk officer and rating come from the record for both. Each figure is
then a pair of predicates over the facts (:data:`DEFINITIONS`), used once to count and once by
``--explain`` to list the dossier codes, so the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, text
from sqlmodel import Session

from motcua.storage.models import KpiSnapshot

# A motcua dossier's counts, each a correlated subquery on an indexed dossier_id.
_DOCS = "SELECT count(*) FROM document x WHERE x.dossier_id = d.id AND x.kind = '{kind}'"
_OWN = {
    "components": f"({_DOCS.format(kind='component')}) + "
                  "(SELECT count(*) FROM reuseevent e WHERE e.dossier_id = d.id)",
    "digitized": f"({_DOCS.format(kind='component')} AND x.status = 'archived')",
    "reused": "(SELECT count(*) FROM reuseevent e WHERE e.dossier_id = d.id)",
    "national": "(SELECT count(*) FROM reuseevent e WHERE e.dossier_id = d.id AND e.source = 'national')",
    "result": f"CASE WHEN ({_DOCS.format(kind='result')}) = 0 THEN 'none' "
              f"WHEN ({_DOCS.format(kind='result')} AND x.status <> 'archived') > 0 THEN 'issued' "
              "ELSE 'digitized' END",
    "electronic": "(SELECT count(*) FROM handoff h WHERE h.dossier_id = d.id AND h.mode = 'electronic')",
    "paper": "(SELECT count(*) FROM handoff h WHERE h.dossier_id = d.id AND h.mode = 'paper')",
}
_IMPORTED = {"components": "r.components", "digitized": "r.components_digitized",
             "reused": "r.components_reused", "national": "r.components_reused_national",
             "result": "r.result", "electronic": "r.handoffs_electronic", "paper": "r.handoffs_paper"}

_IN = "d.{col} >= :start AND d.{col} < :end"


def _facts(agency: bool) -> str:
    counts = ",\n".join(f"CASE WHEN d.source = 'import' THEN {_IMPORTED[k]} ELSE {_OWN[k]} END AS {k}"
                        for k in _OWN)
    flags = ",\n".join(f"CASE WHEN {_IN.format(col=c)} THEN 1 ELSE 0 END AS {n}"
                       for n, c in (("rec", "received_at"), ("res", "resolved_at"), ("ret", "returned_at")))
    return (
        "SELECT d.code, d.agency_code, d.channel, d.received_at, d.resolved_at, d.due_at, "
        "r.arrived_at, r.intake_started_at, r.desk_officer, r.rating,\n"
        f"{counts},\n{flags}\n"
        "FROM dossier d LEFT JOIN dossierrecord r ON r.dossier_id = d.id\n"
        f"WHERE ({' OR '.join(_IN.format(col=c) for c in ('received_at', 'resolved_at', 'returned_at'))})"
        + (" AND d.agency_code = :agency" if agency else ""))


_ALL_DIGITIZED = "f.components > 0 AND COALESCE(f.digitized, 0) + COALESCE(f.reused, 0) >= f.components"

DEFINITIONS: dict[str, tuple[str, str]] = {
    # name: (denominator, numerator); a dossier is in the numerator when both hold
    "digitization_components": ("f.rec = 1 AND f.components > 0", _ALL_DIGITIZED),
    "digitization_results": ("f.res = 1 AND f.result IN ('issued', 'digitized')", "f.result = 'digitized'"),
    "reuse": ("f.rec = 1", "COALESCE(f.reused, 0) > 0"),
    "electronic_routing": ("f.res = 1 AND COALESCE(f.electronic, 0) + COALESCE(f.paper, 0) > 0",
                           "COALESCE(f.paper, 0) = 0"),
    "online": ("f.rec = 1", "f.channel = 'online'"),
    # the numerator is the sum of the minutes, the value their mean
    "waiting_minutes": ("f.rec = 1 AND f.channel = 'counter' AND f.arrived_at IS NOT NULL "
                        "AND f.intake_started_at IS NOT NULL", "1 = 1"),
    "on_time": ("f.res = 1 AND f.due_at IS NOT NULL", "f.resolved_at <= f.due_at"),
    # the numerator counts the dossiers, the denominator the distinct officers
    "desk_productivity": ("f.rec = 1 AND f.channel = 'counter' AND f.desk_officer IS NOT NULL", "1 = 1"),
    "satisfaction": ("f.ret = 1 AND f.rating IS NOT NULL", "f.rating >= 4"),
}
"""Each KPI of motcua/core/kpi.py as SQL over the facts ``f``."""

COUNTED_766: dict[str, str] = {
    "received": "f.rec = 1",
    "received_with_digitized": f"f.rec = 1 AND {_ALL_DIGITIZED}",
    "with_reused": "f.rec = 1 AND COALESCE(f.reused, 0) > 0",
    "with_reused_national": "f.rec = 1 AND COALESCE(f.national, 0) > 0",
    "resolved": "f.res = 1",
    "results_digitized": "f.res = 1 AND f.result = 'digitized'",
}
"""The Decision-766 counters that are counted; the others are differences (core/kpi.py)."""

DERIVED_766 = {"received_without_digitized": ("received", "received_with_digitized"),
               "results_not_digitized": ("resolved", "results_digitized")}


def _minutes(dialect: str) -> str:
    if dialect == "sqlite":
        # whole seconds: julianday's fraction of a day is not exact (75 min came out 74.99999955)
        return "ROUND((julianday(f.intake_started_at) - julianday(f.arrived_at)) * 86400.0) / 60.0"
    return "ROUND(EXTRACT(EPOCH FROM (f.intake_started_at - f.arrived_at))) / 60.0"  # the same whole seconds


def _bind(session: Session, start: dt.datetime, end: dt.datetime, agency: str | None) -> dict:
    """Instants as the ORM stores them (naive UTC on SQLite). On PostgreSQL, also no JIT for
    this transaction: the correlated subqueries make the planner's cost high enough to compile
    every query, which took 0.5 s of each month's 2 s (benchmarks/README.md)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
    if session.get_bind().dialect.name == "sqlite":  # as SQLAlchemy writes them, microseconds included
        start, end = (t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for t in (start, end))
    return {"start": start, "end": end} | ({"agency": agency} if agency else {})


def count(session: Session, *, start: dt.datetime, end: dt.datetime,
          agency: str | None = None) -> dict[str, Any]:
    """Every numerator and denominator of the period ``[start, end)``, and the Decision-766
    counters per agency: ``{"kpis": {name: (num, den)}, "received": n, "by_agency": {code:
    {counter: n}}}``. Two scans of the facts: one for the figures, one grouped by agency."""
    dialect = session.get_bind().dialect.name
    cols = []
    for name, (den, num) in DEFINITIONS.items():
        if name == "waiting_minutes":
            cols.append(f"SUM(CASE WHEN {den} THEN {_minutes(dialect)} ELSE 0 END) AS {name}__num")
        else:
            cols.append(f"SUM(CASE WHEN ({den}) AND ({num}) THEN 1 ELSE 0 END) AS {name}__num")
        if name == "desk_productivity":
            cols.append(f"COUNT(DISTINCT CASE WHEN {den} THEN f.desk_officer END) AS {name}__den")
        else:
            cols.append(f"SUM(CASE WHEN {den} THEN 1 ELSE 0 END) AS {name}__den")
    cols.append("SUM(f.rec) AS all_received")
    params = _bind(session, start, end, agency)
    facts = _facts(agency is not None)
    row = session.execute(text(f"WITH f AS MATERIALIZED ({facts}) SELECT {', '.join(cols)} FROM f"), params).one()
    got = row._mapping
    kpis = {name: (_number(got[f"{name}__num"]), _number(got[f"{name}__den"])) for name in DEFINITIONS}
    per = ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}"
                    for name, cond in COUNTED_766.items())
    by_agency = {r._mapping["agency_code"]: {k: int(r._mapping[k] or 0) for k in COUNTED_766}
                 for r in session.execute(text(
                     f"WITH f AS MATERIALIZED ({facts}) SELECT f.agency_code, {per} FROM f GROUP BY f.agency_code "
                     "ORDER BY f.agency_code"), params)}
    return {"kpis": kpis, "received": int(got["all_received"] or 0), "by_agency": by_agency}


def _number(value: Any) -> float | int:
    if value is None:
        return 0
    return int(value) if float(value).is_integer() else float(value)


def explain(session: Session, name: str, *, start: dt.datetime, end: dt.datetime,
            agency: str | None = None) -> dict[str, list[str]]:
    """The dossier codes behind one figure: ``{"numerator": [...], "denominator": [...]}``.
    For desk productivity the denominator lists the officers; for a Decision-766 counter the
    numerator is its dossiers and the denominator those of the total it is part of."""
    params = _bind(session, start, end, agency)
    facts = _facts(agency is not None)

    def codes(where: str, column: str = "f.code") -> list[str]:
        # sorted here, by code point: the databases' collations would order them differently
        return sorted(r[0] for r in session.execute(text(
            f"WITH f AS MATERIALIZED ({facts}) SELECT DISTINCT {column} FROM f WHERE {where}"), params))

    if name in DEFINITIONS:
        den, num = DEFINITIONS[name]
        return {"numerator": codes(f"({den}) AND ({num})"),
                "denominator": codes(den, "f.desk_officer") if name == "desk_productivity" else codes(den)}
    if name in DERIVED_766:
        total, part = DERIVED_766[name]
        # CASE, not NOT: a part that is NULL (an unknown count) must land in the difference, as
        # it does in the count (received minus received_with_digitized)
        return {"numerator": codes(f"({COUNTED_766[total]}) AND "
                                   f"(CASE WHEN {COUNTED_766[part]} THEN 1 ELSE 0 END) = 0"),
                "denominator": codes(COUNTED_766[total])}
    total = "received" if name in ("received", "received_with_digitized", "with_reused",
                                   "with_reused_national") else "resolved"
    return {"numerator": codes(COUNTED_766[name]), "denominator": codes(COUNTED_766[total])}


STEP_ORDER = ("receive", "scan", "ocr", "assemble", "sign", "archive", "index", "quarantine", "renew")


def step_durations(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """How long each pipeline step took, over the completed steps that started in ``[start,
    end)``: count, mean, longest and total seconds, in pipeline order."""
    if session.get_bind().dialect.name == "sqlite":
        # to the millisecond: julianday's day fraction is only good to ~20 µs
        secs = "ROUND((julianday(finished_at) - julianday(started_at)) * 86400000.0) / 1000.0"
    else:
        secs = "EXTRACT(EPOCH FROM (finished_at - started_at))"
    rows = session.execute(text(
        f"SELECT step, count(*), avg({secs}), max({secs}), sum({secs}) FROM stepevent "
        "WHERE status = 'completed' AND finished_at IS NOT NULL "
        "AND started_at >= :start AND started_at < :end GROUP BY step"),
        _bind(session, start, end, None)).all()
    order = {name: i for i, name in enumerate(STEP_ORDER)}
    return [{"step": step, "count": int(n), "mean_seconds": float(mean), "max_seconds": float(longest),
             "total_seconds": float(total)}
            for step, n, mean, longest, total in sorted(rows, key=lambda r: (order.get(r[0], 99), r[0]))]


def save_snapshots(session: Session, rows: Iterable[KpiSnapshot]) -> int:
    """Write the figures of a computation, replacing those of the same period, agency and name
    (a rerun of the nightly flow for a day overwrites that day's rows)."""
    n = 0
    for row in rows:
        session.execute(delete(KpiSnapshot).where(
            KpiSnapshot.period == row.period, KpiSnapshot.date_from == row.date_from,
            KpiSnapshot.date_to == row.date_to, KpiSnapshot.agency_code == row.agency_code,
            KpiSnapshot.name == row.name))
        session.add(row)
        n += 1
    session.flush()
    return n
