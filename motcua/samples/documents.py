"""Realistic sample dossiers, generated here (nothing is downloaded).

Each dossier is a folder with scans and a ``dossier.json``, as intake staff drop them: Vietnamese
A4 pages in Liberation Serif at 200–300 dpi, some skewed, noisy, stamped with a red seal or signed
in blue ink, saved as PNG, JPEG, multi-page TIFF and scanned-style PDF. The body text of the plan
documents is the real 2022 plan of the Sóc Trăng Department of Natural Resources and Environment
(``motcua/data/ke-hoach-20-KH-STNMT-2022.txt``); people, numbers and addresses are invented.

Every generated document also returns the text that was drawn, so tests and the benchmark can
measure OCR accuracy against it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from motcua.samples import render
from motcua.samples.render import Line, RenderedPage
from motcua.text import clean
from motcua.times import VN_TZ

AGENCY_HEADER = ("UBND THÀNH PHỐ CẦN THƠ", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG")
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
SEAL_TEXT = "Sở Nông nghiệp và Môi trường"

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Lâm", "Thạch"]
_MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Quốc", "Hoàng"]
_GIVEN = ["An", "Bình", "Cường", "Dũng", "Hạnh", "Hương", "Khánh", "Lộc", "Phúc", "Thủy", "Sơn"]
_PLACES = [
    "số 12, đường Trần Hưng Đạo, phường Sóc Trăng, thành phố Cần Thơ",
    "ấp Phú Hữu, xã Long Phú, thành phố Cần Thơ",
    "số 45, đường Lê Lợi, phường Ninh Kiều, thành phố Cần Thơ",
    "ấp Hòa Lời, xã Trần Đề, thành phố Cần Thơ",
]


DAMAGED_SAMPLE = "bao-cao.pdf"
"""The demo's file damaged on purpose: it must end in quarantine while its dossier goes on."""


@dataclass(frozen=True)
class SampleDocument:
    file: Path
    doc_type: str
    title: str
    pages: list[RenderedPage]

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.pages)


@dataclass(frozen=True)
class SampleDossier:
    code: str
    folder: Path
    manifest: dict
    documents: list[SampleDocument]


def plan_paragraphs() -> list[str]:
    """The seed plan's text as paragraphs (its PDF extraction broke lines; rejoin them)."""
    raw = files("motcua").joinpath("data/ke-hoach-20-KH-STNMT-2022.txt").read_text("utf-8")
    paragraphs: list[str] = []
    for line in (ln.strip() for ln in raw.split("\n")):
        if not line:
            continue
        if paragraphs and paragraphs[-1].endswith("-"):  # "27/KH-" + "STNMT ngày ..."
            paragraphs[-1] += line
        elif paragraphs and (line[0].islower() or paragraphs[-1].endswith(",")):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
    paragraphs = [clean(" ".join(p.split())) for p in paragraphs]
    # Skip the seed's own letterhead (blank number and day): pages get a letterhead of their own.
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("Điều chỉnh, bổ sung"))
    return paragraphs[start:]


def _person(rnd: random.Random) -> tuple[str, str, str]:
    name = f"{rnd.choice(_FAMILY)} {rnd.choice(_MIDDLE)} {rnd.choice(_GIVEN)}"
    cccd = "094" + "".join(rnd.choice("0123456789") for _ in range(9))
    return name, cccd, rnd.choice(_PLACES)


def _header(number: str, place_date: str) -> list[Line]:
    return [
        Line("\n".join(AGENCY_HEADER), align="header", right="\n".join(MOTTO), bold=True,
             size_pt=11.5),
        Line(f"Số: {number}", align="left", space_after=0.1),
        Line(place_date, align="right", italic=True, space_after=0.8),
    ]


def _date_words(day: dt.date) -> str:
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


def application_form(name: str, cccd: str, address: str, parcel: str, day: dt.date) -> list[Line]:
    """Đơn đăng ký biến động đất đai: the applicant's own form (a component)."""
    return [
        Line(MOTTO[0], align="center", bold=True, space_after=0),
        Line(MOTTO[1], align="center", bold=True, space_after=0.8),
        Line("ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI, TÀI SẢN GẮN LIỀN VỚI ĐẤT", align="center",
             bold=True, size_pt=14, space_after=0.6),
        Line("Kính gửi: Văn phòng Đăng ký đất đai thành phố Cần Thơ", align="center",
             space_after=0.6),
        Line(f"1. Người sử dụng đất: {name}", align="left"),
        Line(f"Số định danh cá nhân (CCCD): {cccd}", align="left"),
        Line(f"Địa chỉ thường trú: {address}", align="left"),
        Line(f"2. Thửa đất đề nghị đăng ký biến động: thửa đất số {parcel}, tờ bản đồ số 12, "
             "diện tích 156,4 m², mục đích sử dụng: đất ở tại đô thị.", align="left"),
        Line("3. Nội dung biến động: chuyển nhượng quyền sử dụng đất theo hợp đồng đã được "
             f"công chứng {_date_words(day - dt.timedelta(days=9))}.", align="left"),
        Line("4. Giấy tờ kèm theo: bản gốc Giấy chứng nhận quyền sử dụng đất; hợp đồng chuyển "
             "nhượng; tờ khai lệ phí trước bạ.", align="left"),
        Line("Tôi xin cam đoan nội dung kê khai trên đơn là đúng sự thật, nếu sai tôi hoàn "
             "toàn chịu trách nhiệm trước pháp luật.", space_after=0.8),
        Line(f"Cần Thơ, {_date_words(day)}", align="right", italic=True),
        Line("Người viết đơn", align="right", bold=True, space_after=2.5),
        Line(name, align="right"),
    ]


