"""Whole routes on the real stack, through the commands a unit types: a dossier dropped into
intake is digitized and handed on by the desk, units receive and send it (electronically and
on paper), a supplement is requested, one dossier is refused, a step is late, and the result goes
through the pipeline as kind ``result``, signed and archived, before the desk returns it.

The rules themselves, transition by transition, are tests/test_routing_rules.py."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from motcua.samples import render
from motcua.samples.documents import certificate
from motcua.settings import Settings
from motcua.storage.models import Document, StatusChange
from motcua.times import VN_TZ
from tests.fixtures.service import MOTCUA, SERVICE_ENV
from tests.test_pipeline import TODAY, _rows
from tests.test_service import _code, _drop, _page, _rounds, _wait_done

pytestmark = pytest.mark.stack


def motcua(settings: Settings, *args: str, code: int | None = 0) -> dict | list | None:
    proc = subprocess.run([MOTCUA, "--data-dir", str(settings.data_dir), *args, "--json"],
                          capture_output=True, text=True, env=SERVICE_ENV, timeout=300)
    if code is not None:
        assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def _state(settings: Settings, code: str) -> tuple:
    view = motcua(settings, "dossier", "show", code)
    return (view["status"], [(h["to"], h["received_at"]) for h in view["handoffs"]],
            len([e for e in view["events"] if e["kind"] == "status"]))


def _result_page(folder: Path) -> Path:
    page = render.render_page(certificate("Lê Thị Kết Quả", "094300006666", "Cần Thơ", "12", TODAY), dpi=150)
    return render.save_png(page, folder / "giay-chung-nhan.png")


def test_a_land_dossier_from_intake_to_its_returned_result(service, tmp_path):
    code = _code(301)
    month_ago = (dt.datetime.now(VN_TZ) - dt.timedelta(days=30)).replace(tzinfo=None).isoformat()
    _drop(service, code, {"don.png": _page(tmp_path, "Lê Thị Kết Quả")},
          {"procedure": {"code": "1.004227"}, "applicant": {"id": "094300006666"},
           "received_at": month_ago})  # received a month ago: the desk's step is late
    assert _wait_done(service, [code]) == {code: ["done"]}

    view = motcua(service, "dossier", "show", code)
    assert view["status"] == "processing" and view["holder"] is None
    assert [(h["from"], h["to"], h["mode"], h["sent_by"]) for h in view["handoffs"]] == [
        ("MOTCUA", "VPDK", "electronic", "motcua")]
    assert [c["status"] for c in view["components"]] == ["digitized"]
    assert view["steps"][0]["overdue"] is True and view["steps"][1]["overdue"] is False
    inbox = motcua(service, "route", "inbox", "VPDK")
    (item,) = [i for i in inbox if i["dossier"] == code]
    assert item["from"] == "MOTCUA" and item["received_at"] is None and item["overdue"] is False

    officer = ["--as", "Trần Thị Đất"]
    motcua(service, "route", "receive", code, "--unit", "VPDK", *officer)
    before = _state(service, code)
    motcua(service, "route", "receive", code, "--unit", "VPDK", *officer, code=2)  # twice
    motcua(service, "route", "return", code, "--unit", "MOTCUA", "--as", "Bàn Một Cửa", code=2)
    motcua(service, "route", "send", code, "--unit", "THUE", "--as", "X", "--to", "VPDK", code=2)
    assert _state(service, code) == before  # nothing recorded

    motcua(service, "route", "send", code, "--unit", "VPDK", *officer, "--to", "THUE", "--paper",
           "--received-by", "Cán bộ thuế", "--note", "phiếu chuyển thông tin địa chính")
    motcua(service, "route", "send", code, "--unit", "THUE", "--as", "Cán bộ thuế", "--to", "VPDK")
    motcua(service, "route", "receive", code, "--unit", "VPDK", *officer)

    resolved = motcua(service, "route", "resolve", code, "--unit", "VPDK", *officer,
                      "--result", str(_result_page(tmp_path)))
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert resolved["on_time"] is False  # due 10 working days after a month-old receipt
    assert resolved["result"]["kind"] == "result" and resolved["result"]["archive_key"]
    (result_row,) = [d for d in _rows(service, Document) if d.document_id == resolved["result"]["document_id"]]
    assert (result_row.kind, result_row.status, result_row.signature_level, result_row.intake_round) == \
        ("result", "archived", "B-LT", 2)
    assert [r.state for r in _rounds(service, code)] == ["done", "done"]  # the result's own round

    motcua(service, "route", "send", code, "--unit", "VPDK", *officer, "--to", "MOTCUA")
    motcua(service, "route", "receive", code, "--unit", "MOTCUA", "--as", "Bàn Một Cửa")
    returned = motcua(service, "route", "return", code, "--unit", "MOTCUA", "--as", "Bàn Một Cửa")
    assert returned["status"] == "returned" and returned["returned_at"] >= returned["resolved_at"]
    assert [(h["from"], h["to"], h["mode"]) for h in returned["handoffs"]] == [
        ("MOTCUA", "VPDK", "electronic"), ("VPDK", "THUE", "paper"), ("THUE", "VPDK", "electronic"),
        ("VPDK", "MOTCUA", "electronic")]
    paper = returned["handoffs"][1]
    assert paper["sent_at"] == paper["received_at"] and paper["received_by"] == "Cán bộ thuế"
    assert [e["to"] for e in returned["events"] if e["kind"] == "status"] == ["processing", "resolved", "returned"]
    assert {"step", "sent", "received", "status"} <= {e["kind"] for e in returned["events"]}

    audit = motcua(service, "audit", "verify", code)
    assert audit["ok"] and sorted(d["kind"] for d in audit["documents"]) == ["component", "result"]

    human = subprocess.run([MOTCUA, "--data-dir", str(service.data_dir), "dossier", "show", code],
                           capture_output=True, text=True, env=SERVICE_ENV, timeout=60)
    assert human.returncode == 0 and "Đã trả kết quả" in human.stdout and "QUÁ HẠN" in human.stdout
    sheet = motcua(service, "dossier", "sheet", code, "-o", str(tmp_path / "phieu.html"))
    html = Path(sheet["path"]).read_text(encoding="utf-8")
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in html and "Quá hạn" in html
    assert "Văn phòng Đăng ký đất đai" in html and "giao nhận trên giấy" in html


def test_a_supplement_request_then_a_refusal(service, tmp_path):
    code = _code(302)
    proc = subprocess.run([MOTCUA, "--data-dir", str(service.data_dir), "digitize",
                           str(_page(tmp_path, "Võ Văn Môi Trường")), "--dossier", code,
                           "--procedure", "1.010734", "--json"],
                          capture_output=True, text=True, env=SERVICE_ENV, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert [i["dossier"] for i in motcua(service, "route", "inbox", "CCBVMT")].count(code) == 1

    motcua(service, "route", "receive", code, "--unit", "CCBVMT", "--as", "Chuyên viên A")
    asked = motcua(service, "route", "request-supplement", code, "--unit", "CCBVMT", "--as",
                   "Chuyên viên A", "--reason", "thiếu báo cáo đề xuất cấp giấy phép")
    assert asked["status"] == "supplement_requested"
    motcua(service, "route", "send", code, "--unit", "CCBVMT", "--as", "Chuyên viên A", "--to", "MOTCUA")
    motcua(service, "route", "receive", code, "--unit", "MOTCUA", "--as", "Bàn Một Cửa")
    refused = motcua(service, "route", "refuse", code, "--unit", "MOTCUA", "--as", "Bàn Một Cửa",
                     "--reason", "quá hạn bổ sung hồ sơ")
    assert refused["status"] == "refused"
    changes = [(e["to"], e["reason"]) for e in refused["events"] if e["kind"] == "status"]
    assert changes[-2:] == [("supplement_requested", "thiếu báo cáo đề xuất cấp giấy phép"),
                            ("refused", "quá hạn bổ sung hồ sơ")]

    before = (_state(service, code), len(_rounds(service, code)))
    motcua(service, "route", "send", code, "--unit", "MOTCUA", "--as", "B", "--to", "CCBVMT", code=2)
    motcua(service, "route", "resolve", code, "--unit", "MOTCUA", "--as", "B",
           "--result", str(_result_page(tmp_path)), code=2)
    assert (_state(service, code), len(_rounds(service, code))) == before  # not even uploaded
    assert code not in [i["dossier"] for i in motcua(service, "route", "inbox", "MOTCUA")]
    error = motcua(service, "dossier", "show", "KHONG-CO-HO-SO", code=3)
    assert error["error"]["code"] == "unknown_dossier"
    assert len(_rows(service, StatusChange)) >= 4
