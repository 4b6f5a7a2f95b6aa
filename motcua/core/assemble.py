"""The `assemble` step's pure core: one searchable PDF per document.

Each page is the colour scan (its JPEG bytes embedded unchanged) with Tesseract's invisible
text-only page laid over it (as a Form XObject, :func:`~motcua.core.pdflayers.graft_text_layer`), so the page looks exactly like the paper and ``pdftotext`` returns
what Tesseract read. The two layers share their geometry because both come from the same
upright, deskewed image at the same dpi.

PDF/A: the archive rules ask for PDF/A at ≥ 200 dpi. The file is written *towards* PDF/A-2b: an
sRGB output intent, XMP metadata with the PDF/A identification matching the document info, every
font embedded (Tesseract's GlyphLessFont), no encryption, no transparency. It is not checked by a
conformance validator here (veraPDF is not available from the registries this project installs
from); docs/archive.md says so.

A PDF that was already digital (:class:`~motcua.core.scan.DigitalSource`) is not rebuilt:
:func:`assemble_digital` keeps its pages as they are and lays the OCR text on its image pages
only; a signed one is kept byte for byte. Neither is claimed to be PDF/A.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageCms
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from motcua.core import layout
from motcua.core.ocr import PageText
from motcua.core.pdfimage import add_image_page
from motcua.core.pdflayers import TextLayer, add_text_layers, graft_text_layer
from motcua.core.scan import JPEG_QUALITY, DigitalSource, PageImage, ScannedDocument

PRODUCER = "motcua"


@dataclass(frozen=True)
class AssembledPdf:
    path: Path
    pages: int
    sha256: str
    size_bytes: int


@cache
def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _page_jpeg(page: PageImage, turned: int) -> tuple[bytes, int, int]:
    if not turned:
        return page.image_path.read_bytes(), page.width, page.height
    with Image.open(page.image_path) as img:
        upright = layout.turn(img, turned)
        buf = io.BytesIO()
        upright.save(buf, format="JPEG", quality=JPEG_QUALITY, dpi=(page.dpi, page.dpi))
        return buf.getvalue(), upright.width, upright.height


def _xmp(title: str, created: dt.datetime) -> bytes:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    esc = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{esc}</rdf:li></rdf:Alt></dc:title>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <pdf:Producer>{PRODUCER}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _mark_pdfa(writer: PdfWriter, title: str, created: dt.datetime) -> None:
    icc = DecodedStreamObject()
    icc.set_data(_srgb_icc())
    icc[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): writer._add_object(icc),
        }
    )
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    xmp = DecodedStreamObject()
    xmp.set_data(_xmp(title, created))
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    pdf_date = created.strftime("D:%Y%m%d%H%M%SZ")
    writer.add_metadata(
        {"/Title": title, "/Producer": PRODUCER, "/CreationDate": pdf_date, "/ModDate": pdf_date}
    )


def assemble_pdf(
    pages: Sequence[PageImage],
    texts: Sequence[PageText],
    out: Path,
    *,
    title: str,
    created: dt.datetime,
) -> AssembledPdf:
    """Write the searchable PDF of ``pages`` (with their OCR ``texts``) to ``out``."""
    by_index = {t.index: t for t in texts}
    writer = PdfWriter()
    for page in pages:
        text = by_index[page.index]
        jpeg, width, height = _page_jpeg(page, text.turned)
        target = add_image_page(writer, jpeg, width, height, page.image_mode, page.dpi)
        if not text.empty:  # same geometry as the image (the JPEG is turned like the text)
            graft_text_layer(writer, target, TextLayer(text.text_pdf))
    _mark_pdfa(writer, title, created.astimezone(dt.UTC))
    buf = io.BytesIO()
    writer.write(buf)
    data = buf.getvalue()
    out.write_bytes(data)
    return AssembledPdf(
        path=out, pages=len(pages), sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data)
    )


def assemble_digital(
    digital: DigitalSource, pages: Sequence[PageImage], texts: Sequence[PageText], out: Path
) -> AssembledPdf:
    """The archived PDF of a digital input: the PDF itself (without its active content), with
    the OCR text layer of each image page laid on that page alone; a signed PDF byte for byte,
    never rewritten (its OCR text is indexed, not added to it)."""
    by_index = {t.index: t for t in texts}
    layers = {p.index: TextLayer(by_index[p.index].text_pdf, p.rotation + by_index[p.index].turned, p.skew)
              for p in pages if p.index in by_index and not by_index[p.index].empty}
    if digital.signed or not layers:
        shutil.copyfile(digital.pdf, out)
    else:
        add_text_layers(digital.pdf, out, layers)
    data = out.read_bytes()
    return AssembledPdf(path=out, pages=digital.page_count,
                        sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


def document_text(scanned: ScannedDocument, texts: Sequence[PageText]) -> str:
    """The whole document's text in page order, pages separated by form feeds (as pdftotext
    does): OCR text for scanned pages, extracted text for the text pages of a digital PDF."""
    by_index = {t.index: t.text for t in texts}
    if scanned.digital is not None:
        by_index.update(dict(scanned.digital.texts))
    return "\f".join(by_index[i] for i in sorted(by_index))
