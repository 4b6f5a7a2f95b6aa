"""Render Vietnamese administrative pages as a scanner would deliver them.

Used to make the sample dossiers of `motcua demo`, the benchmark pages and the OCR test pages, so
that nothing is downloaded and the ground truth text of every page is known. Pages follow the
layout of Decree 30/2020/NĐ-CP (agency and national motto at the top, number and date, a bold
title, justified body) in Liberation Serif, a metric clone of Times New Roman; Debian's
``fonts-liberation2`` has the Vietnamese glyphs that the older ``fonts-liberation`` lacks.

The scanner's defects are separate functions (skew, noise, a red seal, a blue-ink signature) so a
test can make exactly the page it needs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from motcua.errors import ConfigurationError
from motcua.text import clean

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
A4_INCHES = (8.27, 11.69)


@cache
def font(size_px: int, *, bold: bool = False, italic: bool = False) -> ImageFont.FreeTypeFont:
    style = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic"}.get(
        (bold, italic), "BoldItalic"
    )
    for folder in FONT_DIRS:
        path = folder / f"LiberationSerif-{style}.ttf"
        if path.exists():
            return ImageFont.truetype(str(path), size_px)
    raise ConfigurationError(
        "Liberation Serif (with Vietnamese glyphs) is not installed",
        hint="install Debian's fonts-liberation2: run infra/bootstrap.sh",
    )


@dataclass(frozen=True)
class Line:
    """One logical line of a page: a paragraph that wraps, or a short centred/right line."""

    text: str
    align: str = "justify"  # justify | left | center | right | header
    bold: bool = False
    italic: bool = False
    size_pt: float = 13.0
    right: str = ""  # for align="header": the text of the right-hand column
    space_after: float = 0.35  # in lines


@dataclass
class RenderedPage:
    image: Image.Image
    dpi: int
    lines: list[str] = field(default_factory=list)  # the text as laid out, top to bottom

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _wrap(text: str, fnt: ImageFont.FreeTypeFont, width: float) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if current and fnt.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def render_page(lines: list[Line], *, dpi: int = 300, first_indent: bool = True) -> RenderedPage:
    """Lay ``lines`` out on a white A4 page at ``dpi``; overflowing lines are cut (not wrapped
    onto a second page), and only what was drawn is in the page's ``lines``."""
    width, height = (round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi))
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    mm = dpi / 25.4
    left, right, top, bottom = 30 * mm, 15 * mm, 20 * mm, 20 * mm
    text_w = width - left - right
    y = top
    drawn: list[str] = []
    for line in lines:
        size = max(6, round(line.size_pt * dpi / 72))
        fnt = font(size, bold=line.bold, italic=line.italic)
        step = size * 1.32
        text = clean(line.text)
        if line.align == "header":
            half = text_w / 2
            rows = list(zip(text.split("\n"), clean(line.right).split("\n"), strict=False))
            for lhs, rhs in rows:
                if y + step > height - bottom:
                    break
                for col, s in ((0, lhs), (1, rhs)):
                    if s:
                        x = left + col * half + (half - fnt.getlength(s)) / 2
                        draw.text((x, y), s, font=fnt, fill="black")
                drawn.append(" ".join(s for s in (lhs, rhs) if s))
                y += step
        elif line.align in ("center", "right", "left"):
            for row in _wrap(text, fnt, text_w):
                if y + step > height - bottom:
                    break
                extra = text_w - fnt.getlength(row)
                x = left + {"left": 0, "center": extra / 2, "right": extra}[line.align]
                draw.text((x, y), row, font=fnt, fill="black")
                drawn.append(row)
                y += step
        else:
            indent = 12.7 * mm if first_indent else 0
            rows = _wrap(text, fnt, text_w - indent)
            # Re-wrap the rest at full width after the indented first row.
            if len(rows) > 1:
                rows = rows[:1] + _wrap(" ".join(rows[1:]), fnt, text_w)
            for i, row in enumerate(rows):
                if y + step > height - bottom:
                    break
                x0 = left + (indent if i == 0 else 0)
                words = row.split()
                avail = text_w - (indent if i == 0 else 0)
                gap = fnt.getlength(" ")
                if i < len(rows) - 1 and len(words) > 1:
                    gap = (avail - sum(fnt.getlength(w) for w in words)) / (len(words) - 1)
                x = x0
                for w in words:
                    draw.text((x, y), w, font=fnt, fill="black")
                    x += fnt.getlength(w) + gap
                drawn.append(row)
                y += step
        y += step * line.space_after
    return RenderedPage(image=img, dpi=dpi, lines=drawn)


# --- scanner defects --------------------------------------------------------------------------


def skew(page: RenderedPage, degrees: float) -> RenderedPage:
    """Turn the page by ``degrees`` (counter-clockwise), as a sheet fed crooked."""
    img = page.image.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor="white")
    return RenderedPage(image=img, dpi=page.dpi, lines=page.lines)


