"""Born-digital Vietnamese PDFs, as an online submission (Dịch vụ công) delivers them.

Pages are drawn with fpdf2 in Liberation Serif (the font of :mod:`motcua.samples.render`, embedded
as a subset with its ToUnicode map, as a word processor's "Save as PDF" does), one word at a time
on justified lines, so a text extractor has to find the spaces from the gaps as it must for real
office PDFs. A page may instead be a scan (a :class:`~motcua.samples.render.RenderedPage` embedded
as a full-page JPEG): that makes the *mixed* PDFs of citizens who append a photographed paper to
a typed form.

:func:`with_active_content` then plants what must never reach the archive (JavaScript, actions
that run on their own, embedded files, forms that submit, multimedia), one kind at a time, so
tests can check each is found and removed. :func:`born_digital_pdf` returns the text it drew,
page by page, so what is extracted can be compared with it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from motcua.errors import ConfigurationError
from motcua.samples.render import FONT_DIRS, Line, RenderedPage
from motcua.text import clean

MM = 72 / 25.4
MARGINS = (30 * MM, 15 * MM, 20 * MM, 20 * MM)  # left, right, top, bottom (Decree 30/2020)
FAMILY = "LiberationSerif"
_STYLES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}

TextPage = Sequence[str | Line]


@dataclass(frozen=True)
class DigitalPdf:
    path: Path
    pages: list[list[str]]  # per page: the text lines drawn, or for a scan the scan's own lines
    scanned: frozenset[int]  # indices of the pages that are only a scanned image

    def page_text(self, index: int) -> str:
        return "\n".join(self.pages[index])


def _font_file(style: str) -> Path:
    for folder in FONT_DIRS:
        path = folder / f"LiberationSerif-{_STYLES[style]}.ttf"
        if path.exists():
            return path
    raise ConfigurationError(
        "Liberation Serif (with Vietnamese glyphs) is not installed",
        hint="install Debian's fonts-liberation2: run infra/bootstrap.sh",
    )


def _new_pdf() -> FPDF:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC))  # reproducible files
    for style in _STYLES:
        pdf.add_font(FAMILY, style=style, fname=str(_font_file(style)))
    return pdf


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    rows, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and pdf.get_string_width(trial) > width:
            rows.append(current)
            current = word
        else:
            current = trial
    if current:
        rows.append(current)
    return rows


def _draw_text_page(pdf: FPDF, lines: TextPage) -> list[str]:
    """One A4 page of ``lines``; what does not fit is cut, and only what was drawn is returned."""
    pdf.add_page(format="A4")
    left, right, top, bottom = MARGINS
    text_w = pdf.w - left - right
    y, drawn = top, []
    for item in lines:
        line = item if isinstance(item, Line) else Line(item)
        pdf.set_font(FAMILY, style=("B" if line.bold else "") + ("I" if line.italic else ""),
                     size=line.size_pt)
        step = line.size_pt * 1.32
        text = clean(line.text)
        if line.align == "header":
            rows = list(zip(text.split("\n"), clean(line.right).split("\n"), strict=False))
            for lhs, rhs in rows:
                if y + step > pdf.h - bottom:
                    break
                for col, s in ((0, lhs), (1, rhs)):
                    if s:
                        x = left + col * text_w / 2 + (text_w / 2 - pdf.get_string_width(s)) / 2
                        pdf.text(x, y + line.size_pt, s)
                drawn.append(" ".join(s for s in (lhs, rhs) if s))
                y += step
        else:
            rows = _wrap(pdf, text, text_w)
            for i, row in enumerate(rows):
                if y + step > pdf.h - bottom:
                    break
                words = row.split()
                extra = text_w - pdf.get_string_width(row)
                x = left + {"center": extra / 2, "right": extra}.get(line.align, 0.0)
                gap = pdf.get_string_width(" ")
                if line.align == "justify" and i < len(rows) - 1 and len(words) > 1:
                    gap = (text_w - sum(pdf.get_string_width(w) for w in words)) / (len(words) - 1)
                for word in words:  # word by word, as office PDFs are laid out
                    pdf.text(x, y + line.size_pt, word)
                    x += pdf.get_string_width(word) + gap
                drawn.append(row)
                y += step
        y += step * line.space_after
    return drawn


def _draw_scan_page(pdf: FPDF, page: RenderedPage, quality: int) -> list[str]:
    w_pt, h_pt = page.image.width * 72 / page.dpi, page.image.height * 72 / page.dpi
    pdf.add_page(format=(w_pt, h_pt))
    buf = io.BytesIO()
    page.image.convert("RGB").save(buf, format="JPEG", quality=quality, dpi=(page.dpi, page.dpi))
    buf.seek(0)
    pdf.image(buf, x=0, y=0, w=w_pt, h=h_pt)
    return list(page.lines)


def born_digital_pdf(
    pages: Sequence[TextPage | RenderedPage], out: Path, *, jpeg_quality: int = 85
) -> DigitalPdf:
    """A PDF with one page per item: text lines (strings or :class:`Line`) drawn as text, or a
    :class:`RenderedPage` embedded as a full-page JPEG at its own resolution."""
    pdf = _new_pdf()
    drawn, scanned = [], set()
    for index, page in enumerate(pages):
        if isinstance(page, RenderedPage):
            drawn.append(_draw_scan_page(pdf, page, jpeg_quality))
            scanned.add(index)
        else:
            drawn.append(_draw_text_page(pdf, page))
    pdf.output(str(out))
    return DigitalPdf(out, drawn, frozenset(scanned))


def mixed_pdf(text_page: TextPage, scan_page: RenderedPage, out: Path) -> DigitalPdf:
    """A typed page followed by a scanned one: the usual online submission with an attachment."""
    return born_digital_pdf([text_page, scan_page], out)


def set_rotation(src: Path, dst: Path, rotations: dict[int, int]) -> Path:
    """A copy of ``src`` whose pages ``index`` carry ``/Rotate degrees`` (turned clockwise)."""
    writer = PdfWriter(clone_from=src)
    for index, degrees in rotations.items():
        writer.pages[index][NameObject("/Rotate")] = NumberObject(degrees)
    writer.write(dst)
    return dst


# --- active content ---------------------------------------------------------------------------


def _action(kind: str, **entries: object) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"),
                               NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def _js(code: str = "app.alert('motcua test');") -> DictionaryObject:
    return _action("/JavaScript", JS=TextStringObject(code))


def _uri(url: str) -> DictionaryObject:
    return _action("/URI", URI=TextStringObject(url))


def _rect(x0: float, y0: float, x1: float, y1: float) -> ArrayObject:
    return ArrayObject(FloatObject(v) for v in (x0, y0, x1, y1))


def _annotate(writer: PdfWriter, page: int, subtype: str, **entries: object) -> DictionaryObject:
    annot = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                              NameObject("/Subtype"): NameObject(subtype),
                              NameObject("/Rect"): _rect(60, 60, 200, 80)})
    for key, value in entries.items():
        annot[NameObject(f"/{key}")] = value
    target = writer.pages[page]
    if "/Annots" not in target:
        target[NameObject("/Annots")] = ArrayObject()
    target["/Annots"].get_object().append(writer._add_object(annot))
    return annot


def _embedded_file(writer: PdfWriter, name: str, data: bytes) -> DictionaryObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    return DictionaryObject({
        NameObject("/Type"): NameObject("/Filespec"),
        NameObject("/F"): TextStringObject(name),
        NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
    })


def _names(writer: PdfWriter, tree: str, name: str, value: DictionaryObject) -> None:
    root = writer.root_object
    if "/Names" not in root:
        root[NameObject("/Names")] = DictionaryObject()
    names = root["/Names"].get_object()
    names[NameObject(tree)] = DictionaryObject({NameObject("/Names"): ArrayObject(
        [TextStringObject(name), writer._add_object(value)])})


def _acroform(writer: PdfWriter) -> DictionaryObject:
    root = writer.root_object
    if "/AcroForm" not in root:
        root[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject()})
    return root["/AcroForm"].get_object()


def _form_field(writer: PdfWriter, **entries: object) -> None:
    """A text field merged with its widget on page 1 (one object in /Fields and /Annots)."""
    _annotate(writer, 0, "/Widget", FT=NameObject("/Tx"), T=TextStringObject("so_cccd"),
              F=NumberObject(4), **entries)
    annots = writer.pages[0]["/Annots"].get_object()
    _acroform(writer)["/Fields"].append(annots[-1])


def _plant_open_action(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = _uri("https://example.invalid/opened")


def _plant_page_action(writer: PdfWriter) -> None:
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _uri("https://example.invalid/page-opened")})


def _plant_xfa(writer: PdfWriter) -> None:
    _acroform(writer)[NameObject("/XFA")] = TextStringObject("<xdp:xdp/>")


def _plant_outline_js(writer: PdfWriter) -> None:
    item = writer.add_outline_item(title="Mục lục", page_number=0).get_object()
    item[NameObject("/A")] = _js()


def _plant_file_attachment(writer: PdfWriter) -> None:
    """A comment with a file, and the popup note Acrobat gives it (which points back to it)."""
    note = _annotate(writer, 0, "/FileAttachment",
                     FS=_embedded_file(writer, "note.txt", EMBEDDED_MARKER))
    popup = _annotate(writer, 0, "/Popup", Parent=note.indirect_reference)
    note[NameObject("/Popup")] = popup.indirect_reference


def _plant_associated_file(writer: PdfWriter) -> None:
    """A PDF/A-3 associated file (an e-invoice's XML, say), tied to the document by /AF."""
    spec = _embedded_file(writer, "hoa-don.xml", EMBEDDED_MARKER)
    spec[NameObject("/AFRelationship")] = NameObject("/Data")
    writer.root_object[NameObject("/AF")] = ArrayObject([writer._add_object(spec)])


def _link(writer: PdfWriter, action: DictionaryObject) -> None:
    _annotate(writer, 0, "/Link", A=action)


EMBEDDED_MARKER = b"MOTCUA-EMBEDDED-PAYLOAD"  # in every planted file, to look for after stripping

_PLANTERS = {
    "javascript": lambda w: _names(w, "/JavaScript", "init", _js()),
    "open_action": _plant_open_action,
    "additional_actions": _plant_page_action,
    "launch": lambda w: _link(w, _action("/Launch", F=TextStringObject("cmd.exe"))),
    "embedded_files": lambda w: _names(w, "/EmbeddedFiles", "payload.exe",
                                       _embedded_file(w, "payload.exe", EMBEDDED_MARKER)),
    "file_attachment": _plant_file_attachment,
    "associated_file": _plant_associated_file,
    "submit_form": lambda w: _link(w, _action(
        "/SubmitForm", F=TextStringObject("https://example.invalid/collect"))),
    "import_data": lambda w: _link(w, _action("/ImportData", F=TextStringObject("data.fdf"))),
    "rich_media": lambda w: _annotate(w, 0, "/RichMedia", RichMediaContent=DictionaryObject()),
    "xfa": _plant_xfa,
    "outline_javascript": _plant_outline_js,
    "next_javascript": lambda w: _link(w, _action(
        "/URI", URI=TextStringObject("https://dichvucong.gov.vn/"), Next=ArrayObject([_js()]))),
    "field_javascript": lambda w: _form_field(w, AA=DictionaryObject({NameObject("/K"): _js()})),
    "uri_link": lambda w: _link(w, _uri("https://dichvucong.gov.vn/")),
}
ACTIVE_KINDS = tuple(k for k in _PLANTERS if k != "uri_link")
"""What :func:`with_active_content` can plant; ``uri_link`` (harmless, kept) is extra."""


def with_active_content(src: Path, dst: Path, kinds: Iterable[str]) -> Path:
    """A copy of ``src`` with each of ``kinds`` planted (see :data:`ACTIVE_KINDS`)."""
    writer = PdfWriter(clone_from=src)
    for kind in kinds:
        _PLANTERS[kind](writer)
    writer.write(dst)
    return dst

