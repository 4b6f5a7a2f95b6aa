"""A page's invisible text layer, written from Tesseract's TSV: the same one-page PDF that
Tesseract's own ``textonly_pdf`` renderer writes, without running that renderer.

Why: the ``ocr`` step needs the words' text and confidences (the TSV) *and* a text layer to lay
over the scan. Tesseract's PDF renderer on top of its TSV cost ~25–32 ms of Tesseract's CPU a page
(300 dpi pages, 2026-12-03): ~2 core-seconds for 60 pages, more than the Python CPU of every
other step of those pages but the scan. Written here from the TSV's boxes it costs well under
1 ms.

What is written is Tesseract's layout (tesseract 5.3 ``pdfrenderer.cpp``): its GlyphLessFont
(``pdf.ttf`` from libtesseract, one box-shaped glyph for every code, a ``ToUnicode`` map that
gives back the text), text render mode 3 (invisible), each word at its place, stretched (``Tz``)
to the width of its box. One difference: Tesseract takes each line's baseline and a point size
from its font guess; the TSV has neither, so here a line's words stand on the bottom of the
line's box and are as tall as the box (the font's ascent is 1000, its descent -1). A word found
by search or ``pdftotext -bbox`` then covers the ink of its line, which is what selection and the
layer tests need (tests/test_pdfinput.py: boxes within 6 pt of the ink).

:mod:`motcua.core.pdflayers` and :mod:`motcua.core.assemble` lay the file over the scan as they
laid Tesseract's.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from motcua.errors import ConfigurationError

GLYPHLESS_FONTS = (
    Path("/usr/share/tesseract-ocr/5/tessdata/pdf.ttf"),  # Debian's libtesseract5
    Path("/usr/share/tesseract-ocr/4.00/tessdata/pdf.ttf"),
    Path("/usr/share/tesseract/tessdata/pdf.ttf"),  # Fedora
    Path("/usr/local/share/tessdata/pdf.ttf"),  # built from source, Homebrew on Intel
    Path("/opt/homebrew/share/tessdata/pdf.ttf"),
)
"""Where Tesseract's packages put it; ``TESSDATA_PREFIX``, when set, is looked in first."""
FONT = b"/f-0-0"
_GLYPH_WIDTH = 0.5  # the GlyphLessFont's one glyph is 500/1000 em wide


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class LineWords:
    """One text line as the TSV gives it: its box and its words (text, box), in order."""

    box: Box
    words: tuple[tuple[str, Box], ...]


@cache
def _font_objects() -> tuple[tuple[int, bytes], ...]:
    """Objects 4–9 of the page: the GlyphLessFont, as Tesseract embeds it."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    candidates = ((Path(prefix) / "pdf.ttf",) if prefix else ()) + GLYPHLESS_FONTS
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ConfigurationError(
            "Tesseract's GlyphLessFont (pdf.ttf) is missing",
            hint="install libtesseract5 / tesseract-ocr (infra/bootstrap.sh does)")
    ttf = path.read_bytes()
    font_file = zlib.compress(ttf)
    cid_to_gid = zlib.compress(b"\x00\x01" * 65536)
    to_unicode = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                  b"/CIDSystemInfo\n<<\n  /Registry (Adobe)\n  /Ordering (UCS)\n  /Supplement 0\n"
                  b">> def\n/CMapName /Adobe-Identify-UCS def\n/CMapType 2 def\n"
                  b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
                  b"1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange\nendcmap\n"
                  b"CMapName currentdict /CMap defineresource pop\nend\nend\n")
    return (
        (4, b"<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /Identity-H"
            b" /DescendantFonts [ 5 0 R ] /ToUnicode 7 0 R >>"),
        (5, b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont"
            b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            b" /FontDescriptor 8 0 R /CIDToGIDMap 6 0 R /DW 500 >>"),
        (6, _stream(cid_to_gid, b"/Filter /FlateDecode")),
        (7, _stream(to_unicode, b"")),
        (8, b"<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5"
            b" /FontBBox [ 0 0 500 1000 ] /ItalicAngle 0 /Ascent 1000 /Descent -1 /CapHeight 1000"
            b" /StemV 80 /FontFile2 9 0 R >>"),
        (9, _stream(font_file, b"/Length1 %d /Filter /FlateDecode" % len(ttf))),
    )


def _stream(data: bytes, entries: bytes) -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def check_font() -> None:
    """:class:`ConfigurationError` now if the GlyphLessFont is missing."""
    _font_objects()


def _content(lines: Sequence[LineWords], height_pt: float, scale: float) -> bytes:
    out = [b"BT\n3 Tr\n"]
    for line in lines:
        size = max(line.box.height * scale, 1.0)
        baseline = height_pt - (line.box.top + line.box.height) * scale
        for text, box in line.words:
            if not text:
                continue
            spoken = text + " "  # Tesseract's layer ends every word with a space, too
            stretch = 100 * box.width * scale / (_GLYPH_WIDTH * size * len(spoken))
            out.append(b"1 0 0 1 %.2f %.2f Tm %s %.2f Tf %.3f Tz <%s> Tj\n" % (
                box.left * scale, baseline, FONT, size, stretch,
                spoken.encode("utf-16-be").hex().upper().encode("ascii")))
    out.append(b"ET\n")
    return b"".join(out)


def write_text_pdf(lines: Sequence[LineWords], width_px: int, height_px: int, dpi: int,
                   path: Path) -> Path:
    """The one-page text-only PDF for an image of ``width_px`` × ``height_px`` at ``dpi``."""
    scale = 72.0 / dpi
    width_pt, height_pt = width_px * scale, height_px * scale
    objects = (
        (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
        (2, b"<< /Type /Pages /Kids [ 3 0 R ] /Count 1 >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 %.2f %.2f ]"
            b" /Resources << /Font << %s 4 0 R >> >> /Contents 10 0 R >>"
            % (width_pt, height_pt, FONT)),
        *_font_objects(),
        (10, _stream(zlib.compress(_content(lines, height_pt, scale)), b"/Filter /FlateDecode")),
    )
    body = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, value in objects:
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, value)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    path.write_bytes(bytes(body))
    return path
