"""A PDF page that is exactly one image, written with pypdf.

The page is sized so the image keeps its resolution (``pixels / dpi`` inches) and the image's
compressed bytes are embedded as they are (``/DCTDecode`` for JPEG): no decode and re-encode, so
the archived page keeps the scanner's quality. Pillow's own PDF writer is not used because its
cross-reference table trips pyHanko's strict parser.
"""

from __future__ import annotations

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

_COLOUR_SPACES = {"RGB": "/DeviceRGB", "L": "/DeviceGray", "CMYK": "/DeviceCMYK"}


def page_size_points(width_px: int, height_px: int, dpi: float) -> tuple[float, float]:
    return width_px * 72.0 / dpi, height_px * 72.0 / dpi


def add_image_page(
    writer: PdfWriter, jpeg: bytes, width_px: int, height_px: int, mode: str, dpi: float
):
    """Append a page showing the JPEG ``jpeg`` full-page; return the new page object."""
    if mode not in _COLOUR_SPACES:
        raise ValueError(f"unsupported JPEG colour mode for a PDF page: {mode}")
    w_pt, h_pt = page_size_points(width_px, height_px, dpi)
    page = writer.add_blank_page(width=w_pt, height=h_pt)

    image = StreamObject()
    image.set_data(jpeg)
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(width_px),
            NameObject("/Height"): NumberObject(height_px),
            NameObject("/ColorSpace"): NameObject(_COLOUR_SPACES[mode]),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/DCTDecode"),
        }
    )
    if mode == "CMYK":  # Adobe writes inverted CMYK JPEGs; PDF viewers expect this Decode.
        image[NameObject("/Decode")] = ArrayObject([NumberObject(v) for v in (1, 0) * 4])
    image_ref = writer._add_object(image)

    content = DecodedStreamObject()
    content.set_data(f"q {w_pt:.4f} 0 0 {h_pt:.4f} 0 0 cm /Im0 Do Q\n".encode("ascii"))
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/Resources")] = DictionaryObject(
        {
            NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): image_ref}),
            NameObject("/ProcSet"): ArrayObject([NameObject("/PDF"), NameObject("/ImageC")]),
        }
    )
    return page
