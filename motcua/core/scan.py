"""The `scan` step's pure core: turn a submitted file into upright page images.

Input is whatever a desk scanner or a citizen produced: PNG, JPEG, (multi-page) TIFF or PDF,
checked and decoded by :mod:`motcua.core.decode`. Output, per page, two images written to a work
folder:

- the **archive image**: the colour scan, turned upright and deskewed, as JPEG (the original JPEG
  bytes when nothing had to change), which becomes the visible layer of the archived PDF;
- the **OCR image**: a copy in which red seals (con dấu) and blue-ink signatures have faded out,
  grey, or black and white from 250 dpi (:func:`motcua.core.layout.ocr_image`), which only
  Tesseract sees.

What is unusual but legitimate is a flag on the page, not an error: ``low_dpi`` (the archive
rules ask for ≥ 200 dpi), ``dpi_assumed``, ``blank``, ``rasterised``, ``rotated``, ``deskewed``.

A PDF that is already digital (DESIGN §1) takes another way (:mod:`motcua.core.pdfinput`): when
a page carries text, or the file carries a signature, the archived PDF is the submitted one
(never a rendering of it). Its text pages are extracted, not OCR'd; only its image pages become
:class:`PageImage` s for OCR, and their text layers go back onto those pages alone. Active content
is removed first (flag ``active_content_removed``); in a signed PDF it cannot be removed without
breaking the signature, so such a file is refused (``signed_active_content``) for a person to
decide. A signed PDF is never rewritten: no text layer is added to it, its text is only indexed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from motcua.core import layout
from motcua.core.cpu import scanning_one_document, tesseract_slot
from motcua.core.decode import RawPage, ScanOptions, check_file, decode, sha256_file
from motcua.core.pdfactive import strip_active_content
from motcua.core.pdfinput import PdfFacts, inspect_pdf, render_page_image
from motcua.errors import CorruptInput, SignedActiveContent

__all__ = ["JPEG_QUALITY", "PageImage", "ScanOptions", "ScannedDocument", "scan_document"]

A4_SHORT_SIDE_INCHES = 8.27
JPEG_QUALITY = 90

@dataclass(frozen=True)
class PageImage:
    index: int
    image_path: Path  # JPEG, colour kept, upright and deskewed: the PDF's visible layer
    image_mode: str  # "RGB" or "L"
    ocr_path: Path  # BMP, seals and blue ink faded, black and white from 250 dpi: what Tesseract reads
    width: int
    height: int
    dpi: int
    rotation: int = 0  # degrees the page was turned clockwise to make it upright
    skew: float = 0.0  # degrees of skew that were corrected
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigitalSource:
    """A PDF that is archived as it is (its text pages extracted, its image pages OCR'd)."""

    pdf: Path  # what is archived: the submitted bytes, or a copy without active content
    page_count: int
    texts: tuple[tuple[int, str], ...]  # (page index, extracted text) of every text page
    signed: bool  # never rewritten: no text layer is added, the signature goes on incrementally
    active_content_removed: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "born_digital" if len(self.texts) == self.page_count else "mixed"


@dataclass(frozen=True)
class ScannedDocument:
    source: Path
    sha256: str
    media_type: str
    size_bytes: int
    pages: tuple[PageImage, ...]  # the pages to OCR (of a digital PDF: its image pages only)
    dropped_blank_pages: int = 0
    digital: DigitalSource | None = None

    @property
    def page_count(self) -> int:
        return self.digital.page_count if self.digital else len(self.pages)

    @property
    def flags(self) -> tuple[str, ...]:
        found = {f for p in self.pages for f in p.flags}
        if self.digital is not None:
            found.add(self.digital.kind)
            if self.digital.signed:
                found.add("signed")
            if self.digital.active_content_removed:
                found.add("active_content_removed")
        return tuple(sorted(found))


# --- normalisation ----------------------------------------------------------------------------


def _to_archive_mode(img: Image.Image) -> Image.Image:
    if img.mode in ("RGB", "L"):
        return img
    if img.mode in ("1", "I;16", "I;16B", "I", "F"):
        return img.convert("L")
    if img.mode in ("LA", "PA"):
        return img.convert("RGBA").convert("L") if img.mode == "LA" else img.convert("RGB")
    if img.mode == "RGBA":
        background = Image.new("RGB", img.size, "white")
        background.paste(img, mask=img.getchannel("A"))
        return background
    return img.convert("RGB")


def normalise_page(raw: RawPage, out_dir: Path, opts: ScanOptions) -> PageImage | None:
    """Upright, deskewed page images on disk; ``None`` for a blank page being dropped."""
    flags = list(raw.flags)
    img = _to_archive_mode(raw.image)
    dpi = raw.dpi
    if dpi is None:
        dpi = min(img.size) / A4_SHORT_SIDE_INCHES  # a scanner that wrote no dpi: assume A4
        flags.append("dpi_assumed")
    dpi = round(dpi)
    if dpi < opts.min_dpi:
        flags.append("low_dpi")

    analysis = layout.analyse(img)
    if analysis.blank:
        flags.append("blank")
        if opts.drop_blank_pages:
            return None
    rotation = 0
    if analysis.sideways:
        rotation = layout.detect_rotation(img, dpi, workers=None)  # we hold a CPU slot
        if rotation:
            img = layout.turn(img, rotation)
            analysis = layout.analyse(img)
            flags.append("rotated")
    skew = analysis.skew
    if abs(skew) >= layout.MIN_SKEW_DEGREES:
        img = layout.deskew(img, skew)
        flags.append("deskewed")
    else:
        skew = 0.0

    stem = out_dir / f"page-{raw.index + 1:04d}"
    image_path = stem.with_suffix(".jpg")
    if raw.jpeg is not None and rotation == 0 and skew == 0.0 and img is raw.image:
        image_path.write_bytes(raw.jpeg)  # untouched: keep the scanner's own bytes
    else:
        img.save(image_path, format="JPEG", quality=JPEG_QUALITY, dpi=(dpi, dpi))
    # BMP: uncompressed, 4 ms to write where PNG took 40 (a third of this step's CPU), and read by
    # Tesseract as fast as PNG; PGM, as cheap to write, made every Tesseract pass ~0.13 s slower
    # (seen on 300 dpi pages). It lives only in the work folder.
    ocr_path = stem.with_suffix(".ocr.bmp")
    layout.ocr_image(img, dpi, dpi_known="dpi_assumed" not in flags).save(
        ocr_path, format="BMP", dpi=(dpi, dpi))
    return PageImage(
        index=raw.index,
        image_path=image_path,
        image_mode=img.mode,
        ocr_path=ocr_path,
        width=img.width,
        height=img.height,
        dpi=dpi,
        rotation=rotation,
        skew=round(skew, 2),
        flags=tuple(flags),
    )


def _normalise_in_slot(raw: RawPage, out_dir: Path, opts: ScanOptions) -> PageImage | None:
    with tesseract_slot(opts.workers):  # one CPU-heavy job per core (motcua/core/cpu.py)
        return normalise_page(raw, out_dir, opts)


def scan_document(
    path: Path,
    out_dir: Path,
    opts: ScanOptions,
    *,
    progress: Callable[[int], None] | None = None,
    sha256: str | None = None,
) -> ScannedDocument:
    """Check, decode and normalise every page of ``path`` into ``out_dir``.

    ``sha256``: the file's hash when the caller already has it (the receive step does), so a
    large scan is not read a second time just to hash it.

    Pages are decoded one at a time and normalised on ``opts.workers`` threads (Pillow and NumPy
    release the GIL for the heavy parts), with at most two pages per worker in memory.
    """
    media_type, size = check_file(path, opts)
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = sha256 or sha256_file(path)
    if media_type == "application/pdf":
        facts = inspect_pdf(path, opts)
        if facts.signed or any(p.has_text for p in facts.pages):
            return _scan_digital(path, facts, out_dir, opts, digest, size, progress)
    pages: list[PageImage] = []
    dropped = 0
    pending: list[Future[PageImage | None]] = []

    def collect(fut: Future[PageImage | None]) -> None:
        nonlocal dropped
        result = fut.result()
        if result is None:
            dropped += 1
        else:
            pages.append(result)
        if progress:
            progress(len(pages) + dropped)

    with scanning_one_document(), ThreadPoolExecutor(
        max_workers=opts.workers, thread_name_prefix="scan"
    ) as pool:
        try:
            for raw in decode(path, media_type, opts, out_dir):
                pending.append(pool.submit(_normalise_in_slot, raw, out_dir, opts))
                while len(pending) >= 2 * opts.workers:
                    collect(pending.pop(0))
            while pending:
                collect(pending.pop(0))
        finally:
            for fut in pending:
                fut.cancel()
    if not pages:
        raise CorruptInput(
            "the file has no pages" if not dropped else "every page of the file is blank",
            hint="scan the paper again",
        )
    pages.sort(key=lambda p: p.index)
    return ScannedDocument(
        source=path,
        sha256=digest,
        media_type=media_type,
        size_bytes=size,
        pages=tuple(pages),
        dropped_blank_pages=dropped,
    )



def _scan_digital(path: Path, facts: PdfFacts, out_dir: Path, opts: ScanOptions, digest: str,
                  size: int, progress: Callable[[int], None] | None) -> ScannedDocument:
    """A PDF kept as it is: active content out (unless signed: refused), image pages prepared
    for OCR, text pages' text taken as extracted."""
    removed: tuple[str, ...] = ()
    source = path
    if facts.active_content:
        if facts.signed:
            raise SignedActiveContent(
                f"the PDF is signed and carries active content ({', '.join(facts.active_content)}): "
                "removing it would break the signature",
                hint="a person must decide: ask the issuer for a copy without scripts or "
                "attachments, or accept this one by hand",
            )
        source = out_dir / "without-active-content.pdf"
        removed = strip_active_content(path, source)
    pages: list[PageImage] = []
    image_pages = [p.index for p in facts.pages if not p.has_text]
    with scanning_one_document():
        for done, index in enumerate(image_pages, start=1):
            raw = render_page_image(source, index, out_dir, opts)
            page = _normalise_in_slot(raw, out_dir, opts)
            if page is not None:
                pages.append(page)
            if progress:
                progress(done)
    return ScannedDocument(
        source=path, sha256=digest, media_type="application/pdf", size_bytes=size,
        pages=tuple(pages), dropped_blank_pages=0,
        digital=DigitalSource(pdf=source, page_count=len(facts.pages),
                              texts=tuple((p.index, p.text) for p in facts.pages if p.has_text),
                              signed=facts.signed, active_content_removed=removed),
    )
