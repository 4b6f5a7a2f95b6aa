"""OCR with the real Tesseract (`vie`) and the searchable PDF built over the scan.

Accuracy is measured against the text that was rendered, so a regression in preprocessing,
language choice or text-layer geometry shows up as a number, not a feeling.
"""

import datetime as dt
import os
import re
import subprocess
from collections import Counter

import pytest
from pypdf import PdfReader

from motcua.core.assemble import assemble_pdf
from motcua.core.ocr import OcrOptions, check_tesseract, ocr_pages
from motcua.core.quality import character_error_rate
from motcua.core.scan import ScanOptions, scan_document
from motcua.core.textlayer import Box, LineWords, write_text_pdf
from motcua.samples import render
from motcua.text import clean
from tests.pages import body_page

SCAN = ScanOptions(max_file_bytes=50 * 2**20, max_pages=20, max_page_pixels=100_000_000,
                   min_dpi=200, drop_blank_pages=False, workers=2)
OCR = OcrOptions(languages="vie", workers=2, timeout_seconds=120)


@pytest.fixture(scope="module")
def clean_page():
    return body_page(dpi=300)


def _pdftotext(path, page_index, *args):
    return subprocess.run(
        ["pdftotext", *args, "-f", str(page_index + 1), "-l", str(page_index + 1), str(path), "-"],
        capture_output=True, text=True, check=True).stdout


def _read(page, tmp_path, name):
    f = render.save_png(page, tmp_path / f"{name}.png")
    doc = scan_document(f, tmp_path / name, SCAN)
    return doc, ocr_pages(doc.pages, OCR)


def test_tesseract_and_vietnamese_model_present():
    check_tesseract("vie")  # raises ConfigurationError (the suite fails) if missing


def test_clean_300dpi_page_cer_at_most_3_percent(clean_page, tmp_path):
    _, (text,) = _read(clean_page, tmp_path, "clean")
    cer = character_error_rate(clean_page.text, text.text)
    assert cer <= 0.03, f"CER {cer:.2%}"
    assert text.confidence is not None and text.confidence > 80
    assert "thủ tục hành chính" in text.text  # diacritics survive, NFC


def test_text_is_what_tesseracts_own_txt_output_says(clean_page, tmp_path):
    """The page text is put together from the TSV (one renderer fewer): it must be, line for
    line and paragraph for paragraph, what ``tesseract … txt`` writes for the same image."""
    doc, (text,) = _read(clean_page, tmp_path, "same")
    (page,) = doc.pages
    subprocess.run(["tesseract", str(page.ocr_path), str(tmp_path / "own"), "-l", "vie",
                    "--dpi", str(page.dpi), "txt"], check=True, capture_output=True,
                   env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    own = clean((tmp_path / "own.txt").read_text(encoding="utf-8")).strip()
    assert own.count("\n\n") >= 2  # paragraphs, not one block
    assert text.text == own


def test_text_layer_puts_each_word_on_its_box(tmp_path):
    """The text-only page written from the TSV (motcua/core/textlayer.py): the font embedded,
    the words extractable in Vietnamese, each on its box (the line's height, the word's left)."""
    line = LineWords(Box(100, 200, 900, 50), (("Điều", Box(100, 200, 180, 50)),
                                              ("kiện", Box(320, 204, 150, 44))))
    below = LineWords(Box(100, 300, 400, 40), (("Sở", Box(100, 300, 90, 40)),))
    pdf = write_text_pdf([line, below], 2480, 3508, 300, tmp_path / "layer.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "GlyphLessFont" in fonts and " yes " in fonts.splitlines()[-1]  # embedded
    assert _pdftotext(pdf, 0, "-raw").split() == ["Điều", "kiện", "Sở"]
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">'
                       r'([^<]+)</word>', html)
    boxes = {word: (float(x), float(top), float(bottom)) for x, top, bottom, word in words}
    scale = 72 / 300
    for word, (left, top, bottom) in [("Điều", (100, 200, 250)), ("kiện", (320, 200, 250)),
                                      ("Sở", (100, 300, 340))]:
        assert boxes[word] == pytest.approx((left * scale, top * scale, bottom * scale), abs=0.3)


def test_seal_and_signature_do_not_spoil_ocr(clean_page, tmp_path):
    page = render.add_signature(
        render.add_seal(clean_page, center=(0.55, 0.35), text="Sở Nông nghiệp và Môi trường"),
        at=(0.45, 0.33))
    _, (text,) = _read(page, tmp_path, "sealed")
    assert character_error_rate(clean_page.text, text.text) <= 0.03


def test_upside_down_page_is_read_after_turning(clean_page, tmp_path):
    _, (text,) = _read(render.rotate_quarter(clean_page, 2), tmp_path, "upside")
    assert text.turned == 180
    assert character_error_rate(clean_page.text, text.text) <= 0.03


def test_searchable_pdf_text_layer_carries_the_ocr_text(clean_page, tmp_path):
    pages = [clean_page, render.skew(body_page(dpi=300, start=20), 1.5)]
    f = render.save_tiff(pages, tmp_path / "two.tif")
    doc = scan_document(f, tmp_path / "two", SCAN)
    texts = ocr_pages(doc.pages, OCR)
    pdf = assemble_pdf(doc.pages, texts, tmp_path / "two.pdf", title="Kế hoạch số 20",
                       created=dt.datetime.now(dt.UTC))
    reader = PdfReader(pdf.path)
    assert len(reader.pages) == 2
    w, h = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (w, h) == pytest.approx((595.4, 841.7), abs=1.0)  # A4 at the scan's resolution
    for i, page in enumerate(pages):
        # -raw: the layer's own order, which is Tesseract's reading order. (Without it, poppler
        # re-flows by geometry and may move a line end that Tesseract segmented apart; the words
        # are all there, checked below.)
        raw = _pdftotext(pdf.path, i, "-raw")
        assert character_error_rate(texts[i].text, raw) <= 0.01  # what Tesseract read…
        assert character_error_rate(page.text, raw) <= 0.03  # …and what the paper says
        words, ocr_words = Counter(_pdftotext(pdf.path, i).split()), Counter(texts[i].text.split())
        assert sum((words & ocr_words).values()) >= 0.99 * sum(ocr_words.values())
    listing = subprocess.run(["pdfimages", "-list", str(pdf.path)], capture_output=True,
                             text=True, check=True).stdout
    assert listing.count("jpeg") == 2 and " gray " in listing  # the scan itself, one per page
    assert reader.metadata.title == "Kế hoạch số 20"
    assert b"pdfaid:part>2<" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