def rotate_quarter(page: RenderedPage, quarter_turns: int) -> RenderedPage:
    """A sheet placed sideways or upside down: 1 = 90° counter-clockwise."""
    ops = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_270}
    img = page.image.transpose(ops[quarter_turns % 4]) if quarter_turns % 4 else page.image
    return RenderedPage(image=img, dpi=page.dpi, lines=page.lines)


def add_noise(page: RenderedPage, *, amount: float = 0.004, seed: int = 0) -> RenderedPage:
    """Speckle and a little blur, like a worn glass and a cheap sensor."""
    import numpy as np

    rng = np.random.default_rng(seed)
    arr = np.asarray(page.image.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.int16).copy()
    arr += rng.normal(0, 9, arr.shape[:2])[..., None].astype(np.int16)
    dots = rng.random(arr.shape[:2]) < amount
    arr[dots] = rng.integers(0, 110, (int(dots.sum()), 1))
    img = Image.fromarray(np.clip(arr, 0, 255).astype("uint8"), "RGB")
    return RenderedPage(image=img, dpi=page.dpi, lines=page.lines)


def add_seal(page: RenderedPage, *, center: tuple[float, float], text: str) -> RenderedPage:
    """A red round seal (con dấu) stamped over the text at ``center`` (fractions of the page)."""
    # Ink is subtractive: a seal over black text leaves the text black, so draw the seal on a
    # white layer and multiply, rather than alpha-blend (which would lighten the text under it).
    layer = Image.new("RGB", page.image.size, "white")
    draw = ImageDraw.Draw(layer)
    r = round(page.dpi * 0.75)
    cx, cy = center[0] * layer.width, center[1] * layer.height
    red = (215, 40, 45)
    for k, w in ((0, max(3, page.dpi // 60)), (round(r * 0.72), max(2, page.dpi // 100))):
        draw.ellipse((cx - r + k, cy - r + k, cx + r - k, cy + r - k), outline=red, width=w)
    fnt = font(max(8, round(page.dpi * 0.11)), bold=True)
    chars = clean(text).upper()
    for i, ch in enumerate(chars):
        # Clockwise from bottom-left over the top to bottom-right, as seals read.
        angle = math.radians(150 + 240 * i / max(1, len(chars) - 1))
        x, y = cx + r * 0.86 * math.cos(angle), cy + r * 0.86 * math.sin(angle)
        draw.text((x, y), ch, font=fnt, fill=red, anchor="mm")
    draw.regular_polygon((cx, cy, r * 0.25), 5, fill=red)
    img = ImageChops.multiply(page.image.convert("RGB"), layer)
    return RenderedPage(image=img, dpi=page.dpi, lines=page.lines)


def add_signature(page: RenderedPage, *, at: tuple[float, float], seed: int = 0) -> RenderedPage:
    """A blue-ink scrawl (chữ ký) across the lines near ``at``."""
    rnd = random.Random(seed)
    layer = Image.new("RGB", page.image.size, "white")
    draw = ImageDraw.Draw(layer)
    x, y = at[0] * layer.width, at[1] * layer.height
    points = []
    for i in range(40):
        x += page.dpi * 0.04
        y += rnd.uniform(-1, 1) * page.dpi * 0.12 + math.sin(i / 2.5) * page.dpi * 0.05
        points.append((x, y))
    draw.line(points, fill=(25, 45, 190), width=max(2, page.dpi // 70), joint="curve")
    img = ImageChops.multiply(page.image.convert("RGB"), layer)
    return RenderedPage(image=img, dpi=page.dpi, lines=page.lines)


# --- files as a scanner writes them -----------------------------------------------------------


def save_png(page: RenderedPage, path: Path, *, grayscale: bool = False) -> Path:
    img = page.image.convert("L") if grayscale else page.image
    img.save(path, format="PNG", dpi=(page.dpi, page.dpi), compress_level=6)
    return path


def save_tiff(pages: list[RenderedPage], path: Path) -> Path:
    """A multi-page TIFF (LZW), the usual output of a desk scanner's batch mode."""
    first, *rest = [p.image.convert("L") for p in pages]
    first.save(
        path, format="TIFF", save_all=True, append_images=rest, compression="tiff_lzw",
        dpi=(pages[0].dpi, pages[0].dpi),
    )
    return path


def save_scanned_pdf(pages: list[RenderedPage], path: Path, *, quality: int = 80) -> Path:
    """A PDF of JPEG page images, no text: what a network scanner's "scan to PDF" produces.

    Written with pypdf, not Pillow: Pillow's PDF writer emits an xref entry pyHanko's strict
    parser refuses (see docs/platform.md).
    """
    import io

    from pypdf import PdfWriter

    from motcua.core.pdfimage import add_image_page

    writer = PdfWriter()
    for page in pages:
        buf = io.BytesIO()
        page.image.convert("RGB").save(buf, format="JPEG", quality=quality, dpi=(page.dpi, page.dpi))
        add_image_page(writer, buf.getvalue(), page.image.width, page.image.height, "RGB", page.dpi)
    with path.open("wb") as fh:
        writer.write(fh)
    return path
