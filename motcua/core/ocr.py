"""The `ocr` step's pure core: Tesseract (``vie``) on every page, pages in parallel.

One Tesseract pass per page writes two things at once: a *text-only* PDF page (invisible
GlyphLessFont text at the right positions, ``textonly_pdf=1``) that :mod:`motcua.core.assemble` lays
over the colour scan, and a TSV of the words, whose confidences give the page's mean confidence
and from which the plain text is put together exactly as Tesseract's own ``txt`` output lays it
out (words of a line joined by spaces, a line per line, a blank line after each paragraph: the
same text on every page compared). A third renderer for that text cost ~7 ms of Tesseract's CPU
a page (2026-12-03).

Why these choices (measured, see docs/platform.md):

- ``vie`` always: ``eng`` destroys the diacritics (~22% CER against ~0.1% for ``vie``).
- ``OMP_THREAD_LIMIT=1`` and one Tesseract process per core: Tesseract's own OpenMP threads made
  it 2.5–6.5× *slower* on a 2-core machine.
- Threads, not a process pool: the work happens in the ``tesseract`` subprocess, so threads that
  wait on it run pages truly in parallel, without pickling pages or paying a process start-up.
- ``--dpi`` passed explicitly: without it Tesseract assumes 70 dpi for images lacking the tag and
  writes a text layer 4× too large for the page.

A page whose words come back with a very low mean confidence may be upside down (the projection
test in :mod:`motcua.core.layout` only sees sideways pages): OSD is asked, and if it says 180° the page
is turned and read again, and the caller is told so that the archive image is turned too.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from PIL import Image
from pytesseract.pytesseract import run_tesseract

from motcua.core import layout
from motcua.core.cpu import tesseract_slot
from motcua.core.scan import PageImage
from motcua.errors import ConfigurationError, OcrFailed, TransientError
from motcua.settings import Settings
from motcua.text import clean

UPSIDE_DOWN_SUSPECT_CONFIDENCE = 45.0
ATTEMPTS = 2

@dataclass(frozen=True)
class OcrOptions:
    languages: str
    workers: int
    timeout_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> OcrOptions:
        return cls(
            languages=settings.ocr_languages,
            workers=settings.ocr_workers,
            timeout_seconds=settings.ocr_timeout_seconds,
        )


@dataclass(frozen=True)
class PageText:
    index: int
    text: str  # NFC, look-alikes mapped back
    confidence: float | None  # mean word confidence 0–100; None when no word was found
    words: int
    text_pdf: Path  # one-page PDF holding only the invisible text layer
    turned: int = 0  # degrees the page had to be turned clockwise after all (upside down)

    @property
    def empty(self) -> bool:
        return self.words == 0


def check_tesseract(languages: str) -> None:
    """Fail before any work if Tesseract or a language model is missing."""
    try:
        available = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError) as exc:
        raise ConfigurationError(
            f"Tesseract is not usable: {exc}", hint="run infra/bootstrap.sh to install it"
        ) from exc
    missing = [lang for lang in languages.split("+") if lang not in available]
    if missing:
        raise ConfigurationError(
            f"Tesseract language model(s) missing: {', '.join(missing)}",
            hint="install tesseract-ocr-vie (infra/bootstrap.sh does)",
        )


@dataclass(frozen=True)
class _Reading:
    text: str  # as Tesseract's txt renderer writes it
    confidence: float | None
    words: int


def _read_tsv(tsv: str) -> _Reading:
    """The page's text and mean word confidence, from Tesseract's TSV (word rows: level 5)."""
    paragraphs: list[list[list[str]]] = []
    confidences: list[float] = []
    last_paragraph: tuple[str, ...] | None = None
    last_line: tuple[str, ...] | None = None
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        word = row.get("text") or ""
        paragraph = (row["page_num"], row["block_num"], row["par_num"])
        line = (*paragraph, row["line_num"])
        if paragraph != last_paragraph:
            paragraphs.append([])
            last_paragraph, last_line = paragraph, None
        if line != last_line:
            paragraphs[-1].append([])
            last_line = line
        paragraphs[-1][-1].append(word)
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            continue
        if word.strip() and conf >= 0:
            confidences.append(conf)
    text = "\n".join("".join(" ".join(words) + "\n" for words in lines) for lines in paragraphs)
    if not confidences:
        return _Reading(text, None, 0)
    return _Reading(text, round(sum(confidences) / len(confidences), 2), len(confidences))


def _tesseract(image: Path, out_base: Path, dpi: int, opts: OcrOptions) -> _Reading:
    """Run Tesseract once; return what it read. Writes ``out_base``.pdf (text only)."""
    config = f"--dpi {dpi} -c textonly_pdf=1 -c tessedit_create_tsv=1"
    with tesseract_slot(opts.workers):
        run_tesseract(
            str(image), str(out_base), extension="pdf", lang=opts.languages,
            config=config, timeout=opts.timeout_seconds,
        )
    return _read_tsv(out_base.with_suffix(".tsv").read_text(encoding="utf-8"))


def ocr_page(page: PageImage, opts: OcrOptions) -> PageText:
    """OCR one page; retried once, then :class:`OcrFailed`."""
    out_base = page.ocr_path.with_name(f"page-{page.index + 1:04d}-text")
    last_error: Exception | None = None
    for _attempt in range(ATTEMPTS):
        try:
            reading = _tesseract(page.ocr_path, out_base, page.dpi, opts)
            break
        except (pytesseract.TesseractError, RuntimeError) as exc:
            # RuntimeError is pytesseract's timeout: a page Tesseract cannot finish in
            # MOTCUA_OCR_TIMEOUT_SECONDS twice is treated as unreadable.
            last_error = exc
        except OSError as exc:  # the machine, not the page: no process, no memory, no files
            raise TransientError(f"Tesseract could not be run: {exc}") from exc
    else:
        raise OcrFailed(
            f"Tesseract failed on page {page.index + 1} twice: {last_error}",
            hint="check the page image; a page this damaged needs a new scan",
        )
    text, confidence, words = reading.text, reading.confidence, reading.words
    turned = 0
    text_pdf = out_base.with_suffix(".pdf")
    if words and confidence is not None and confidence < UPSIDE_DOWN_SUSPECT_CONFIDENCE:
        # Read the turned copy into files of its own: the first reading stays intact unless
        # the turned one is better.
        turned_image = page.ocr_path.with_name(f"page-{page.index + 1:04d}-r180.ocr.bmp")
        turned_base = out_base.with_name(f"{out_base.name}-r180")
        with Image.open(page.ocr_path) as img:
            rotation = layout.detect_rotation(img, page.dpi, workers=opts.workers)
            if rotation == 180:
                layout.turn(img, 180).save(turned_image, format="BMP", dpi=(page.dpi, page.dpi))
        if rotation == 180:
            again = _tesseract(turned_image, turned_base, page.dpi, opts)
            if (again.confidence or 0) > confidence:
                text, confidence, words, turned = again.text, again.confidence, again.words, 180
                text_pdf = turned_base.with_suffix(".pdf")
    return PageText(
        index=page.index,
        text=clean(text).strip(),
        confidence=confidence,
        words=words,
        text_pdf=text_pdf,
        turned=turned,
    )


def ocr_pages(
    pages: Sequence[PageImage],
    opts: OcrOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[PageText]:
    """OCR ``pages`` on ``opts.workers`` threads, results in page order.

    Sets ``OMP_THREAD_LIMIT=1`` in this process's environment, which the ``tesseract``
    subprocesses inherit (pytesseract passes ``os.environ``): see the module docstring.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"
    results: list[PageText] = []
    with ThreadPoolExecutor(max_workers=opts.workers, thread_name_prefix="ocr") as pool:
        for done, result in enumerate(pool.map(lambda p: ocr_page(p, opts), pages), start=1):
            results.append(result)
            if progress:
                progress(done, len(pages))
    return results