def certificate(name: str, cccd: str, address: str, parcel: str, issued: dt.date) -> list[Line]:
    """A land-use right certificate held by the citizen (a component that is reused later)."""
    return [
        Line(MOTTO[0], align="center", bold=True, space_after=0),
        Line(MOTTO[1], align="center", bold=True, space_after=0.8),
        Line("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", align="center", bold=True, size_pt=15),
        Line("QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT", align="center", bold=True, size_pt=13,
             space_after=0.8),
        Line(f"I. Người sử dụng đất: Ông/Bà {name}, CCCD số {cccd}", align="left"),
        Line(f"Địa chỉ: {address}", align="left", space_after=0.6),
        Line("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", align="left", bold=True),
        Line(f"a) Thửa đất số: {parcel}; b) Tờ bản đồ số: 12; c) Diện tích: 156,4 m²; "
             "d) Hình thức sử dụng: riêng; đ) Mục đích sử dụng: đất ở tại đô thị; "
             "e) Thời hạn sử dụng: lâu dài; g) Nguồn gốc sử dụng: nhận chuyển nhượng "
             "đất được công nhận quyền sử dụng đất.", align="left", space_after=0.8),
        Line(f"Số vào sổ cấp GCN: CS 0{parcel}8", align="left", space_after=0.8),
        Line(f"Sóc Trăng, {_date_words(issued)}", align="right", italic=True),
        Line("TM. ỦY BAN NHÂN DÂN TỈNH", align="right", bold=True),
        Line("KT. CHỦ TỊCH", align="right", bold=True),
    ]


def plan_pages(number: str, day: dt.date, pages: int, start: int = 0) -> list[list[Line]]:
    """Pages of the seed plan, the first with the official header."""
    paragraphs = plan_paragraphs()
    out: list[list[Line]] = []
    cursor = start
    for page_no in range(pages):
        lines: list[Line] = []
        if page_no == 0:
            lines += _header(number, f"Sóc Trăng, {_date_words(day)}")
            lines.append(Line("KẾ HOẠCH", align="center", bold=True, size_pt=14, space_after=0.1))
        lines += [Line(p, space_after=0.15) for p in paragraphs[cursor:cursor + 14]]
        cursor += 14
        out.append(lines)
    return out


def decision(number: str, name: str, cccd: str, parcel: str, day: dt.date) -> list[Line]:
    """A decision the agency issues: the dossier's result (kết quả giải quyết)."""
    return _header(number, f"Cần Thơ, {_date_words(day)}") + [
        Line("QUYẾT ĐỊNH", align="center", bold=True, size_pt=14, space_after=0.1),
        Line("Về việc chỉnh lý biến động quyền sử dụng đất", align="center", bold=True,
             space_after=0.6),
        Line("GIÁM ĐỐC SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", align="center", bold=True,
             space_after=0.6),
        Line("Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024; Căn cứ Nghị định số "
             "101/2024/NĐ-CP ngày 29 tháng 7 năm 2024 của Chính phủ quy định về điều tra cơ bản "
             "đất đai, đăng ký, cấp Giấy chứng nhận quyền sử dụng đất;"),
        Line(f"Xét đơn đăng ký biến động của ông/bà {name}, CCCD số {cccd};"),
        Line("QUYẾT ĐỊNH:", align="center", bold=True),
        Line(f"Điều 1. Chỉnh lý biến động thửa đất số {parcel}, tờ bản đồ số 12 cho ông/bà "
             f"{name}, theo hồ sơ đã nộp tại Bộ phận Một cửa."),
        Line("Điều 2. Văn phòng Đăng ký đất đai có trách nhiệm cập nhật cơ sở dữ liệu đất đai "
             "và trả kết quả cho người sử dụng đất theo quy định."),
        Line("Điều 3. Quyết định này có hiệu lực kể từ ngày ký.", space_after=0.8),
        Line("GIÁM ĐỐC", align="right", bold=True, space_after=2.5),
        Line("Trần Văn Sơn", align="right", bold=True),
    ]


def dossier_code(agency_code: str, day: dt.date, seq: int) -> str:
    return f"000.00.20.{agency_code}-{day:%y%m%d}-{seq:04d}"


