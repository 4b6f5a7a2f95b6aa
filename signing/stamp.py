"""The visible signature stamp: who signed ("Đã ký số", the agency) and when, in Vietnamese.

A reader of the printed copy sees that the document was digitally signed, by which agency and at
what time, without a PDF viewer's signature panel. The stamp is the signature field's appearance,
so it is part of what the signature covers: it cannot be changed without breaking the signature.

Why it is built this way:

- **Font.** Vietnamese needs glyphs for the stacked diacritics (ộ, ủ, ở, ặ); Debian's
  ``fonts-liberation`` 1.x lacks many (platform-notes). The default is Noto Sans from
  ``fonts-noto-core``, else Liberation Sans 2; any font is checked for every Vietnamese letter
  before use. The font is embedded (a subset), as PDF/A requires.
- **Cost.** pyHanko subsets the whole font file for every document (~250 ms for Noto Sans'
  0.5 MB, more than a B-T signature). So the font is cut down once per process to the Latin and
  Vietnamese letters, digits and punctuation without hinting or OpenType layout tables (NFC
  Vietnamese needs no mark positioning: every letter is one precomposed glyph), and pyHanko
  subsets that small font per document (~35 ms). That cut still has 1,035 glyphs of Noto Sans,
  and pyHanko keeps glyph ids, so per document it parsed, subset and wrote back every glyph slot.
  The stamp only ever shows its fixed words, one agency's name and the digits and separators of
  the time, so the font pyHanko gets is cut once more, per agency name and process, to those
  characters (53 glyphs for a typical name, ~6 ms once; :func:`_font_for`): a B-LT signature
  with the stamp went from ~45 to ~37 ms CPU (2026-12-03). Same outlines, advance widths and
  font descriptor metrics: the stamp renders pixel for pixel as before (pdftoppm, 300 dpi).
- **Time zone.** The stamp shows the CMS signing time (the same instant pyHanko writes as
  ``signingTime``) in Asia/Ho_Chi_Minh, e.g. ``Thời gian ký: 22/11/2026 15:04:05 +07:00``,
  whatever the machine's zone: pyHanko renders the time with the local zone, so it is asked for
  an ISO form that :class:`_VietnamTimeStampStyle` re-reads and re-formats.
- **PDF/A.** No background (a background is drawn with transparency), no colour operators (the
  default black is DeviceGray, allowed under any PDF/A output intent), the font embedded with a
  ToUnicode map; pyHanko sets the widget's Print flag.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from string import digits

from fontTools import subset, ttLib
from fontTools.ttLib import TTLibError
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.stamp import TextStampStyle

from motcua.errors import ConfigurationError
from motcua.times import VN_TZ

DEFAULT_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
)
FONT_SIZE = 9
DEFAULT_SIZE = (240.0, 64.0)
"""Width and height (points) of the default stamp box."""
DEFAULT_MARGIN = 28.0
"""Distance (points, ~1 cm) of the default box from the page's right and bottom edges."""
PADDING = 4
STAMP_TEXT = "Đã ký số\n%(agency)s\nThời gian ký: %(ts)s"
VIETNAMESE_LETTERS = "ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
_ISO = "%Y-%m-%dT%H:%M:%S%z"
_UNICODE_RANGES = (
    (0x20, 0x7E), (0xA0, 0xFF), (0x100, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF),
    (0x2000, 0x206F), (0x20AB, 0x20AB),
)  # fmt: skip


@dataclass(frozen=True)
class StampSpec:
    """Where the stamp goes and whose name it shows.

    ``page`` is 1-based, negative counts from the end (-1 = last page). ``box`` is
    ``(x1, y1, x2, y2)`` in points from the page's lower-left corner; ``None`` puts a
    240 × 64 pt box in the bottom-right corner of whatever size the page has.
    """

    agency_name: str
    page: int = -1
    box: tuple[float, float, float, float] | None = None
    font: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "agency_name", unicodedata.normalize("NFC", self.agency_name))
        if self.page == 0:
            raise ConfigurationError("stamp page 0 does not exist", hint="pages count from 1")
        if not self.agency_name.strip():
            raise ConfigurationError("the stamp needs the agency's name", hint="pass agency_name")


