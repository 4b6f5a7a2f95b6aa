"""The control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ), printable HTML in Vietnamese.

The paper form of Circular 01/2018/TT-VPCP (form 02) travels with the dossier and each unit
writes on it who handed it to whom and when, and whether its step ended ahead of time, on time or
late. This is the same sheet filled from the handoff rows (:func:`motcua.services.dossier_view.show`),
so the desk can print it for a file that must still exist on paper. A pure function of that view.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from motcua.times import VN_TZ

_CSS = """
body { font-family: "Times New Roman", "Noto Serif", serif; font-size: 13pt; margin: 2cm; }
h1 { font-size: 14pt; text-align: center; margin: 1em 0 0.2em; }
.head { display: flex; justify-content: space-between; text-align: center; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; }
th, td { border: 1px solid #000; padding: 4px 6px; vertical-align: top; }
th { font-size: 12pt; } .late { color: #b00; font-weight: bold; } p { margin: 0.2em 0; }
@media print { body { margin: 1cm; } }
"""


def _time(value: str | None) -> str:
    if not value:
        return "…giờ…phút, ngày…/…/…"
    t = dt.datetime.fromisoformat(value).astimezone(VN_TZ)
    return f"{t:%H} giờ {t:%M} phút, ngày {t:%d/%m/%Y}"


def _verdict(step: dict[str, Any] | None) -> str:
    """Trước hạn / Đúng hạn / Quá hạn for a step that has ended; blank while it runs."""
    if step is None or not step.get("ended_at") or not step.get("due_at"):
        return ""
    ended = dt.datetime.fromisoformat(step["ended_at"])
    due = dt.datetime.fromisoformat(step["due_at"])
    if ended > due:
        return '<span class="late">Quá hạn</span>'
    return "Trước hạn" if ended.astimezone(VN_TZ).date() < due.astimezone(VN_TZ).date() else "Đúng hạn"


def render_html(view: dict[str, Any]) -> str:
    names = view.get("units", {})

    def unit(code: str | None) -> str:
        return escape(names.get(code, code or "")) if code else ""

    steps = view["steps"]
    offset = 1 if view.get("route") else 0
    rows = []
    for i, h in enumerate(view["handoffs"]):
        ended_step = steps[i + offset - 1] if i + offset - 1 >= 0 and steps else None
        mode = "trên giấy" if h["mode"] == "paper" else "điện tử"
        note = "; ".join(x for x in (escape(h["note"] or ""), f"giao nhận {mode}") if x)
        rows.append(
            f"<tr><td><p>{i + 1}. Giao: {unit(h['from'])}</p><p>Nhận: {unit(h['to'])}</p></td>"
            f"<td><p>{_time(h['sent_at'])}</p>"
            f"<p>Người giao: {escape(h['sent_by'] or '')}</p>"
            f"<p>Người nhận: {escape(h['received_by'] or '')} "
            f"{'' if h['received_at'] else '(chưa nhận)'}</p></td>"
            f"<td>{_verdict(ended_step)}</td><td>{note}</td></tr>")
    if view.get("returned_at"):
        rows.append(f"<tr><td><p>{len(rows) + 1}. Trả kết quả cho tổ chức, cá nhân</p></td>"
                    f"<td><p>{_time(view['returned_at'])}</p></td>"
                    f"<td>{_verdict(steps[-1] if steps else None)}</td><td></td></tr>")
    route = [unit(code) for code in (view.get("route") or [])]
    handling = ", ".join(dict.fromkeys(route[1:-1])) or "–"
    applicant = view["applicant"]
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Phiếu kiểm soát – {escape(view['code'])}</title><style>{_CSS}</style></head>
<body>
<div class="head"><div>{escape(view['agency']['name'] or '').upper()}<br>BỘ PHẬN MỘT CỬA</div>
<div>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>Độc lập - Tự do - Hạnh phúc</div></div>
<h1>PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ</h1>
<p>Mã hồ sơ: <b>{escape(view['code'])}</b></p>
<p>Thủ tục: {escape(view['procedure']['code'] or '')} {escape(view['procedure']['name'] or '')}</p>
<p>Tổ chức, cá nhân: {escape(applicant['name'] or '')} {escape(applicant['id'] or '')}</p>
<p>Tiếp nhận: {_time(view['received_at'])}; hẹn trả: {_time(view['due_at'])}</p>
<p>Cơ quan (bộ phận) giải quyết hồ sơ: {handling}</p>
<table><thead><tr><th>TÊN CƠ QUAN</th><th>THỜI GIAN GIAO, NHẬN HỒ SƠ</th>
<th>KẾT QUẢ GIẢI QUYẾT HỒ SƠ<br>(Trước hạn/đúng hạn/quá hạn)</th><th>GHI CHÚ</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p>Tình trạng: {escape(view['status_label'])}</p>
</body></html>
"""
