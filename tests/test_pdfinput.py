"""Born-digital and mixed PDFs on real files made on the fly (motcua.samples.digital): their text
is read, not OCR'd; active content is found and removed; signed files are never rewritten; image
pages of a mixed PDF get a text layer that lands on their words, and nothing else changes."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import unicodedata
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from motcua.core.ocr import OcrOptions, ocr_pages
from motcua.core.pdfactive import strip_active_content
from motcua.core.pdfinput import inspect_pdf, render_page_image
from motcua.core.pdflayers import TextLayer, add_text_layers
from motcua.core.quality import character_error_rate
from motcua.core.scan import ScanOptions, normalise_page
from motcua.errors import BadInput
from motcua.samples import digital, documents, render
from motcua.text import clean
from tests.fixtures.pki import sign_with
from tests.pages import body_page

OPTS = ScanOptions(max_file_bytes=50 * 2**20, max_pages=20, max_page_pixels=100_000_000,
                   min_dpi=200, drop_blank_pages=False, workers=2)
OCR = OcrOptions(languages="vie", workers=2, timeout_seconds=120)
DAY = dt.date(2025, 5, 2)


def _norm(text: str) -> str:
    return " ".join(clean(text).split())


def _form() -> list[render.Line]:
    return documents.application_form("Nguyễn Thị Hương", "094123456789",
                                      "ấp Hòa Lời, xã Trần Đề, thành phố Cần Thơ", "45", DAY)


def _pdftotext(path: Path, index: int, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, "-f", str(index + 1), "-l", str(index + 1),
                           str(path), "-"], capture_output=True, text=True, check=True).stdout


def _contents(page) -> list[bytes]:
    contents = page["/Contents"]
    streams = contents if isinstance(contents, list) else [contents]
    return [s.get_object().get_data() for s in streams]


def _refused(path: Path, opts: ScanOptions = OPTS) -> BadInput:
    with pytest.raises(BadInput) as info:
        inspect_pdf(path, opts)
    return info.value


@pytest.fixture(scope="module")
def born(tmp_path_factory) -> digital.DigitalPdf:
    folder = tmp_path_factory.mktemp("born")
    return digital.born_digital_pdf([_form(), documents.plan_paragraphs()[:7]], folder / "bd.pdf")


# --- what a PDF carries -----------------------------------------------------------------------


def test_born_digital_text_is_read_as_drawn(born):
    facts = inspect_pdf(born.path, OPTS)
    assert facts.born_digital and facts.image_pages == () and facts.flags == ("has_text",)
    assert not facts.signed and facts.active_content == ()
    for page in facts.pages:
        assert page.has_text and page.images == 0 and page.rotate == 0
        assert (page.width_pt, page.height_pt) == pytest.approx((595.28, 841.89), abs=0.01)
        assert unicodedata.is_normalized("NFC", page.text)
        assert _norm(page.text) == _norm(born.page_text(page.index))  # every character, in order
    assert "Số định danh cá nhân (CCCD): 094123456789" in facts.pages[0].text


def test_letterhead_is_read_column_by_column(tmp_path):
    lines = documents.decision("20/QĐ-STNMT", "Trần Văn Sơn", "094123456789", "45", DAY)
    pdf = digital.born_digital_pdf([lines], tmp_path / "qd.pdf")
    (page,) = inspect_pdf(pdf.path, OPTS).pages
    # drawn row by row across the two columns, read as a reader does: one column, then the other
    assert "UBND THÀNH PHỐ CẦN THƠ SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG" in _norm(page.text)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc" in _norm(page.text)
    assert "Số: 20/QĐ-STNMT" in page.text


def test_rotated_page_keeps_its_text(born, tmp_path):
    turned = digital.set_rotation(born.path, tmp_path / "r.pdf", {0: 90})
    page = inspect_pdf(turned, OPTS).pages[0]
    assert page.rotate == 90 and _norm(page.text) == _norm(born.page_text(0))


def test_scanned_pdf_has_no_text(tmp_path):
    pdf = render.save_scanned_pdf([body_page(dpi=150), body_page(dpi=150, start=20)],
                                  tmp_path / "scan.pdf")
    facts = inspect_pdf(pdf, OPTS)
    assert facts.image_pages == (0, 1) and not facts.born_digital and facts.flags == ()
    assert all(p.text == "" and p.images == 1 for p in facts.pages)


def test_a_scan_with_someone_elses_ocr_layer_has_text(tmp_path):
    """Any letter or digit counts (that page is not OCR'd again); stray marks do not."""
    pdf = FPDF(unit="pt")
    jpeg = BytesIO()
    body_page(dpi=100).image.save(jpeg, format="JPEG")
    for hidden in ("Trang 1", " . - "):
        pdf.add_page(format=(595, 842))
        pdf.image(BytesIO(jpeg.getvalue()), x=0, y=0, w=595, h=842)
        pdf.set_font("helvetica", size=8)
        pdf.text_mode = TextMode.INVISIBLE
        pdf.text(500, 820, hidden)
    pdf.output(str(tmp_path / "ocrd.pdf"))
    facts = inspect_pdf(tmp_path / "ocrd.pdf", OPTS)
    assert [(p.has_text, p.text, p.images) for p in facts.pages] == [(True, "Trang 1", 1),
                                                                     (False, "", 1)]


# --- bad input: the same refusals as the scan step --------------------------------------------


def test_encrypted_pdf_is_refused(born, tmp_path):
    writer = PdfWriter(clone_from=born.path)
    writer.encrypt(user_password="", owner_password="owner")  # opens without one: refused too
    writer.write(tmp_path / "locked.pdf")
    err = _refused(tmp_path / "locked.pdf")
    assert err.code == "encrypted" and "password" in err.message


def test_corrupt_pdf_is_refused(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n"
                    b"trailer << /Root 1 0 R >>\n%%EOF\n")
    err = _refused(bad)
    assert err.code == "corrupt" and "cannot be read" in err.message


def test_limits(born, tmp_path):
    three = digital.born_digital_pdf([["Trang một."], ["Trang hai."], ["Trang ba."]],
                                     tmp_path / "three.pdf")
    err = _refused(three.path, ScanOptions(**{**OPTS.__dict__, "max_pages": 2}))
    assert err.code == "over_limits" and "3 pages" in err.message
    small = ScanOptions(**{**OPTS.__dict__, "max_page_pixels": 1_000_000})
    assert inspect_pdf(born.path, small).born_digital  # text pages are never rendered
    scan = render.save_scanned_pdf([body_page(dpi=150)], tmp_path / "scan.pdf")
    err = _refused(scan, small)
    assert err.code == "over_limits" and "1,000,000" in err.message


# --- active content ---------------------------------------------------------------------------

FOUND = {  # what with_active_content plants → the kinds inspect_pdf must name
    "javascript": {"javascript"}, "open_action": {"open_action"},
    "additional_actions": {"additional_actions"}, "launch": {"launch"},
    "embedded_files": {"embedded_files"}, "file_attachment": {"embedded_files"},
    "associated_file": {"embedded_files"},
    "submit_form": {"submit_form"}, "import_data": {"import_data"},
    "rich_media": {"rich_media"}, "xfa": {"xfa"}, "outline_javascript": {"javascript"},
    "next_javascript": {"javascript"}, "field_javascript": {"additional_actions", "javascript"},
}


def _no_active_objects(path: Path) -> None:
    """No object anywhere in the file (referenced or not) is JavaScript or an embedded file."""
    reader = PdfReader(path)
    for idnum in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(idnum)
        if isinstance(obj, dict):
            assert "/JS" not in obj and obj.get("/Type") != "/EmbeddedFile", (idnum, obj)
    assert digital.EMBEDDED_MARKER not in path.read_bytes()


@pytest.mark.parametrize("kind", sorted(FOUND))
def test_each_kind_is_found_and_removed(born, tmp_path, kind):
    assert set(FOUND) == set(digital.ACTIVE_KINDS)
    planted = digital.with_active_content(born.path, tmp_path / "in.pdf", [kind, "uri_link"])
    assert inspect_pdf(planted, OPTS).active_content == tuple(sorted(FOUND[kind]))
    carries_file = kind in ("embedded_files", "file_attachment", "associated_file")
    assert (digital.EMBEDDED_MARKER in planted.read_bytes()) == carries_file
    clean_pdf = tmp_path / "out.pdf"
    assert strip_active_content(planted, clean_pdf) == tuple(sorted(FOUND[kind]))
    before, after = inspect_pdf(planted, OPTS), inspect_pdf(clean_pdf, OPTS)
    assert after.active_content == () and "active_content" not in after.flags
    assert [p.text for p in after.pages] == [p.text for p in before.pages]
    _no_active_objects(clean_pdf)
    old, new = PdfReader(planted), PdfReader(clean_pdf)
    assert len(new.pages) == len(old.pages)
    for p, q in zip(old.pages, new.pages, strict=True):
        assert _contents(q) == _contents(p) and q.mediabox == p.mediabox
        assert list(q["/Resources"]["/Font"]) == list(p["/Resources"]["/Font"])
    assert "https://dichvucong.gov.vn/" in _uris(old) and _uris(new) == _uris(old)  # links stay


def _uris(reader: PdfReader) -> list[str]:
    annots = [a.get_object() for p in reader.pages for a in p.get("/Annots", [])]
    return [a["/A"]["/URI"] for a in annots if "/A" in a and "/URI" in a["/A"]]


def test_everything_at_once_and_the_form_stays(born, tmp_path):
    planted = digital.with_active_content(born.path, tmp_path / "in.pdf", digital.ACTIVE_KINDS)
    every = tuple(sorted(set().union(*FOUND.values())))
    assert inspect_pdf(planted, OPTS).active_content == every
    assert strip_active_content(planted, tmp_path / "out.pdf") == every
    assert inspect_pdf(tmp_path / "out.pdf", OPTS).active_content == ()
    _no_active_objects(tmp_path / "out.pdf")
    (field,) = PdfReader(tmp_path / "out.pdf").trailer["/Root"]["/AcroForm"]["/Fields"]
    assert field.get_object()["/T"] == "so_cccd" and "/AA" not in field.get_object()


def test_nothing_to_remove_copies_byte_for_byte(born, tmp_path):
    assert strip_active_content(born.path, tmp_path / "copy.pdf") == ()
    assert (tmp_path / "copy.pdf").read_bytes() == born.path.read_bytes()


# --- signatures -------------------------------------------------------------------------------


def test_signed_pdf_is_recognised_and_never_rewritten(born, test_pki, tmp_path):
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(sign_with(born.path.read_bytes(), test_pki, level="B-B"))
    facts = inspect_pdf(signed, OPTS)
    assert facts.signed and "signed" in facts.flags and facts.born_digital
    with pytest.raises(ValueError, match="signature"):
        strip_active_content(signed, tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="signature"):
        add_text_layers(signed, tmp_path / "y.pdf", {})
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_empty_signature_field_is_not_a_signature(born, tmp_path):
    writer = IncrementalPdfFileWriter(BytesIO(born.path.read_bytes()))
    append_signature_field(writer, SigFieldSpec("chu_ky", on_page=0, box=(400, 60, 560, 120)))
    out = BytesIO()
    writer.write(out)
    (tmp_path / "field.pdf").write_bytes(out.getvalue())
    assert not inspect_pdf(tmp_path / "field.pdf", OPTS).signed


# --- image pages: rendered, OCR'd, text layer grafted back ------------------------------------


def test_render_page_as_shown(born, tmp_path):
    writer = PdfWriter(clone_from=born.path)
    writer.pages[0].cropbox = RectangleObject((0, 0, 400, 600))
    writer.pages[0].rotation = 90
    writer.write(tmp_path / "cropped.pdf")
    raw = render_page_image(tmp_path / "cropped.pdf", 0, tmp_path, OPTS)
    assert raw.image.size == (2500, 1667) and raw.dpi == 300  # 600×400 pt as shown, at 300 dpi
    assert raw.flags == ["rasterised"] and not list(tmp_path.glob("*.ppm"))


def _ink_box(path: Path, index: int, folder: Path) -> np.ndarray:
    base = folder / f"ink-{index}"
    subprocess.run(["pdftoppm", "-f", str(index + 1), "-l", str(index + 1), "-r", "72", "-gray",
                    "-singlefile", str(path), str(base)], check=True)
    with Image.open(base.with_suffix(".pgm")) as img:
        ys, xs = np.nonzero(np.asarray(img) < 128)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=float)


