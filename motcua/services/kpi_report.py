"""The KPI report leaders read (Vietnamese HTML, one self-contained file: no script, no font or
image to fetch), and the CSV of ``motcua kpi --format csv``.

The report shows the period's figures against the plan's targets, the Decision-766 table with its
verdicts, when given the monthly trend of each KPI with its target as a line (inline SVG), and the
time each pipeline step took. Internal electronic routing is the plan's own indicator, not a 766
one: the report says so.
"""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

from motcua.core.kpi import COUNTERS_766, KPIS, LABELS, PASS_766, RATES

_CSS = """
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:2em;color:#1a1a1a}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;padding:.3em .6em}
th{background:#eef}td.n{text-align:right;font-variant-numeric:tabular-nums}
.dat{color:#075f07;font-weight:bold}.khong{color:#a00;font-weight:bold}.na{color:#777}
.trend{display:inline-block;margin:0 1.5em 1.5em 0;vertical-align:top}
.trend svg{border:1px solid #ccc;background:#fcfcfc}small{color:#555}
"""


def _value(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    if name in RATES or name.startswith("rate_"):
        return f"{value * 100:.1f}%".replace(".", ",")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


def _met(met: bool | None) -> str:
    if met is None:
        return '<span class="na">không đánh giá</span>'
    return '<span class="dat">Đạt</span>' if met else '<span class="khong">Không đạt</span>'


def _verdict(verdict: str | None) -> str:
    if verdict is None:
        return '<span class="na">–</span>'
    return f'<span class="{"dat" if verdict == "Đạt" else "khong"}">{escape(verdict)}</span>'


def _count(n: float | int | None) -> str:
    if n is None:
        return "–"
    return f"{n:,.0f}".replace(",", " ") if float(n).is_integer() else f"{n:,.1f}".replace(",", " ")


def _kpi_table(result: dict[str, Any]) -> str:
    rows = []
    for name in KPIS:
        f = result["kpis"][name]
        rows.append(f"<tr><td>{escape(LABELS[name])}<br><small>{name}</small></td>"
                    f"<td class=n>{_count(f['numerator'])}</td><td class=n>{_count(f['denominator'])}</td>"
                    f"<td class=n>{_value(name, f['value'])}</td><td class=n>{_value(name, f['target'])}</td>"
                    f"<td>{_met(f['met'])}</td></tr>")
    return ("<table><tr><th>Chỉ tiêu</th><th>Tử số</th><th>Mẫu số</th><th>Giá trị</th>"
            "<th>Mục tiêu của Kế hoạch</th><th>Đánh giá</th></tr>" + "".join(rows) + "</table>"
            "<p><small>Luân chuyển nội bộ bằng điện tử là chỉ tiêu riêng của Kế hoạch, không thuộc bộ "
            "chỉ số của Quyết định 766/QĐ-TTg. Thời gian chờ: phút trung bình; tử số là tổng số phút. "
            "Năng suất: hồ sơ/01 công chức, quy ra năm.</small></p>")


def _table_766(d: dict[str, Any], by_agency: dict[str, dict[str, Any]]) -> str:
    columns = [("Cơ quan", None)] + [(LABELS[c], c) for c in COUNTERS_766] + [
        ("Tỷ lệ số hóa thành phần", "rate_components"), ("Đánh giá", "verdict_components"),
        ("Tỷ lệ số hóa kết quả", "rate_results"), ("Đánh giá", "verdict_results")]
    head = "".join(f"<th>{escape(label)}</th>" for label, _ in columns)

    def row(label: str, counters: dict[str, Any]) -> str:
        cells = [f"<td>{escape(label)}</td>"]
        for _label, key in columns[1:]:
            if key.startswith("verdict"):
                cells.append(f"<td>{_verdict(counters[key])}</td>")
            elif key.startswith("rate"):
                cells.append(f"<td class=n>{_value(key, counters[key])}</td>")
            else:
                cells.append(f"<td class=n>{_count(counters[key])}</td>")
        return "<tr>" + "".join(cells) + "</tr>"

    body = "".join(row(code, c) for code, c in by_agency.items())
    if len(by_agency) != 1:
        body += row("Tổng", d)
    return f"<table><tr>{head}</tr>{body}</table>"


def _svg_trend(name: str, points: list[tuple[str, float | None]], target: float | None) -> str:
    """A small line chart: the monthly values, and the target as a dashed line."""
    width, height, pad = 320, 160, 28
    values = [v for _m, v in points if v is not None] + ([target] if target is not None else [])
    top = max(values, default=0.0)
    top = (max(top, 1.0) if name in RATES else top or 1.0) * 1.1  # rates: 0–100% at least
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * v / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(LABELS[name])}">']
    if target is not None:
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                     'stroke="#c33" stroke-dasharray="5,4"/>'
                     f'<text x="{width - pad}" y="{y(target) - 4:.1f}" font-size="10" text-anchor="end" '
                     f'fill="#c33">mục tiêu {escape(_value(name, target))}</text>')
    line = [(pad + i * step, y(v)) for i, (_m, v) in enumerate(points) if v is not None]
    if len(line) > 1:
        parts.append('<polyline fill="none" stroke="#235" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{yy:.1f}" for x, yy in line) + '"/>')
    for x, yy in line:
        parts.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3" fill="#235"/>')
    for i, (month, _v) in enumerate(points):
        parts.append(f'<text x="{pad + i * step:.1f}" y="{height - 8}" font-size="9" '
                     f'text-anchor="middle">{escape(month[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _trends(trend: list[dict[str, Any]]) -> str:
    charts = []
    for name in KPIS:
        points = [(t["from"][:7], t["kpis"][name]["value"]) for t in trend]
        target = trend[-1]["kpis"][name]["target"] if trend else None
        charts.append(f'<div class="trend"><b>{escape(LABELS[name])}</b><br>'
                      f"{_svg_trend(name, points, target)}</div>")
    return "".join(charts)


def _steps(steps: list[dict[str, Any]]) -> str:
    if not steps:
        return "<p>Không có bước xử lý nào trong kỳ.</p>"
    rows = "".join(f"<tr><td>{escape(s['step'])}</td><td class=n>{_count(s['count'])}</td>"
                   f"<td class=n>{s['mean_seconds']:.2f}</td><td class=n>{s['max_seconds']:.2f}</td>"
                   f"<td class=n>{_count(s['total_seconds'])}</td></tr>" for s in steps)
    return ("<table><tr><th>Bước</th><th>Số lần</th><th>Trung bình (giây)</th><th>Lâu nhất (giây)</th>"
            f"<th>Tổng (giây)</th></tr>{rows}</table>")


def _summary(periods: dict[str, dict[str, Any]]) -> str:
    head = "".join(f"<th>{escape(label)}<br><small>{r['from']} – {r['to']}</small></th>"
                   for label, r in periods.items())
    rows = []
    for name in KPIS:
        cells = "".join(f"<td class=n>{_value(name, r['kpis'][name]['value'])} {_met(r['kpis'][name]['met'])}</td>"
                        for r in periods.values())
        goal = next(iter(periods.values()))["kpis"][name]["target"]
        rows.append(f"<tr><td>{escape(LABELS[name])}</td>{cells}<td class=n>{_value(name, goal)}</td></tr>")
    return f"<table><tr><th>Chỉ tiêu</th>{head}<th>Mục tiêu</th></tr>{''.join(rows)}</table>"


def render_html(result: dict[str, Any], *, title: str | None = None,
                trend: list[dict[str, Any]] | None = None, steps: list[dict[str, Any]] | None = None,
                periods: dict[str, dict[str, Any]] | None = None) -> str:
    """The report of one ``compute`` result; ``periods`` (label: result) adds a summary of
    several periods, ``trend`` (monthly results) the charts, ``steps`` (step durations) the
    breakdown."""
    period = f"từ ngày {result['from']} đến ngày {result['to']}"
    agency = f" — cơ quan {escape(result['agency'])}" if result["agency"] else ""
    heading = escape(title or "Báo cáo chỉ tiêu số hóa hồ sơ TTHC")
    parts = [f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{heading}</title>'
             f"<style>{_CSS}</style></head><body><h1>{heading}</h1><p>Kỳ báo cáo {period}{agency} "
             "(giờ Việt Nam).</p>"]
    if periods:
        parts += ["<h2>Tóm tắt</h2>", _summary(periods)]
    parts += ["<h2>Chỉ tiêu của Kế hoạch</h2>", _kpi_table(result),
             "<h2>Chỉ số số hóa theo Quyết định 766/QĐ-TTg</h2>",
             _table_766(result["decision_766"], result["decision_766_by_agency"]),
             "<p><small>Đạt: tỷ lệ từ 80% trở lên. Hồ sơ không có thành phần được tính là chưa số hóa; "
             "tỷ lệ số hóa kết quả tính trên mọi hồ sơ đã giải quyết.</small></p>"]
    if trend is not None:
        parts += ["<h2>Diễn biến theo tháng</h2>", _trends(trend)]
    if steps is not None:
        parts += ["<h2>Thời gian xử lý theo bước</h2>", _steps(steps)]
    parts.append("</body></html>")
    return "".join(parts)


def render_csv(result: dict[str, Any]) -> str:
    """One line per figure: the KPIs, then the Decision-766 counters (``766.`` + name)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["from", "to", "agency", "name", "numerator", "denominator", "value", "target", "met"])
    common = [result["from"], result["to"], result["agency"] or ""]

    def cell(v: Any) -> str:
        return "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    for name in KPIS:
        f = result["kpis"][name]
        writer.writerow(common + [name] + [cell(f[k]) for k in ("numerator", "denominator", "value", "target", "met")])
    d = result["decision_766"]
    for name in COUNTERS_766:
        writer.writerow(common + [f"766.{name}", cell(d[name]), "", "", "", ""])
    for rate, num, den, verdict in (("rate_components", "received_with_digitized", "received", "verdict_components"),
                                    ("rate_results", "results_digitized", "resolved", "verdict_results")):
        writer.writerow(common + [f"766.{rate}", cell(d[num]), cell(d[den]), cell(d[rate]), str(PASS_766),
                                  cell(None if d[verdict] is None else d[verdict] == "Đạt")])
    return buffer.getvalue()
