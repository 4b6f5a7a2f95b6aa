"""Page geometry and colour for OCR: blank?, sideways?, skewed?, and a seal-free grey copy.

Why this matters (measured, see docs/platform.md): a page skewed by 2° gives a text layer whose
words interleave between lines (~34% CER through ``pdftotext``) even when Tesseract read every
word, and a page turned 90° defeats Tesseract's own layout analysis. Tesseract's orientation
detection (OSD) costs 40–70% of an OCR pass, so it runs only when the cheap projection test
below says the page lies on its side; upside-down pages are caught later by their low OCR
confidence (:mod:`motcua.core.ocr`).

The projection test: dark pixels of a downscaled, despeckled copy are projected onto the vertical
axis along a family of slightly tilted lines; the tilt that makes the profile peakiest (largest
sum of squares: text lines and the gaps between them) is the skew. Projected along the other axis
instead, a page lying on its side gives the peakier profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageFilter

MIN_SKEW_DEGREES = 0.15
MAX_SKEW_DEGREES = 8.0
BLANK_INK_RATIO = 0.002
_ANALYSIS_WIDTH = 1000
_MAX_POINTS = 30_000  # a text page has ~60,000 ink pixels at the analysis size (see _best_angle)


@dataclass(frozen=True)
class Analysis:
    ink_ratio: float
    skew: float  # degrees; positive = lines run down to the right (turned clockwise)
    sideways: bool

    @property
    def blank(self) -> bool:
        return self.ink_ratio < BLANK_INK_RATIO


def _ink(img: Image.Image) -> np.ndarray:
    """Dark pixels of a downscaled copy, despeckled: a pixel is ink when at least 5 of the 9
    around it are dark. That is a 3×3 median filter of the grey copy, thresholded (the two
    commute), done as a box blur of the thresholded copy: the same pixels, 4× less CPU than
    Pillow's MedianFilter. Scaled down first, in colour, then made grey: half the cost again."""
    factor = max(1, round(img.width / _ANALYSIS_WIDTH))
    small = (img.reduce(factor) if factor > 1 else img).convert("L")
    dark = small.point(lambda v: 255 if v < 140 else 0)
    votes = dark.filter(ImageFilter.BoxBlur(1))  # k dark of 9 → k·255/9: 4 → 113, 5 → 142
    return np.asarray(votes) > 128


