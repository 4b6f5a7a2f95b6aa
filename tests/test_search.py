"""Full-text search over archived text: the query and snippet core, and the same searches on a real
SQLite database (FTS5) and a real PostgreSQL server, which must find the same documents.

The whole path (a scan archived by the pipeline, then `motcua search`) is in tests/test_reuse.py."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import update
from sqlmodel import Session

from motcua.agencies import agency_on
from motcua.core.searchtext import folded_words, parse_query, snippet, words
from motcua.errors import BadArguments
from motcua.manifest import DossierManifest
from motcua.services.search import search
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document
from motcua.times import VN_TZ

TEXTS = {
    "land": "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT\nNgười sử dụng đất: Ông Nguyễn Văn Hoá, CCCD số {cccd}\n"
            "Căn cứ Kế hoạch Số: 20/KH-STNMT ngày 22 tháng 4 năm 2022 của Sở.",
    "form": "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI\nKính gửi: Văn phòng Đăng ký đất đai. Hồ sơ {code}.\n"
            "Tôi là bà Trần Thị Hóa, đề nghị đăng ký biến động.",
    "permit": "GIẤY PHÉP MÔI TRƯỜNG\nCấp cho cơ sở chế biến thủy sản; dùng nước mặt sông Hậu.",
}


def test_words_queries_and_snippets():
    assert words("Số: 20/KH-STNMT") == ["số", "20", "kh", "stnmt"]
    assert folded_words("Đăng ký QUYỀN") == ["dang", "ky", "quyen"]
    assert folded_words("hoá") == folded_words("hóa") == ["hoa"]
    q = parse_query('"quyền sử dụng" đất 20/KH-STNMT')
    assert q.phrases == (("quyền", "sử", "dụng"), ("đất",), ("20", "kh", "stnmt")) and not q.folded
    assert parse_query("dang ky", folded=True).phrases == (("dang",), ("ky",))
    assert parse_query(' " " ,. ').empty
    cut = snippet("Căn cứ Kế hoạch Số: 20/KH-STNMT ngày 22", parse_query("20/KH-STNMT"))
    assert cut == "Căn cứ Kế hoạch Số: «20/KH-STNMT» ngày 22"
    assert "«Đăng ký»" in snippet("Văn phòng Đăng ký đất đai", parse_query('"dang ky"', folded=True))


TYPES = {"land": "giay_chung_nhan_qsdd", "form": "don_dang_ky_bien_dong", "permit": "giay_phep_moi_truong"}


def _seed(settings: Settings, tag: str) -> dict[str, str]:
    """Three archived documents of two applicants; their document ids by name."""
    migrate(settings.db_url)
    cccd, other = f"0943{tag}01", f"0943{tag}02"
    received = dt.datetime(2026, 11, 20, 9, 0, tzinfo=VN_TZ)
    ids = {}
    with Session(make_engine(settings.db_url)) as session:
        for name, subject, code in (("land", cccd, f"000.00.20.H13-261120-{tag[:4]}"),
                                    ("form", cccd, f"000.00.20.H13-261121-{tag[:4]}"),
                                    ("permit", other, f"000.00.20.H13-261122-{tag[:4]}")):
            when = received + dt.timedelta(days=len(ids))
            dossier = repository.register_dossier(
                session, manifest=DossierManifest(code=code, applicant={"id": subject}),
                agency=agency_on(settings.agency, when), received_at=when)
            doc = repository.add_document(
                session, dossier_pk=dossier.id, document_id=uuid.uuid4().hex[:20], source_name=f"{name}.png",
                source_sha256=uuid.uuid4().hex, source_bytes=1, kind="component", doc_type=TYPES[name],
                title=None, intake_round=1)
            session.execute(update(Document).where(Document.id == doc.id).values(
                status="archived", archive_key=f"H13/2026/{code}/{doc.document_id}.pdf"))
            body = TEXTS[name].format(cccd=cccd, code=code)
            repository.store_text(session, document_pk=doc.id, body=body, words=" ".join(words(body)),
                                  folded=" ".join(folded_words(body)))
            ids[name] = doc.document_id
        session.commit()
    return ids | {"cccd": cccd, "other": other}


def _found(settings: Settings, query: str, **kw) -> set[str]:
    """The documents found (other tests' documents may share the database: all of them, then)."""
    result = search(settings, query, limit=10_000, **kw)
    assert result["total"] == len(result["results"])
    return {r["document_id"] for r in result["results"]}


def _searches(settings: Settings, ids: dict[str, str]) -> list[tuple[str, set[str]]]:
    mine = {"subject": ids["cccd"]}
    name = {v: k for k, v in ids.items()}
    cases = [
        ("quyền sử dụng đất", {}), ("quyen su dung dat", {}), ("quyen su dung dat", {"fold": True}),
        ("dang ky", {"fold": True}), ("Đăng ký", {}), ("ĐĂNG KÝ", {}), ("hoá", {}), ("hóa", {}),
        ("hoá", {"fold": True}), ('"sử dụng đất"', {}), ('"đất sử dụng"', {}), ("đất thủy", {}),
        ("20/KH-STNMT", {}), (ids["cccd"], {}), ('"ngày 22 tháng 4 năm 2022"', {}),
        ("đất", mine), ("đất", {"doc_type": "don_dang_ky_bien_dong"}), ("đất", {"agency": "H13"}),
        ("đất", {"date_from": dt.date(2026, 11, 21), "date_to": dt.date(2026, 11, 21)}),
        ("tàu ngầm", {}),
    ]
    out = []
    for query, kw in cases:
        out.append((f"{query} {kw}", {name[d] for d in _found(settings, query, **kw) if d in name}))
    return out


EXPECTED = [
    {"land"}, set(), {"land"}, {"form"}, {"form"}, {"form"}, {"land"}, {"form"}, {"land", "form"},
    {"land"}, set(), set(), {"land"}, {"land"}, {"land"}, {"land", "form"}, {"form"}, {"land", "form"},
    {"form"}, set(),
]


def test_search_on_sqlite(tmp_path):
    settings = Settings(data_dir=tmp_path)
    results = _searches(settings, _seed(settings, "1111"))
    assert [found for _q, found in results] == EXPECTED, results
    result = search(settings, '"sử dụng đất"')
    assert result["results"][0]["snippet"].count("«") >= 1
    assert result["results"][0]["type"] == "giay_chung_nhan_qsdd"
    assert search(settings, "tàu ngầm") == {"total": 0, "ranked": 0, "results": []}
    with pytest.raises(BadArguments):
        search(settings, " , ")


def test_beyond_the_ranking_cap_the_newest_matches_are_ranked_and_all_counted(tmp_path, monkeypatch):
    import importlib

    backend = importlib.import_module("motcua.storage.repository.search")

    settings = Settings(data_dir=tmp_path)
    ids = _seed(settings, "2222")
    monkeypatch.setattr(backend, "RANK_AT_MOST", 1)
    found = search(settings, "đất")
    assert (found["total"], found["ranked"]) == (2, 1)
    assert [r["document_id"] for r in found["results"]] == [ids["form"]]  # the newer of the two


def test_search_on_postgres_finds_the_same(tmp_path, postgres_url):
    pg = Settings(data_dir=tmp_path / "pg", database_url=postgres_url)
    lite = Settings(data_dir=tmp_path / "lite")
    tag = uuid.uuid4().hex[:4].translate(str.maketrans("abcdef", "123456"))
    on_pg, on_sqlite = _searches(pg, _seed(pg, tag)), _searches(lite, _seed(lite, tag))
    assert on_pg == on_sqlite
    assert [found for _q, found in on_pg] == EXPECTED, on_pg
