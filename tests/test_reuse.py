"""Reuse on the real stack: a paper archived with one dossier is found and reused in the
applicant's next one; an expired one is not offered; every refused reuse records nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.samples import render
from motcua.samples.documents import certificate
from motcua.samples.render import Line
from motcua.storage.models import ReuseEvent
from tests.test_pipeline import _rows
from tests.test_routing import motcua
from tests.test_service import _code, _drop, _page, _wait_done

pytestmark = pytest.mark.stack
SUBJECT, OTHER = "094300007788", "094300009900"


def _permit(folder, path_name: str = "giay-phep.png"):
    lines = [Line("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", align="left", bold=True),
             Line("Số: 15/GP-STNMT", align="left", space_after=0.8),
             Line("GIẤY PHÉP MÔI TRƯỜNG", align="center", bold=True, size_pt=15, space_after=0.8),
             Line("Cấp cho: Công ty TNHH Thủy sản Sóc Trăng, cơ sở chế biến thủy sản tại phường 8."),
             Line("Giấy phép này có hiệu lực đến ngày 02/02/2024.", space_after=0.8),
             Line("Sóc Trăng, ngày 3 tháng 2 năm 2019", align="right", italic=True)]
    return render.save_png(render.render_page(lines, dpi=150), folder / path_name)


def test_a_held_paper_is_found_and_reused_in_the_next_dossier(service, tmp_path):
    first, second, foreign = _code(401), _code(402), _code(403)
    cert = render.save_png(render.render_page(
        certificate("Đặng Thị Tái Sử Dụng", SUBJECT, "Sóc Trăng", "31", dt.date(2015, 3, 18)), dpi=150),
        tmp_path / "gcn.png")
    _drop(service, first, {"gcn.png": cert, "giay-phep.png": _permit(tmp_path)},
          {"applicant": {"id": SUBJECT}, "procedure": {"code": "1.004227"}})
    _drop(service, second, {"don.png": _page(tmp_path / "b", "Đặng Thị Tái Sử Dụng")},
          {"applicant": {"id": SUBJECT}, "procedure": {"code": "1.004227"}})
    _drop(service, foreign, {"don.png": _page(tmp_path / "c", "Người Khác")},
          {"applicant": {"id": OTHER}})
    assert _wait_done(service, [first, second, foreign]) == {c: ["done"] for c in (first, second, foreign)}

    papers = motcua(service, "reuse", "find", "--subject", SUBJECT)
    by_type = {p["type"]: p for p in papers if p["dossier"] == first}
    gcn, permit = by_type["giay_chung_nhan_qsdd"], by_type["giay_phep_moi_truong"]  # classified from the text
    assert gcn["reusable"] and gcn["valid_to"] is None and gcn["number"] == "CS 0318"
    assert gcn["issued_on"] == "2015-03-18" and gcn["archive_key"] and gcn["signature_level"] == "B-LT"
    assert not permit["reusable"] and permit["why_not"] == "expired" and permit["valid_to"] == "2024-02-02"
    assert permit["number"] == "15/GP-STNMT" and permit["issuer"] == "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
    only = motcua(service, "reuse", "find", "--subject", SUBJECT, "--type", "giay_phep_moi_truong")
    assert [p["document_id"] for p in only] == [permit["document_id"]]
    motcua(service, "reuse", "find", "--subject", SUBJECT, "--type", "khong_co", code=2)

    # the auditor's search finds the archived (OCR'd) text, exact and folded, identifiers included
    exact = motcua(service, "search", "quyền sử dụng đất", "--subject", SUBJECT)
    assert gcn["document_id"] in {r["document_id"] for r in exact["results"]}
    assert exact["total"] == len(exact["results"]) and "«" in exact["results"][0]["snippet"]
    assert motcua(service, "search", "quyen su dung dat", "--subject", SUBJECT)["total"] == 0
    folded = motcua(service, "search", "quyen su dung dat", "--fold", "--subject", SUBJECT)
    assert {r["document_id"] for r in folded["results"]} == {r["document_id"] for r in exact["results"]}
    by_id = motcua(service, "search", SUBJECT, "--type", "giay_chung_nhan_qsdd")
    assert [r["document_id"] for r in by_id["results"]] == [gcn["document_id"]]
    permit_hit = motcua(service, "search", "15/GP-STNMT")
    assert permit["document_id"] in {r["document_id"] for r in permit_hit["results"]}

    used = motcua(service, "reuse", "use", "--dossier", second, "--document", gcn["document_id"],
                  "--component", "Giấy chứng nhận quyền sử dụng đất", "--as", "Bàn Một Cửa")
    assert used["from_dossier"] == first and used["source"] == "local"
    view = motcua(service, "dossier", "show", second)
    (reused,) = [c for c in view["components"] if c["status"] == "reused"]
    assert reused["document_id"] == gcn["document_id"] and reused["archive_key"] == gcn["archive_key"]

    before = len(_rows(service, ReuseEvent))
    for args, exit_code in (
        (("--dossier", second, "--document", permit["document_id"]), 2),  # expired
        (("--dossier", foreign, "--document", gcn["document_id"]), 2),  # another applicant's
        (("--dossier", second, "--document", "khong-co-tai-lieu"), 2),  # unknown document
        (("--dossier", second, "--document", gcn["document_id"], "--component",
          "Giấy chứng nhận quyền sử dụng đất"), 2),  # already recorded
        (("--dossier", "KHONG-CO-HO-SO", "--document", gcn["document_id"]), 3),  # unknown dossier
    ):
        refused = motcua(service, "reuse", "use", *args, code=exit_code)
        assert refused["error"]["message"]
    assert len(_rows(service, ReuseEvent)) == before == 1

    # declared at intake in dossier.json: the valid paper is recorded, the expired one refused
    declared = _code(404)
    _drop(service, declared, {"don.png": _page(tmp_path / "d", "Đặng Thị Tái Sử Dụng")},
          {"applicant": {"id": SUBJECT},
           "reused": [{"document_id": gcn["document_id"], "component": "GCN"},
                      {"document_id": permit["document_id"]}]})
    assert _wait_done(service, [declared]) == {declared: ["done"]}
    view = motcua(service, "dossier", "show", declared)
    assert [(c["document_id"], c["name"]) for c in view["components"] if c["status"] == "reused"] == [
        (gcn["document_id"], "GCN")]
    assert len(_rows(service, ReuseEvent)) == 2
