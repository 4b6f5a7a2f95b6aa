"""PDFs that are already digital (DESIGN §1): read what they carry, keep what they are.

A page that carries text is not rasterised and not OCR'd: its text is extracted (NFC, look-alikes
mapped) and indexed like OCR text. In a mixed PDF only the image pages are rendered
(:func:`render_page_image`) and OCR'd, and their invisible text layer is grafted onto those pages
alone (:func:`motcua.core.pdflayers.add_text_layers`); every original page keeps its content
streams, fonts and size. Active content (JavaScript, actions that run by themselves, launches,
embedded files, forms that submit or import, multimedia, XFA) is reported here and never reaches
the archive (:func:`motcua.core.pdfactive.strip_active_content`). A PDF that already carries a
signature is never rewritten: both writers refuse it (:func:`motcua.core.pdfread.is_signed`).

This module holds what a PDF carries (:func:`inspect_pdf`) and the rendering of an image page for
OCR; active content, text layers and the reader helpers all three share are in their own modules.

Why these choices (measured on fpdf2 PDFs of the seed plan, word-by-word justified Liberation
Serif, on the 2-core development machine; the test suite prints the cost per page):

- Text by poppler's ``pdftotext``, one process for the whole file: 1.6 ms/page on a 10-page file
  (6.3 ms for a 1-page one) against 6.3 ms/page (9.8) for pypdf's ``extract_text``; both read
  every Vietnamese character right (CER 0 on body text and on a Tesseract text layer). They
  differ in order only: pypdf follows the drawing order, which on a two-column letterhead
  interleaves "UBND …" with "CỘNG HÒA …" row by row, while poppler reads column by column, as a
  reader (and the identifier extractor) does. All of :func:`inspect_pdf` costs ~2 ms/page against
  ~1.3 s/page for scan + OCR of a 300 dpi page.
- ``has_text``: at least one letter or digit extracted. A scan that another tool already OCR'd
  has text and is kept as it is; a page whose only "text" is spaces or stray marks is an image.
- The OCR image of a page is the page *as shown* (``/Rotate`` applied, CropBox); a page that is
  exactly one image over its whole box gives its embedded scan itself, not a resampled rendering.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from motcua.core.decode import (
    RASTER_DPI,
    RawPage,
    ScanOptions,
    _check_page_count,
    _check_pixels,
    _embedded_scan,
)
from motcua.core.pdfactive import find_active
from motcua.core.pdfread import (
    PDF_ERRORS,
    Matrix,
    get,
    is_signed,
    open_pdf,
    page_images,
    page_rotation,
    then,
    visible_box,
)
from motcua.errors import BadInput, CorruptInput
from motcua.text import clean

__all__ = ["PdfFacts", "PdfPageFacts", "inspect_pdf", "render_page_image"]


@dataclass(frozen=True)
class PdfPageFacts:
    index: int
    width_pt: float  # the visible box (CropBox), before /Rotate
    height_pt: float
    rotate: int  # /Rotate: degrees the page is shown turned clockwise
    has_text: bool  # carries text worth keeping: extracted, never OCR'd
    text: str  # NFC, look-alikes mapped; "" for an image page
    images: int  # image XObjects the page draws directly


@dataclass(frozen=True)
class PdfFacts:
    pages: tuple[PdfPageFacts, ...]
    signed: bool  # a signature field holds a signature: archive byte for byte, never rewrite
    active_content: tuple[str, ...]  # sorted kind codes, see motcua.core.pdfactive

    @property
    def born_digital(self) -> bool:
        return all(p.has_text for p in self.pages)

    @property
    def image_pages(self) -> tuple[int, ...]:
        return tuple(p.index for p in self.pages if not p.has_text)

    @property
    def flags(self) -> tuple[str, ...]:
        found = {"has_text": any(p.has_text for p in self.pages), "signed": self.signed,
                 "active_content": bool(self.active_content)}
        return tuple(sorted(k for k, v in found.items() if v))


def _pdftotext(path: Path, pages: int) -> list[str]:
    """Every page's text from one poppler process (pages end with a form feed)."""
    def run(*args: str) -> str:
        proc = subprocess.run(["pdftotext", "-enc", "UTF-8", *args, str(path), "-"],
                              capture_output=True, timeout=300, check=False)
        if proc.returncode != 0:
            raise CorruptInput(f"the PDF's text cannot be read: "
                               f"{proc.stderr.decode(errors='replace')[:200]}",
                               hint="the file is damaged")
        return proc.stdout.decode("utf-8", errors="replace")

    parts = run().split("\f")
    if len(parts) != pages + 1:  # a form feed inside the text itself: page by page then
        parts = [run("-f", str(i + 1), "-l", str(i + 1)).rstrip("\f") for i in range(pages)]
    return parts[:pages]


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in clean(text).strip().splitlines())


