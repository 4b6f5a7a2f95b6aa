"""The scan step's pure core on real files: bad input is refused with a stable code and a
message that says what to do; odd but legitimate pages are flagged and straightened."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfWriter

from motcua.core.scan import ScanOptions, scan_document
from motcua.errors import BadInput
from motcua.samples import render
from tests.pages import body_page

OPTS = ScanOptions(max_file_bytes=50 * 2**20, max_pages=20, max_page_pixels=100_000_000,
                   min_dpi=200, drop_blank_pages=False, workers=2)


def _refused(path: Path, tmp_path: Path, opts: ScanOptions = OPTS) -> BadInput:
    with pytest.raises(BadInput) as info:
        scan_document(path, tmp_path / "out", opts)
    return info.value


def test_zero_byte_file(tmp_path):
    f = tmp_path / "empty.pdf"
    f.write_bytes(b"")
    err = _refused(f, tmp_path)
    assert err.code == "empty_file" and "0 bytes" in err.message


def test_not_an_image(tmp_path):
    f = tmp_path / "scan.png"  # the name lies: content decides
    f.write_text("Đơn đề nghị — a word-processor file, not a scan")
    err = _refused(f, tmp_path)
    assert err.code == "unsupported_format"
    assert "PDF, TIFF, JPEG or PNG" in err.hint


def test_truncated_png(tmp_path):
    good = render.save_png(body_page(dpi=100), tmp_path / "good.png")
    f = tmp_path / "cut.png"
    f.write_bytes(good.read_bytes()[:3000])
    err = _refused(f, tmp_path)
    assert err.code == "corrupt" and "cannot be decoded" in err.message


def test_encrypted_pdf(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="secret", owner_password="owner")
    f = tmp_path / "locked.pdf"
    with f.open("wb") as fh:
        writer.write(fh)
    err = _refused(f, tmp_path)
    assert err.code == "encrypted" and "password" in err.message


def test_decompression_bomb(tmp_path):
    f = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(f)  # 400 megapixels in a few kilobytes
    assert f.stat().st_size < 200_000
    err = _refused(f, tmp_path)
    assert err.code == "over_limits"
    assert "pixels" in err.message or "bomb" in err.message


def test_page_over_the_pixel_limit(tmp_path):
    f = render.save_png(body_page(dpi=150), tmp_path / "page.png")
    opts = ScanOptions(**{**OPTS.__dict__, "max_page_pixels": 1_000_000})
    err = _refused(f, tmp_path, opts)
    assert err.code == "over_limits" and "1,000,000" in err.message


def test_too_many_pages(tmp_path):
    f = render.save_tiff([body_page(dpi=72)] * 3, tmp_path / "three.tif")
    opts = ScanOptions(**{**OPTS.__dict__, "max_pages": 2})
    err = _refused(f, tmp_path, opts)
    assert err.code == "over_limits" and "3 pages" in err.message


def test_skewed_noisy_page_is_straightened(tmp_path):
    page = render.add_noise(render.skew(body_page(dpi=200), 2.0), seed=7)
    f = render.save_png(page, tmp_path / "skewed.png")
    doc = scan_document(f, tmp_path / "out", OPTS)
    (p,) = doc.pages
    assert "deskewed" in p.flags
    assert p.skew == pytest.approx(-2.0, abs=0.2)  # lines ran up to the right
    assert p.dpi == 200 and "low_dpi" not in p.flags


def test_sideways_page_is_turned_upright(tmp_path):
    page = render.rotate_quarter(body_page(dpi=200), 1)  # lying on its left side
    f = render.save_png(page, tmp_path / "sideways.png")
    (p,) = scan_document(f, tmp_path / "out", OPTS).pages
    assert p.rotation == 90 and "rotated" in p.flags
    assert p.height > p.width  # portrait again


def test_low_dpi_and_assumed_dpi_are_flagged(tmp_path):
    low = render.save_png(body_page(dpi=150), tmp_path / "low.png")
    (p,) = scan_document(low, tmp_path / "a", OPTS).pages
    assert p.dpi == 150 and "low_dpi" in p.flags
    untagged = tmp_path / "untagged.png"
    body_page(dpi=300).image.save(untagged)  # no dpi written
    (q,) = scan_document(untagged, tmp_path / "b", OPTS).pages
    assert "dpi_assumed" in q.flags and q.dpi == 300


def test_untouched_jpeg_keeps_its_bytes(tmp_path):
    f = tmp_path / "page.jpg"
    body_page(dpi=200).image.save(f, format="JPEG", quality=85, dpi=(200, 200))
    (p,) = scan_document(f, tmp_path / "out", OPTS).pages
    assert p.image_path.read_bytes() == f.read_bytes()


def test_multipage_tiff_and_scanned_pdf(tmp_path):
    pages = [body_page(dpi=200, start=i * 8) for i in range(3)]
    tif = scan_document(render.save_tiff(pages, tmp_path / "k.tif"), tmp_path / "t", OPTS)
    assert tif.media_type == "image/tiff" and len(tif.pages) == 3
    assert [p.index for p in tif.pages] == [0, 1, 2]
    pdf = scan_document(render.save_scanned_pdf(pages[:2], tmp_path / "k.pdf"), tmp_path / "p", OPTS)
    assert pdf.media_type == "application/pdf" and len(pdf.pages) == 2
    assert {p.dpi for p in pdf.pages} == {200}
    assert all("rasterised" not in p.flags for p in pdf.pages)  # the embedded scan was taken


def test_a_page_without_dpi_stays_grey_for_tesseract(tmp_path):
    """Its dpi is only assumed (a phone photo): no single threshold is trusted for it."""
    path = tmp_path / "photo.png"
    body_page(dpi=300).image.save(path)  # no dpi written
    (p,) = scan_document(path, tmp_path / "o", OPTS).pages
    assert "dpi_assumed" in p.flags and p.dpi >= 250
    with Image.open(p.ocr_path) as seen:
        assert seen.mode == "L"


@pytest.mark.parametrize(("dpi", "mode"), [(200, "L"), (300, "1")])
def test_seal_and_blue_ink_fade_in_the_ocr_image(tmp_path, dpi, mode):
    """Seals and blue ink fade from what Tesseract reads; from 250 dpi it reads black and white
    (motcua/core/layout.py: black_and_white)."""
    page = render.add_signature(render.add_seal(body_page(dpi=dpi), center=(0.5, 0.3), text="Sở Test"),
                                at=(0.4, 0.3))
    (p,) = scan_document(render.save_png(page, tmp_path / "s.png"), tmp_path / "o", OPTS).pages
    with Image.open(p.image_path) as colour, Image.open(p.ocr_path) as grey:
        assert colour.mode == "RGB"  # the archive keeps the colour scan
        assert grey.mode == mode
        rgb = np.asarray(colour.convert("RGB")).astype(int)
        g = np.asarray(grey.convert("L"))
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 110) & (rgb[..., 2] < 110)
    blue = (rgb[..., 2] > 150) & (rgb[..., 0] < 110)
    assert red.sum() > 2000 and blue.sum() > 100  # seal and signature are in the colour image
    assert (g[red] > 150).mean() > 0.95  # and nearly gone from what Tesseract reads
    assert (g[blue] > 150).mean() > 0.95
    black = rgb.max(axis=2) < 60
    assert (g[black] < 100).mean() > 0.99  # while black print stays black