def _points(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(ink)
    if len(ys) > _MAX_POINTS:  # a regular stride keeps the result deterministic
        step = len(ys) // _MAX_POINTS + 1
        ys, xs = ys[::step], xs[::step]
    return ys.astype(np.float64), xs.astype(np.float64)


def _peakiness(ys: np.ndarray, xs: np.ndarray, degrees: float) -> float:
    shifted = ys - xs * math.tan(math.radians(degrees))
    bins = np.bincount((shifted - shifted.min()).astype(np.int64))
    return float(np.dot(bins, bins)) / (len(ys) ** 2)


def _best_angle(ys: np.ndarray, xs: np.ndarray, *, fine: bool = True) -> tuple[float, float]:
    """The peakiest tilt, coarse to fine: every 1°, then every 0.25° around the best, then every
    0.05°. Measured on 300 dpi pages turned by known off-grid angles, clean and speckled
    (2026-12-03): the same answers as one 0.5° sweep refined by 0.05° over 120,000 points (within
    0.03°), and the analysis 35 → 25 ms a page, with at most 30,000 points (the rest of its cost
    is finding the ink). ``fine=False``: the 1° sweep only."""
    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 1e-9, 1.0)
    scores = [_peakiness(ys, xs, a) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    if not fine:
        return best, float(max(scores))
    for step, reach in ((0.25, 1.0), (0.05, 0.25)):
        angles = np.arange(best - reach, best + reach + 1e-9, step)
        scores = [_peakiness(ys, xs, a) for a in angles]
        best = float(angles[int(np.argmax(scores))])
    return best, float(max(scores))


def analyse(img: Image.Image) -> Analysis:
    ink = _ink(img)
    ratio = float(ink.mean())
    if ratio < BLANK_INK_RATIO:
        return Analysis(ink_ratio=ratio, skew=0.0, sideways=False)
    ys, xs = _points(ink)
    skew, upright_score = _best_angle(ys, xs)
    # Along the other axis, at the same tolerance for skew (the coarse search is enough to
    # compare: a sideways page's profile is peakier by far).
    _, turned_score = _best_angle(xs, ys, fine=False)
    return Analysis(ink_ratio=ratio, skew=skew, sideways=turned_score > 1.3 * upright_score)


def detect_rotation(img: Image.Image, dpi: int, *, workers: int | None) -> int:
    """Degrees to turn the page clockwise so it reads upright, by Tesseract's OSD on a half-size
    copy (same answer, half the cost). 0 when OSD cannot tell (too little text). Takes one of
    the ``workers`` CPU slots (:mod:`motcua.core.cpu`); ``None`` when the caller already holds one."""
    import contextlib

    import pytesseract

    from motcua.core.cpu import tesseract_slot

    half = img.convert("L").reduce(2)
    slot = tesseract_slot(workers) if workers is not None else contextlib.nullcontext()
    try:
        with slot:
            osd = pytesseract.image_to_osd(
                half, config=f"--psm 0 --dpi {max(70, dpi // 2)}",
                output_type=pytesseract.Output.DICT, timeout=120,
            )
    except (pytesseract.TesseractError, RuntimeError):  # RuntimeError: the timeout
        return 0
    return int(osd.get("rotate", 0)) % 360


def turn(img: Image.Image, clockwise_degrees: int) -> Image.Image:
    ops = {
        90: Image.Transpose.ROTATE_270,  # Pillow's ROTATE_n turns counter-clockwise
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return img.transpose(ops[clockwise_degrees]) if clockwise_degrees in ops else img


def deskew(img: Image.Image, skew: float) -> Image.Image:
    """Undo a skew of ``skew`` degrees; the page keeps its size (corners cut by a few pixels)."""
    fill = "white" if img.mode == "RGB" else 255
    return img.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=fill)


def ocr_image(img: Image.Image, dpi: int, *, dpi_known: bool = True) -> Image.Image:
    """The image Tesseract reads: ``max(R, B)`` of a colour scan, in black and white from
    :data:`BLACK_AND_WHITE_MIN_DPI` up (:func:`black_and_white`), and grey when the dpi was only
    assumed (a phone photo has no dpi; one threshold for a page lit unevenly could black out
    what Tesseract reads from the grey).

    Black print is dark in every channel and stays; a red seal is bright in R and a blue-ink
    signature is bright in B, so both fade to near white, while black text *under* the seal (ink
    is subtractive: it stays dark) survives. On a grey scan this is just the grey value.
    """
    if img.mode == "L":
        grey = img
    else:
        red, _green, blue = img.convert("RGB").split()
        grey = ImageChops.lighter(red, blue)  # max(R, B), in C: 3× faster than NumPy
    return black_and_white(grey) if dpi_known and dpi >= BLACK_AND_WHITE_MIN_DPI else grey


BLACK_AND_WHITE_MIN_DPI = 250
"""Below this a page stays grey for Tesseract. Measured 2026-12-03 (Tesseract 5.3 ``vie``,
pages deskewed by 2° and speckled, pages with a seal and a signature): at 300 dpi black and
white read as well or better (CER 1.0 → 0.9%, 0.17 → 0.13%) with 6–20% less CPU; at 200 dpi the
deskewed page read worse (2.2 → 2.8%), and at 150 dpi (benchmarks/classify.py, harsh pages)
worse again (identifiers found 95.5 → 87%)."""


MIN_INK_CONTRAST = 40
"""Grey levels between the mean of the dark and of the light pixels below which a page is left
grey: no ink stands out (a blank or washed-out page), and a threshold would only split noise."""


def black_and_white(grey: Image.Image) -> Image.Image:
    """``grey`` at Otsu's threshold (1 bit), or as it is when no ink stands out.

    Why: at 300 dpi Tesseract reads a page it is given in black and white faster, and as well
    or better. Measured 2026-12-03 with Tesseract 5.3 ``vie``: 12% less CPU a page (0.64 →
    0.56 s on the benchmark's pages); character error rate the same on clean pages and on pages
    with a seal and a signature (0–0.4%), lower on heavily speckled ones (6.2–7.1% → 4.1%):
    Tesseract's own binarisation is the same global Otsu, but it also reads from the grey,
    speckles included.
    (A histogram of a sample and a lookup table: ~6 ms a page.)
    """
    # The threshold from every 4th pixel of every 4th row: the same histogram in shape, 15 → 1 ms.
    sample = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)),
                         Image.Resampling.NEAREST)
    histogram = sample.histogram()
    total = sum(histogram)
    weighted = sum(i * n for i, n in enumerate(histogram))
    best, threshold, dark, dark_weighted = -1.0, 0, 0, 0
    for level, count in enumerate(histogram[:-1]):
        dark += count
        dark_weighted += level * count
        light = total - dark
        if dark == 0 or light == 0:
            continue
        between = dark * light * (dark_weighted / dark - (weighted - dark_weighted) / light) ** 2
        if between > best:
            best, threshold = between, level
    dark = sum(histogram[:threshold + 1])
    light = total - dark
    if not dark or not light:
        return grey
    dark_mean = sum(i * n for i, n in enumerate(histogram[:threshold + 1])) / dark
    light_mean = sum(i * n for i, n in enumerate(histogram[threshold + 1:], threshold + 1)) / light
    if light_mean - dark_mean < MIN_INK_CONTRAST:
        return grey
    return grey.point([0 if v <= threshold else 255 for v in range(256)], "1")
