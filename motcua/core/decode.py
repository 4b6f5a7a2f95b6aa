"""Cheap checks and decoding: a submitted file into raw page images, or a typed refusal.

Checks that cost nothing come first and every failure is a :class:`~motcua.errors.BadInput`
with a stable code: size 0, format sniffed from the bytes (never the file name), encryption,
page count and pixel limits read from headers *before* anything is decoded (decompression
bombs), then decode errors. Library exceptions (Pillow, pypdf) are translated here.
"""

from __future__ import annotations

import hashlib
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from motcua.errors import (
    BadInput,
    CorruptInput,
    EmptyFile,
    EncryptedInput,
    OverLimits,
    UnsupportedFormat,
)
from motcua.settings import Settings

RASTER_DPI = 300
JPEG_MAX_SIDE = 65_500  # the JPEG format's limit: archive images are JPEG


@dataclass(frozen=True)
class ScanOptions:
    max_file_bytes: int
    max_pages: int
    max_page_pixels: int
    min_dpi: int
    drop_blank_pages: bool
    workers: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ScanOptions:
        return cls(
            max_file_bytes=settings.max_file_bytes,
            max_pages=settings.max_pages,
            max_page_pixels=settings.max_page_pixels,
            min_dpi=settings.min_dpi,
            drop_blank_pages=settings.drop_blank_pages,
            workers=settings.ocr_workers,
        )


@dataclass
class RawPage:
    """A decoded page before normalisation."""

    index: int
    image: Image.Image
    dpi: float | None
    jpeg: bytes | None = None  # the source's own JPEG bytes, kept if the page needs no change
    flags: list[str] = field(default_factory=list)


# --- cheap checks -----------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
SUPPORTED = "PDF, TIFF, JPEG or PNG"


def sniff_media_type(head: bytes) -> str:
    """The media type from the file's first bytes; the file name is never trusted."""
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    raise UnsupportedFormat(
        "the file is not a PDF, TIFF, JPEG or PNG scan",
        hint=f"submit the scan as {SUPPORTED}; word-processor files must be printed to PDF first",
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path: Path, opts: ScanOptions) -> tuple[str, int]:
    """Size and type checks that cost nothing; returns (media type, size in bytes)."""
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile("the file is empty (0 bytes)", hint="scan the paper again")
    if size > opts.max_file_bytes:
        raise OverLimits(
            f"the file has {size:,} bytes, over the limit of {opts.max_file_bytes:,}",
            hint="split the scan, or raise MOTCUA_MAX_FILE_BYTES",
        )
    with path.open("rb") as fh:
        head = fh.read(1024)
    return sniff_media_type(head), size


def _check_pixels(width: int, height: int, opts: ScanOptions, where: str) -> None:
    if width <= 0 or height <= 0:
        raise CorruptInput(f"{where} has no pixels ({width}×{height})", hint="scan it again")
    if max(width, height) > JPEG_MAX_SIDE:
        raise OverLimits(
            f"{where} is {width}×{height} pixels; a page side over {JPEG_MAX_SIDE:,} pixels "
            "cannot be archived as JPEG", hint="rescan at 300 dpi",
        )
    if width * height > opts.max_page_pixels:
        raise OverLimits(
            f"{where} is {width}×{height} = {width * height:,} pixels, over the limit of "
            f"{opts.max_page_pixels:,} per page",
            hint="rescan at 300 dpi, or raise MOTCUA_MAX_PAGE_PIXELS",
        )


def _check_page_count(count: int, opts: ScanOptions) -> None:
    if count > opts.max_pages:
        raise OverLimits(
            f"the file has {count} pages, over the limit of {opts.max_pages}",
            hint="split the document, or raise MOTCUA_MAX_PAGES",
        )


# --- decoding ---------------------------------------------------------------------------------


def _image_dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    if dpi and dpi[0] and float(dpi[0]) > 1:
        return float(dpi[0])
    return None


def _decode_images(path: Path, media_type: str, opts: ScanOptions) -> Iterator[RawPage]:
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel limit from the header; Pillow's warning adds nothing.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                _check_page_count(frames, opts)
                for index, frame in enumerate(ImageSequence.Iterator(img)):
                    _check_pixels(frame.width, frame.height, opts, f"page {index + 1}")
                    frame.load()
                    jpeg = path.read_bytes() if media_type == "image/jpeg" else None
                    yield RawPage(index, frame.copy(), _image_dpi(frame), jpeg)
    except Image.DecompressionBombError as exc:
        raise OverLimits(f"the image is a decompression bomb: {exc}", hint="rescan it") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        detail = str(exc).replace(f"'{path}'", "").replace(str(path), path.name).strip()
        raise CorruptInput(
            f"the {media_type.split('/')[1].upper()} file cannot be decoded: {detail}",
            hint="the file is damaged or truncated; scan the paper again",
        ) from exc


