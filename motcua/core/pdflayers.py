"""Invisible text layers grafted onto the image pages of a digital PDF (DESIGN §1).

In a mixed PDF only the image pages are OCR'd; :func:`add_text_layers` lays each one's invisible
text (Tesseract's ``textonly_pdf`` page of its OCR image, a :class:`TextLayer`) over that page
alone; every original page keeps its content streams, fonts and size. A PDF that already carries
a signature is never rewritten: the grafter refuses it.

Why these choices:

- Rotation: the OCR image of a page is the page *as shown* (``/Rotate`` applied, CropBox), then
  turned upright and deskewed by the scan step; the text layer is mapped back through each of
  those turns, so it lands on the words whichever way the page is stored.
- The layer is grafted as a Form XObject with the original streams wrapped in ``q … Q``: no
  content stream is parsed or rewritten (pypdf's ``merge_transformed_page`` would replace the
  page's streams by one new stream and add the layer's font to the page's font dictionary).
  The scan path lays its text layers the same way (:mod:`motcua.core.assemble`): parsing
  Tesseract's stream to merge it cost ~20 ms a page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
)

from motcua.core.pdfread import (
    Matrix,
    get,
    is_signed,
    open_pdf,
    page_rotation,
    signed_refusal,
    then,
    visible_box,
)

__all__ = ["TextLayer", "add_text_layers", "graft_text_layer"]


@dataclass(frozen=True)
class TextLayer:
    """Tesseract's one-page text-only PDF, and how its image was turned from the page as shown."""

    pdf: Path
    turned: int = 0  # clockwise degrees: PageImage.rotation + PageText.turned
    skew: float = 0.0  # PageImage.skew: degrees the image was then turned counter-clockwise


def _unturn(clockwise: int, width: float, height: float) -> Matrix:
    """From an image turned ``clockwise`` (now ``width`` × ``height``) back to the original."""
    return {0: (1, 0, 0, 1, 0, 0), 90: (0, 1, -1, 0, height, 0),
            180: (-1, 0, 0, -1, width, height), 270: (0, -1, 1, 0, 0, width)}[clockwise % 360]


def _layer_matrix(layer_box: tuple[float, float, float, float], layer: TextLayer,
                  page_box: tuple[float, float, float, float], rotate: int) -> Matrix:
    """Text-layer space → the page's user space. The OCR image was: the page as shown (CropBox,
    turned ``rotate`` clockwise), turned ``layer.turned`` clockwise, then ``layer.skew`` degrees
    counter-clockwise about its centre. Undo each, scale to the box, undo the page's /Rotate."""
    lx, ly, wt, ht = layer_box
    x0, y0, w, h = page_box
    m: Matrix = (1, 0, 0, 1, -lx, -ly)
    if layer.skew:
        cos, sin = math.cos(math.radians(-layer.skew)), math.sin(math.radians(-layer.skew))
        m = then(then(then(m, (1, 0, 0, 1, -wt / 2, -ht / 2)), (cos, sin, -sin, cos, 0, 0)),
                  (1, 0, 0, 1, wt / 2, ht / 2))
    m = then(m, _unturn(layer.turned, wt, ht))
    wo, ho = (ht, wt) if layer.turned % 180 else (wt, ht)
    wd, hd = (h, w) if rotate % 180 else (w, h)
    m = then(m, (wd / wo, 0, 0, hd / ho, 0, 0))
    return then(then(m, _unturn(rotate, wd, hd)), (1, 0, 0, 1, x0, y0))


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


def graft_text_layer(writer: PdfWriter, page, layer: TextLayer) -> None:
    """Lay ``layer`` over ``page`` as a Form XObject; the page's own streams stay as they are."""
    text_page = PdfReader(layer.pdf).pages[0]
    box = text_page.mediabox
    layer_box = (float(box.left), float(box.bottom), float(box.width), float(box.height))
    contents = text_page.get_contents()
    form = DecodedStreamObject()
    form.set_data(contents.get_data() if contents is not None else b"")
    form.update({
        NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(box),
        NameObject("/Resources"): get(text_page, "/Resources", DictionaryObject()).clone(writer),
    })
    resources = DictionaryObject(get(page, "/Resources", DictionaryObject()))  # page's own copy
    xobjects = DictionaryObject(get(resources, "/XObject", DictionaryObject()))
    name = next(f"/OcrText{n}" for n in range(len(xobjects) + 1) if f"/OcrText{n}" not in xobjects)
    xobjects[NameObject(name)] = writer._add_object(form.flate_encode())
    resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = resources

    ctm = _layer_matrix(layer_box, layer, visible_box(page), page_rotation(page))
    overlay = "Q\nq {} cm {} Do Q\n".format(" ".join(f"{v:.6f}" for v in ctm), name)
    original = page.get("/Contents")
    streams = [] if original is None else [original]
    if original is not None and isinstance(original.get_object(), ArrayObject):
        streams = list(original.get_object())
    page[NameObject("/Contents")] = ArrayObject(
        [_stream(writer, b"q\n"), *streams, _stream(writer, overlay.encode("ascii"))])


def add_text_layers(src: Path, dst: Path, layers: Mapping[int, Path | TextLayer]) -> None:
    """Write ``src`` to ``dst`` with, on each page ``i`` of ``layers``, the invisible text of
    ``layers[i]`` (Tesseract's ``textonly_pdf`` page of that page's OCR image) scaled onto the
    page's visible box. Other pages are not touched. Refuses (ValueError) a signed PDF."""
    reader = open_pdf(src)
    if is_signed(reader):
        raise signed_refusal(src)
    writer = PdfWriter(clone_from=reader)
    for index, layer in sorted(layers.items()):
        layer = layer if isinstance(layer, TextLayer) else TextLayer(layer)
        graft_text_layer(writer, writer.pages[index], layer)
    writer.write(dst)