def inspect_pdf(path: Path, opts: ScanOptions) -> PdfFacts:
    """What ``path`` carries, without rendering anything; typed :class:`BadInput` refusals as
    :mod:`motcua.core.decode` gives them. Pixel limits apply to the image pages only: they are
    the ones rendered for OCR."""
    reader = open_pdf(path)
    try:
        _check_page_count(len(reader.pages), opts)
        boxes = []
        for index, page in enumerate(reader.pages):
            _, _, width, height = visible_box(page)
            if width <= 0 or height <= 0:
                raise CorruptInput(f"page {index + 1} has no size ({width}×{height} pt)",
                                   hint="the file is damaged")
            boxes.append((width, height, page_rotation(page), page_images(page)))
        texts = [_tidy(t) for t in _pdftotext(path, len(boxes))]
        pages = []
        for index, (width, height, rotate, images) in enumerate(boxes):
            text = texts[index]
            has_text = any(ch.isalnum() for ch in text)
            if not has_text:  # rendered for OCR: limits before anything is decoded
                where = f"page {index + 1}"
                for obj in images:
                    _check_pixels(int(get(obj, "/Width", 0)), int(get(obj, "/Height", 0)),
                                  opts, where)
                _check_pixels(round(width / 72 * RASTER_DPI), round(height / 72 * RASTER_DPI),
                              opts, f"{where} at {RASTER_DPI} dpi")
            pages.append(PdfPageFacts(index, width, height, rotate, has_text,
                                      text if has_text else "", len(images)))
        signed = is_signed(reader)
        active = find_active(reader.root_object, reader.pages, remove=False)
    except BadInput:
        raise
    except PDF_ERRORS as exc:
        raise CorruptInput(f"the PDF cannot be read: {type(exc).__name__}: {exc}",
                           hint="the file is damaged or truncated") from exc
    return PdfFacts(tuple(pages), signed, tuple(sorted(active)))


def _drawn_full_page(page, reader: PdfReader, name: str) -> bool:
    """True if the page's only drawing is image ``name`` over its whole visible box."""
    contents = page.get_contents()
    if contents is None or len(contents.get_data()) > 4096:  # a scan page's stream is tiny
        return False
    ctm: Matrix = (1, 0, 0, 1, 0, 0)
    saved, placed = [], []
    for operands, op in ContentStream(contents, reader).operations:
        if op == b"q":
            saved.append(ctm)
        elif op == b"Q" and saved:
            ctm = saved.pop()
        elif op == b"cm":
            ctm = then(tuple(float(v) for v in operands), ctm)
        elif op == b"Do":
            placed.append((operands[0], ctm))
        elif op in (b"BT", b"BI", b"sh", b"f", b"F", b"f*", b"S", b"s", b"B", b"b"):
            return False
    x0, y0, w, h = visible_box(page)
    want = (w, 0, 0, h, x0, y0)
    return (len(placed) == 1 and placed[0][0] == name
            and all(abs(a - b) <= 0.5 for a, b in zip(placed[0][1], want, strict=True)))


def render_page_image(path: Path, index: int, work: Path, opts: ScanOptions, *,
                      dpi: int = RASTER_DPI) -> RawPage:
    """Page ``index`` as shown (CropBox, /Rotate applied), for the scan step to normalise and
    Tesseract to read: the embedded scan itself when the page is exactly one image over its
    whole box (no resampling), else poppler's rendering at ``dpi``."""
    reader = open_pdf(path)
    try:
        page = reader.pages[index]
        _, _, w, h = visible_box(page)
        rotate = page_rotation(page)
        xobjects = get(get(page, "/Resources", DictionaryObject()), "/XObject", {})
        images = [(n, ref.get_object()) for n, ref in xobjects.items()
                  if get(ref.get_object(), "/Subtype") == "/Image"]
        if len(images) == 1 and _drawn_full_page(page, reader, images[0][0]):
            raw = _embedded_scan(page, images[0][1], index, w, h, rotate)
            if raw is not None:
                return raw
    except BadInput:
        raise
    except PDF_ERRORS as exc:
        raise CorruptInput(f"page {index + 1} of the PDF cannot be read: {exc}",
                           hint="the file is damaged") from exc
    _check_pixels(round(w / 72 * dpi), round(h / 72 * dpi), opts, f"page {index + 1} at {dpi} dpi")
    out = work / f"pdfpage-{index + 1:04d}"
    proc = subprocess.run(
        ["pdftoppm", "-f", str(index + 1), "-l", str(index + 1), "-r", str(dpi), "-cropbox",
         "-singlefile", str(path), str(out)],
        capture_output=True, timeout=300, check=False,
    )
    ppm = out.with_suffix(".ppm")
    if proc.returncode != 0 or not ppm.exists():
        raise CorruptInput(f"page {index + 1} of the PDF cannot be rendered: "
                           f"{proc.stderr.decode(errors='replace')[:200]}",
                           hint="the file is damaged")
    with Image.open(ppm) as img:
        img.load()
        raw = RawPage(index, img.copy(), float(dpi), flags=["rasterised"])
    ppm.unlink()
    return raw