def format_signing_time(moment: datetime) -> str:
    """``22/11/2026 15:04:05 +07:00``: the Vietnamese date order, in Asia/Ho_Chi_Minh."""
    local = moment.astimezone(VN_TZ)
    offset = local.strftime("%z")
    return local.strftime("%d/%m/%Y %H:%M:%S ") + f"{offset[:3]}:{offset[3:]}"


@dataclass(frozen=True)
class PlacedStamp:
    """A stamp resolved against one document: pyHanko's field spec, style and text."""

    field_spec: SigFieldSpec
    style: TextStampStyle
    text_params: dict[str, str] = field(hash=False, compare=False)


def place_stamp(
    writer: IncrementalPdfFileWriter, field_name: str, stamp: StampSpec
) -> PlacedStamp:
    """Resolve page and box for this document; :class:`ConfigurationError` if they do not fit."""
    count = int(writer.root["/Pages"]["/Count"])
    index = stamp.page - 1 if stamp.page > 0 else count + stamp.page
    if not 0 <= index < count:
        raise ConfigurationError(
            f"the stamp is configured for page {stamp.page}, the document has {count} page(s)",
            hint="set MOTCUA_STAMP_PAGE to 1 (first) or -1 (last page)",
        )
    page = writer.find_page_for_modification(index)[0].get_object()
    x0, y0, x1, y1 = _page_box(page)
    if stamp.box is None:
        width = min(DEFAULT_SIZE[0], x1 - x0 - 2 * DEFAULT_MARGIN)
        height = min(DEFAULT_SIZE[1], y1 - y0 - 2 * DEFAULT_MARGIN)
        if width < DEFAULT_SIZE[0] / 2 or height < DEFAULT_SIZE[1] / 2:
            raise ConfigurationError(
                f"page {index + 1} ({x1 - x0:g} × {y1 - y0:g} pt) is too small for the stamp",
                hint="set MOTCUA_STAMP_PAGE to another page, or MOTCUA_STAMP_ENABLED=false",
            )
        box = (x1 - DEFAULT_MARGIN - width, y0 + DEFAULT_MARGIN,
               x1 - DEFAULT_MARGIN, y0 + DEFAULT_MARGIN + height)  # fmt: skip
    else:
        box = stamp.box
        if not (x0 <= box[0] and box[2] <= x1 and y0 <= box[1] and box[3] <= y1):
            raise ConfigurationError(
                f"the stamp box {box} does not fit page {index + 1}, which spans "
                f"({x0:g}, {y0:g}) to ({x1:g}, {y1:g}) points",
                hint="make MOTCUA_STAMP_BOX smaller, or leave it empty for the bottom-right corner",
            )
    font = load_stamp_font(stamp.font)
    text_width = box[2] - box[0] - 4 * PADDING - 2
    agency = "\n".join(_wrap(stamp.agency_name, font, text_width))
    return PlacedStamp(
        field_spec=SigFieldSpec(field_name, on_page=index, box=box),  # type: ignore[arg-type]
        style=_style(_font_for(font, stamp.agency_name)),
        text_params={"agency": agency},
    )


def load_stamp_font(path: Path | None) -> bytes:
    """The stamp font (``path``, else :func:`default_font`) cut down for embedding, checked for
    every Vietnamese letter; cached per process. :class:`ConfigurationError` if unusable."""
    return _font_bytes(path or default_font())


def default_font() -> Path:
    for candidate in DEFAULT_FONTS:
        if candidate.is_file():
            return candidate
    raise ConfigurationError(
        "no font with Vietnamese glyphs found for the signature stamp "
        f"(looked for {', '.join(map(str, DEFAULT_FONTS))})",
        hint="run infra/bootstrap.sh (fonts-noto-core), or set MOTCUA_STAMP_FONT",
    )


def _page_box(page: generic.DictionaryObject) -> tuple[float, float, float, float]:
    """The visible area of a page: its CropBox, else its MediaBox (both inheritable)."""
    node: generic.DictionaryObject | None = page
    found: dict[str, generic.ArrayObject] = {}
    while node is not None:
        for key in ("/CropBox", "/MediaBox"):
            if key in node and key not in found:
                found[key] = node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    rect = found.get("/CropBox") or found["/MediaBox"]
    x0, y0, x1, y1 = (float(v) for v in rect)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


