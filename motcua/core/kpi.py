"""The plan's KPIs and the Decision-766 counters: names, periods, targets and the arithmetic that
turns counted numerators and denominators into figures (docs/kpi.md has the definitions).

Counting is SQL (motcua/storage/repository/kpi.py), so that it runs where the rows are, on SQLite
and PostgreSQL alike; this module is what is done with the counts, the same for the CLI, the
nightly flow and the report. No I/O except reading the targets file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from motcua.errors import BadArguments, ConfigurationError
from motcua.times import VN_TZ

KPIS = ("digitization_components", "digitization_results", "reuse", "electronic_routing", "online",
        "waiting_minutes", "on_time", "desk_productivity", "satisfaction")
"""The plan's figures, in the order reports show them."""

COUNTERS_766 = ("received", "received_with_digitized", "received_without_digitized", "with_reused",
                "with_reused_national", "resolved", "results_digitized", "results_not_digitized")
"""Decision 766/QĐ-TTg's digitization counters, per agency."""

PASS_766 = 0.8
"""A Decision-766 rate of at least this is ``Đạt``."""

LABELS = {
    "digitization_components": "Số hóa thành phần hồ sơ",
    "digitization_results": "Số hóa kết quả giải quyết",
    "reuse": "Tái sử dụng giấy tờ đã số hóa",
    "electronic_routing": "Luân chuyển nội bộ bằng điện tử",
    "online": "Tiếp nhận trực tuyến",
    "waiting_minutes": "Thời gian chờ trung bình (phút)",
    "on_time": "Giải quyết đúng hạn",
    "desk_productivity": "Hồ sơ/01 công chức một cửa/năm",
    "satisfaction": "Mức độ hài lòng",
    "received": "Tổng số hồ sơ tiếp nhận",
    "received_with_digitized": "Tiếp nhận có số hóa thành phần",
    "received_without_digitized": "Tiếp nhận chưa số hóa thành phần",
    "with_reused": "Có tái sử dụng thành phần",
    "with_reused_national": "Tái sử dụng từ kho dữ liệu quốc gia",
    "resolved": "Tổng số hồ sơ đã giải quyết",
    "results_digitized": "Kết quả đã số hóa",
    "results_not_digitized": "Kết quả chưa số hóa",
}
"""Vietnamese names for reports."""

RATES = {"digitization_components", "digitization_results", "reuse", "electronic_routing", "online",
         "on_time", "satisfaction"}
"""Figures that are shares (shown as percentages); the others are minutes and dossiers a year."""


@dataclass(frozen=True)
class Period:
    """Calendar dates in Asia/Ho_Chi_Minh, both ends included."""

    date_from: dt.date
    date_to: dt.date

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise BadArguments(f"the period ends ({self.date_to}) before it starts ({self.date_from})",
                               hint="--from DATE --to DATE, with --from on or before --to")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def start(self) -> dt.datetime:
        """The first instant of the period (stored times are UTC; this is aware)."""
        return dt.datetime.combine(self.date_from, dt.time(), VN_TZ)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period."""
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time(), VN_TZ)


def standard_periods(today: dt.date) -> dict[str, Period]:
    """What the nightly flow computes on ``today`` (a Vietnamese date): yesterday, and the month
    and the year up to yesterday."""
    day = today - dt.timedelta(days=1)
    return {"day": Period(day, day), "month": Period(day.replace(day=1), day),
            "year": Period(day.replace(month=1, day=1), day)}


@dataclass(frozen=True)
class Target:
    direction: str  # at_least | at_most
    years: dict[int, float | None]
    quote: str

    def for_year(self, year: int) -> float | None:
        known = [y for y in sorted(self.years) if y <= year]
        return self.years[known[-1]] if known else None

    def met(self, value: float | None, target: float | None) -> bool | None:
        if value is None or target is None:
            return None
        return value >= target if self.direction == "at_least" else value <= target


@cache
def targets(path: Path | None = None) -> dict[str, Target]:
    """The targets of ``path`` (the settings' ``kpi_targets_file``), else of the shipped file."""
    source = str(path or "motcua/data/kpi_targets.json")
    try:
        text = Path(path).read_text("utf-8") if path else \
            files("motcua").joinpath("data/kpi_targets.json").read_text("utf-8")
        raw = json.loads(text)["targets"]
        found = {name: Target(direction=t["direction"], quote=t["quote"],
                              years={int(y): (None if v is None else float(v))
                                     for y, v in t["years"].items()})
                 for name, t in raw.items()}
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{source} is not a KPI targets file: {exc}",
                                 hint="compare it with motcua/data/kpi_targets.json") from exc
    wrong = sorted(set(found) ^ set(KPIS))
    bad_direction = sorted(n for n, t in found.items() if t.direction not in ("at_least", "at_most"))
    if wrong or bad_direction:
        raise ConfigurationError(f"{source}: targets must name exactly the KPIs {', '.join(KPIS)}"
                                 + (f"; wrong: {', '.join(wrong)}" if wrong else "")
                                 + (f"; direction must be at_least or at_most: {', '.join(bad_direction)}"
                                    if bad_direction else ""))
    return found


def figure(name: str, numerator: float, denominator: float, period: Period, target: Target,
           *, received: int = 0) -> dict[str, Any]:
    """One KPI as the JSON shows it. A zero denominator gives value, target's verdict (``met``)
    None: nothing to judge. ``received`` (every dossier received in the period) decides the
    plan's exception to desk productivity: a desk that receives fewer than the target a year is
    not judged on it."""
    goal = target.for_year(period.date_to.year)
    if not denominator:
        return {"numerator": numerator, "denominator": denominator, "value": None, "target": goal,
                "met": None}
    value = numerator / denominator
    if name == "desk_productivity":
        value = value * 365 / period.days
    met = target.met(value, goal)
    if name == "desk_productivity" and goal is not None and received * 365 / period.days < goal:
        met = None  # "trừ trường hợp tổng số hồ sơ tiếp nhận trong năm … ít hơn chỉ tiêu trên"
    return {"numerator": numerator, "denominator": denominator, "value": value, "target": goal,
            "met": met}


def verdict(rate: float | None) -> str | None:
    if rate is None:
        return None
    return "Đạt" if rate >= PASS_766 else "Không đạt"


def decision_766(counts: dict[str, int]) -> dict[str, Any]:
    """The national counters from the counted ones, with the two rates and their verdicts."""
    received, resolved = counts["received"], counts["resolved"]
    out: dict[str, Any] = {
        "received": received,
        "received_with_digitized": counts["received_with_digitized"],
        "received_without_digitized": received - counts["received_with_digitized"],
        "with_reused": counts["with_reused"],
        "with_reused_national": counts["with_reused_national"],
        "resolved": resolved,
        "results_digitized": counts["results_digitized"],
        "results_not_digitized": resolved - counts["results_digitized"],
    }
    out["rate_components"] = counts["received_with_digitized"] / received if received else None
    out["rate_results"] = counts["results_digitized"] / resolved if resolved else None
    out["verdict_components"] = verdict(out["rate_components"])
    out["verdict_results"] = verdict(out["rate_results"])
    return out