def _write_manifest(folder: Path, manifest: dict) -> None:
    (folder / "dossier.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def make_demo_dossiers(
    out_dir: Path, *, agency_code: str, received: dt.datetime, seed: int = 2022
) -> list[SampleDossier]:
    """Three dossiers as intake staff would drop them; the third carries a damaged file."""
    rnd = random.Random(seed)
    day = received.astimezone(VN_TZ).date()
    dossiers: list[SampleDossier] = []

    # 1. A citizen registers a land transfer at the counter: a form and a held certificate.
    name, cccd, address = _person(rnd)
    parcel = str(rnd.randint(100, 999))
    code = dossier_code(agency_code, day, 1)
    folder = out_dir / code
    folder.mkdir(parents=True, exist_ok=True)
    form = render.render_page(application_form(name, cccd, address, parcel, day), dpi=300)
    form = render.add_signature(form, at=(0.60, 0.51), seed=1)
    cert = render.render_page(certificate(name, cccd, address, parcel, dt.date(2015, 3, 18)), dpi=200)
    cert = render.add_noise(render.skew(render.add_seal(cert, center=(0.72, 0.66), text="UBND tỉnh Sóc Trăng"), 1.2), seed=2)
    docs = [
        SampleDocument(render.save_png(form, folder / "don-dang-ky.png"), "don_dang_ky",
                       "Đơn đăng ký biến động đất đai", [form]),
        SampleDocument(render.save_scanned_pdf([cert], folder / "giay-chung-nhan.pdf"),
                       "giay_chung_nhan_qsdd", "Giấy chứng nhận quyền sử dụng đất", [cert]),
    ]
    dossiers.append(_finish(folder, code, docs, received, "counter",
                            {"id": cccd, "name": name, "kind": "citizen"},
                            {"code": "1.004227", "name": "Đăng ký biến động quyền sử dụng đất"}))

    # 2. The same citizen's dossier is resolved: the decision (a result), signed and sealed.
    code = dossier_code(agency_code, day, 2)
    folder = out_dir / code
    folder.mkdir(parents=True, exist_ok=True)
    dec = render.render_page(decision(f"{rnd.randint(10, 99)}/QĐ-SNNMT", name, cccd, parcel, day), dpi=250)
    dec = render.add_signature(render.add_seal(dec, center=(0.70, 0.57), text=SEAL_TEXT), at=(0.72, 0.58), seed=3)
    docs = [SampleDocument(render.save_png(dec, folder / "quyet-dinh.png"), "quyet_dinh",
                           "Quyết định chỉnh lý biến động", [dec])]
    dossiers.append(_finish(folder, code, docs, received, "online",
                            {"id": cccd, "name": name, "kind": "citizen"},
                            {"code": "1.004227", "name": "Đăng ký biến động quyền sử dụng đất"},
                            kinds={"quyet-dinh.png": "result"}))

    # 3. A department files its plan: a 3-page TIFF from the batch scanner, one sheet crooked,
    #    and a PDF that was cut short in transfer (it goes to quarantine; the rest goes on).
    code = dossier_code(agency_code, day, 3)
    folder = out_dir / code
    folder.mkdir(parents=True, exist_ok=True)
    pages = [render.render_page(lines, dpi=300) for lines in
             plan_pages("20/KH-STNMT", dt.date(2022, 4, 22), 3)]
    pages[1] = render.skew(pages[1], -1.5)
    pages[2] = render.add_noise(pages[2], seed=4)
    docs = [SampleDocument(render.save_tiff(pages, folder / "ke-hoach.tif"), "ke_hoach",
                           "Kế hoạch số 20/KH-STNMT", pages)]
    broken = folder / DAMAGED_SAMPLE
    broken.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n% cut")
    dossiers.append(_finish(folder, code, docs, received, "counter",
                            {"id": "2200123456", "name": "Công ty TNHH Môi trường Xanh",
                             "kind": "organisation"},
                            {"code": "1.010734", "name": "Cấp giấy phép môi trường"},
                            extra=[{"file": DAMAGED_SAMPLE, "type": "bao_cao",
                                    "title": "Báo cáo (tệp hỏng)"}]))
    return dossiers


def _finish(folder: Path, code: str, docs: list[SampleDocument], received: dt.datetime,
            channel: str, applicant: dict, procedure: dict, *, kinds: dict | None = None,
            extra: list[dict] | None = None) -> SampleDossier:
    manifest = {
        "code": code,
        "applicant": applicant,
        "procedure": procedure,
        "channel": channel,
        "received_at": received.astimezone(VN_TZ).isoformat(),
        "due_at": (received + dt.timedelta(days=10)).astimezone(VN_TZ).isoformat(),
        "documents": [
            {"file": d.file.name, "type": d.doc_type, "title": d.title,
             "kind": (kinds or {}).get(d.file.name, "component")}
            for d in docs
        ] + (extra or []),
    }
    _write_manifest(folder, manifest)
    return SampleDossier(code=code, folder=folder, manifest=manifest, documents=docs)