class _VietnamTimeStampStyle(TextStampStyle):
    """pyHanko formats the signing time with the machine's zone; show it in Vietnam's."""

    def create_stamp(self, writer, box, text_params):  # type: ignore[no-untyped-def]
        params = dict(text_params)
        params["ts"] = format_signing_time(datetime.strptime(params["ts"], _ISO))
        return super().create_stamp(writer, box, params)


@dataclass(frozen=True)
class _EmbeddedFont(FontEngineFactory):
    """A font engine over font bytes held in memory (pyHanko's own factory reopens a file per
    document and never closes it)."""

    data: bytes = field(repr=False)
    font_size: int = FONT_SIZE

    def create_font_engine(self, writer, obj_stream=None):  # type: ignore[no-untyped-def]
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer, font_handle=BytesIO(self.data), font_size=self.font_size,
            bcp47_lang_code="vi", obj_stream=obj_stream,
        )  # fmt: skip


@cache
def _style(font: bytes) -> TextStampStyle:
    inner = layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MIN,
        y_align=layout.AxisAlignment.ALIGN_MID,
        margins=layout.Margins.uniform(PADDING),
        inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
    )
    text = TextBoxStyle(
        font=_EmbeddedFont(font),
        font_size=FONT_SIZE,
        leading=round(FONT_SIZE * 1.4),
        box_layout_rule=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(PADDING),
        ),
    )
    return _VietnamTimeStampStyle(
        text_box_style=text, stamp_text=STAMP_TEXT, timestamp_format=_ISO,
        border_width=1, inner_content_layout=inner,
    )  # fmt: skip


@cache
def _font_bytes(path: Path) -> bytes:
    """The font cut down to Latin + Vietnamese, once per process (see the module docstring)."""
    try:
        font = ttLib.TTFont(str(path))
        cmap = font.getBestCmap() or {}
    except (OSError, TTLibError, AssertionError) as exc:
        raise ConfigurationError(
            f"cannot read the stamp font {path}: {exc}", hint="set MOTCUA_STAMP_FONT to a .ttf/.otf"
        ) from exc
    missing = sorted({c for c in VIETNAMESE_LETTERS if ord(c) not in cmap})
    if missing:
        raise ConfigurationError(
            f"the stamp font {path} has no glyph for {''.join(missing)}",
            hint="use a font with Vietnamese coverage (fc-list :lang=vi), e.g. Noto Sans",
        )
    return _cut(font, [c for a, b in _UNICODE_RANGES for c in range(a, b + 1)])


@lru_cache(maxsize=16)
def _font_for(font: bytes, agency_name: str) -> bytes:
    """``font`` (from :func:`_font_bytes`) cut down to what a stamp for ``agency_name`` can
    show: its fixed words, the name, and the digits and separators of any signing time.

    Read without recomputing bounding boxes, so the metrics pyHanko copies into the PDF's font
    descriptor (``/FontBBox`` from the ``head`` table, ascent and descent) are those of ``font``.
    """
    sample_time = format_signing_time(datetime(2026, 12, 3, tzinfo=UTC))
    shown = STAMP_TEXT % {"agency": agency_name, "ts": sample_time}
    return _cut(ttLib.TTFont(BytesIO(font), recalcBBoxes=False), {ord(c) for c in shown + digits})


def _cut(font: ttLib.TTFont, unicodes: Iterable[int]) -> bytes:
    """``font`` subset to ``unicodes``: no hinting, no OpenType layout, every name kept."""
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


@cache
def _advances(font: bytes) -> tuple[dict[int, int], int]:
    tt = ttLib.TTFont(BytesIO(font))
    hmtx = tt["hmtx"]
    widths = {cp: hmtx[name][0] for cp, name in (tt.getBestCmap() or {}).items()}
    return widths, tt["head"].unitsPerEm


def _wrap(text: str, font: bytes, max_width: float) -> list[str]:
    """Greedy word wrap by the font's advance widths (pyHanko's text box does not wrap)."""
    widths, units = _advances(font)

    def width(s: str) -> float:
        return sum(widths.get(ord(c), units // 2) for c in s) * FONT_SIZE / units

    lines: list[str] = []
    for word in text.split():
        if lines and width(f"{lines[-1]} {word}") <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]