def _word_box(path: Path, index: int) -> np.ndarray:
    html = _pdftotext(path, index, "-bbox")
    boxes = np.array(re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"',
                                html), dtype=float)
    return np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])


SCANS = {  # how the scanned page sits in the PDF
    "skewed": (lambda p: render.skew(p, 2.5), None),  # fed crooked: the scan step deskews it
    "rotate_attr": (lambda p: render.rotate_quarter(p, 1), 90),  # stored sideways, shown upright
    "sideways": (lambda p: render.rotate_quarter(p, 1), None),  # the scan step turns it upright
}


@pytest.mark.parametrize("case", sorted(SCANS))
def test_mixed_pdf_ocrs_only_the_image_page(tmp_path, case):
    make, rotate = SCANS[case]
    scan = body_page(dpi=300)
    mixed = digital.mixed_pdf(_form(), make(scan), tmp_path / "mixed.pdf")
    src = mixed.path
    if rotate:
        src = digital.set_rotation(src, tmp_path / "rotated.pdf", {1: rotate})
    facts = inspect_pdf(src, OPTS)
    assert facts.image_pages == (1,) and facts.pages[0].has_text

    raw = render_page_image(src, 1, tmp_path, OPTS)
    assert "rasterised" not in raw.flags  # the embedded scan itself, no resampling
    (tmp_path / "scan").mkdir()
    page = normalise_page(raw, tmp_path / "scan", OPTS)
    assert page.height > page.width  # upright for Tesseract…
    turned = {"skewed": "deskewed", "sideways": "rotated"}.get(case)  # …by the scan step here
    assert [f for f in page.flags if f in ("deskewed", "rotated")] == ([turned] if turned else [])
    (text,) = ocr_pages([page], OCR)
    out = tmp_path / "out.pdf"
    add_text_layers(src, out, {1: TextLayer(text.text_pdf, page.rotation + text.turned, page.skew)})

    # the born-digital page is untouched: same text, same streams, same fonts
    assert _norm(_pdftotext(out, 0)) == _norm(mixed.page_text(0))
    old, new = PdfReader(src), PdfReader(out)
    assert _contents(new.pages[0]) == _contents(old.pages[0])
    assert list(new.pages[0]["/Resources"]["/Font"]) == list(old.pages[0]["/Resources"]["/Font"])
    assert set(_contents(old.pages[1])) <= set(_contents(new.pages[1]))  # the scan's own stream
    assert "/Font" not in new.pages[1]["/Resources"]  # the layer's font lives in its own form
    for p, q in zip(old.pages, new.pages, strict=True):
        assert (q.mediabox, q.cropbox, q.rotation) == (p.mediabox, p.cropbox, p.rotation)

    # the image page now reads as what the paper says, and its words sit on the ink
    assert character_error_rate(scan.text, _pdftotext(out, 1, "-raw")) <= 0.03
    assert inspect_pdf(out, OPTS).image_pages == ()  # processed again: nothing left to OCR
    # (seen: ≤ 4 pt when right; 14 pt with the skew undone the wrong way, 356 pt unturned)
    assert np.abs(_word_box(out, 1) - _ink_box(out, 1, tmp_path)).max() <= 6.0