def _decode_pdf(path: Path, opts: ScanOptions, work: Path) -> Iterator[RawPage]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise EncryptedInput(
                "the PDF is encrypted (password protected)",
                hint="ask the applicant for an unprotected copy; motcua never guesses passwords",
            )
        _check_page_count(len(reader.pages), opts)
        for index, page in enumerate(reader.pages):
            yield _pdf_page(path, reader, index, page, opts, work)
    except BadInput:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError,
            ZeroDivisionError, NotImplementedError, RecursionError) as exc:
        # pypdf reports a malformed file in many ways (a /Resources that is no dictionary, a
        # zero-sized page, a filter it does not know): all of them are the file's fault.
        raise CorruptInput(
            f"the PDF cannot be read: {type(exc).__name__}: {exc}",
            hint="the file is damaged or truncated",
        ) from exc


def _pdf_page(path: Path, reader, index: int, page, opts: ScanOptions, work: Path) -> RawPage:
    """One PDF page as an image: the embedded scan itself when the page is just that, else a
    rendering by poppler at 300 dpi."""
    box = page.mediabox
    w_pt, h_pt = float(box.width), float(box.height)
    rotate = int(page.get("/Rotate", 0) or 0) % 360
    has_text = bool((page.extract_text() or "").strip())
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    images = []
    if xobjects:
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                images.append(obj)
    for obj in images:  # bombs: check the declared size before anything is decoded
        _check_pixels(int(obj.get("/Width", 0)), int(obj.get("/Height", 0)), opts, f"page {index + 1}")

    if w_pt <= 0 or h_pt <= 0:
        raise CorruptInput(f"page {index + 1} has no size ({w_pt}×{h_pt} pt)", hint="the file is damaged")
    if len(images) == 1 and not has_text:
        raw = _embedded_scan(page, images[0], index, w_pt, h_pt, rotate)
        if raw is not None:
            return raw

    # Anything else (vector pages, several images, born-digital text): let poppler render it.
    px_w, px_h = round(w_pt / 72 * RASTER_DPI), round(h_pt / 72 * RASTER_DPI)
    _check_pixels(px_w, px_h, opts, f"page {index + 1} at {RASTER_DPI} dpi")
    out = work / f"raster-{index + 1:04d}"
    proc = subprocess.run(
        ["pdftoppm", "-f", str(index + 1), "-l", str(index + 1), "-r", str(RASTER_DPI),
         "-png", "-singlefile", str(path), str(out)],
        capture_output=True, timeout=300, check=False,
    )
    png = out.with_suffix(".png")
    if proc.returncode != 0 or not png.exists():
        raise CorruptInput(
            f"page {index + 1} of the PDF cannot be rendered: {proc.stderr.decode(errors='replace')[:200]}",
            hint="the file is damaged",
        )
    with Image.open(png) as img:
        img.load()
        raw = RawPage(index, img.copy(), float(RASTER_DPI))
    png.unlink()
    raw.flags.append("rasterised")
    if has_text:
        raw.flags.append("has_text")
    return raw


def _embedded_scan(page, obj, index: int, w_pt: float, h_pt: float, rotate: int) -> RawPage | None:
    """The page's one image, if it fills the page and pypdf can decode it; else None, and the
    caller lets poppler render the page (poppler decodes JBIG2, which pypdf cannot without the
    ``jbig2dec`` binary: common in black-and-white office scans)."""
    from pypdf.errors import DependencyError, PyPdfError

    width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
    if width <= 0 or height <= 0 or abs(width / height - w_pt / h_pt) >= 0.03 * (w_pt / h_pt):
        return None  # not a full-page scan
    jpeg = obj._data if obj.get("/Filter") == "/DCTDecode" and rotate == 0 else None
    try:
        img = page.images[0].image
        img.load()
    except (DependencyError, NotImplementedError, PyPdfError, OSError, ValueError):
        return None
    if rotate:
        img = img.rotate(-rotate, expand=True)
    return RawPage(index, img, width / (w_pt / 72.0), jpeg)


def decode(path: Path, media_type: str, opts: ScanOptions, work: Path) -> Iterator[RawPage]:
    if media_type == "application/pdf":
        return _decode_pdf(path, opts, work)
    return _decode_images(path, media_type, opts)
