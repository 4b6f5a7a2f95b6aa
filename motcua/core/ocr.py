"""The `ocr` step's pure core: Tesseract (``vie``) on every page, pages in parallel.

One Tesseract pass per page writes one thing: a TSV of the words with their boxes and
confidences. From it come the page's mean confidence, the plain text, put together exactly as
Tesseract's own ``txt`` output lays it out (words of a line joined by spaces, a line per line, a
blank line after each paragraph: the same text on every page compared), and the *text-only* PDF
page (invisible GlyphLessFont text at the words' places) that :mod:`motcua.core.assemble` lays
over the colour scan, written by :mod:`motcua.core.textlayer` as Tesseract's ``textonly_pdf``
renderer would. Tesseract's own PDF and txt renderers on top of the TSV cost ~25–32 and ~7 ms of
its CPU a page (2026-12-03).

Why these choices (measured, see docs/platform.md):

- ``vie`` always: ``eng`` destroys the diacritics (~22% CER against ~0.1% for ``vie``).
- ``OMP_THREAD_LIMIT=1`` and one Tesseract process per core: Tesseract's own OpenMP threads made
  it 2.5–6.5× *slower* on a 2-core machine.
- Threads, not a process pool: the work happens in the ``tesseract`` subprocess, so threads that
  wait on it run pages truly in parallel, without pickling pages or paying a process start-up.
- ``--dpi`` passed explicitly: without it Tesseract assumes 70 dpi for images lacking the tag
  (its own PDF renderer then wrote a text layer 4× too large for the page; the layer written here
  takes the dpi from the scan step).

A page whose words come back with a very low mean confidence may be upside down (the projection
test in :mod:`motcua.core.layout` only sees sideways pages): OSD is asked, and if it says 180° the page
is turned and read again, and the caller is told so that the archive image is turned too.
"""

from __future__ import annotations

import csv
import io
import os
import time
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
from motcua.core.textlayer import Box, LineWords, check_font, write_text_pdf
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


_CHECKED: dict[str, float] = {}  # languages → when they were last found (time.monotonic())
CHECK_AGAIN_SECONDS = 60.0


def check_tesseract(languages: str) -> None:
    """Fail before any work if Tesseract, a language model or its GlyphLessFont is missing.

    A success is remembered for :data:`CHECK_AGAIN_SECONDS` in this process: asking Tesseract
    for its languages starts it (9 ms of CPU), which every dossier of a busy worker paid."""
    found = _CHECKED.get(languages)
    if found is not None and time.monotonic() - found < CHECK_AGAIN_SECONDS:
        return
    check_font()
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
    _CHECKED[languages] = time.monotonic()


@dataclass(frozen=True)
class _Reading:
    text: str  # as Tesseract's txt renderer writes it
    confidence: float | None
    words: int
    lines: tuple[LineWords, ...]  # for the text layer


def _box(row: dict) -> Box:
    return Box(int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]))


def _read_tsv(tsv: str) -> _Reading:
    """The page's text, mean word confidence and lines of words with their boxes, from
    Tesseract's TSV (rows of level 4 are lines, of level 5 words)."""
    paragraphs: list[list[list[str]]] = []
    confidences: list[float] = []
    lines: list[tuple[Box, list[tuple[str, Box]]]] = []
    last_paragraph: tuple[str, ...] | None = None
    last_line: tuple[str, ...] | None = None
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") == "4":
            lines.append((_box(row), []))
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
        if lines:
            lines[-1][1].append((word, _box(row)))
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            continue
        if word.strip() and conf >= 0:
            confidences.append(conf)
    text = "\n".join("".join(" ".join(words) + "\n" for words in lines_) for lines_ in paragraphs)
    laid = tuple(LineWords(box, tuple(words)) for box, words in lines if words)
    if not confidences:
        return _Reading(text, None, 0, laid)
    return _Reading(text, round(sum(confidences) / len(confidences), 2), len(confidences), laid)


def _tesseract(image: Path, out_base: Path, page: PageImage, opts: OcrOptions) -> _Reading:
    """Run Tesseract once (its TSV only); return what it read, and write its text layer to
    ``out_base``.pdf (:mod:`motcua.core.textlayer`)."""
    with tesseract_slot(opts.workers):
        run_tesseract(
            str(image), str(out_base), extension="tsv", lang=opts.languages,
            config=f"--dpi {page.dpi} -c tessedit_create_tsv=1", timeout=opts.timeout_seconds,
        )
    reading = _read_tsv(out_base.with_suffix(".tsv").read_text(encoding="utf-8"))
    write_text_pdf(reading.lines, page.width, page.height, page.dpi, out_base.with_suffix(".pdf"))
    return reading


def ocr_page(page: PageImage, opts: OcrOptions) -> PageText:
    """OCR one page; retried once, then :class:`OcrFailed`."""
    out_base = page.ocr_path.with_name(f"page-{page.index + 1:04d}-text")
    last_error: Exception | None = None
    for _attempt in range(ATTEMPTS):
        try:
            reading = _tesseract(page.ocr_path, out_base, page, opts)
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
            again = _tesseract(turned_image, turned_base, page, opts)
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
