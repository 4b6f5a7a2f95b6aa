"""The visible stamp, read the way a person reads it: the signed page rendered by poppler
(``pdftoppm -r 300``), the stamp cut out and read back by Tesseract ``vie``. And what signing does
to a PDF/A file written by motcua's own assemble step."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import xml.etree.ElementTree as ET
from io import BytesIO
from pathlib import Path

import pytesseract
import pytest
from fontTools import subset, ttLib
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from motcua.core.assemble import assemble_pdf
from motcua.core.ocr import PageText
from motcua.core.scan import PageImage
from motcua.errors import ConfigurationError
from motcua.signing.agency import AgencySigner
from motcua.signing.pades import SignResult, sign_pdf
from motcua.signing.pki import TestPki
from motcua.signing.stamp import StampSpec, default_font, format_signing_time
from motcua.signing.verify import verify_pdf
from tests.fixtures.pki import nss_db_trusting, pdfsig

AGENCY = "Sở Tài nguyên và Môi trường tỉnh Sóc Trăng"
LONG_AGENCY = "Ủy ban nhân dân thành phố Cần Thơ — Bộ phận Tiếp nhận và Trả kết quả"
DPI = 300
PDFA_NS = "http://www.aiim.org/pdfa/ns/id/"


def assembled(tmp_path: Path, pages: int = 2) -> Path:
    """A PDF/A-2b-aimed file from motcua's assemble step (blank A4 scans at 200 dpi, no OCR)."""
    images, texts = [], []
    for i in range(pages):
        jpeg = tmp_path / f"page-{i}.jpg"
        Image.new("RGB", (1654, 2339), "white").save(jpeg, dpi=(200, 200), quality=90)
        images.append(PageImage(index=i, image_path=jpeg, image_mode="RGB", ocr_path=jpeg,
                                width=1654, height=2339, dpi=200))  # fmt: skip
        texts.append(PageText(index=i, text="", confidence=None, words=0,
                              text_pdf=tmp_path / "none.pdf"))  # fmt: skip
    out = tmp_path / "assembled.pdf"
    assemble_pdf(images, texts, out, title="Giấy chứng nhận", created=dt.datetime.now(dt.UTC))
    return out


def widget(result: SignResult) -> tuple[int, tuple[float, ...], int]:
    """(page index, /Rect, /F flags) of the signature's widget, from the signed file."""
    reader = PdfFileReader(BytesIO(result.path.read_bytes()))
    field = next(
        f.get_object() for f in reader.root["/AcroForm"]["/Fields"]
        if f.get_object()["/T"] == result.field_name
    )  # fmt: skip
    pages = [p.idnum for p in reader.root["/Pages"]["/Kids"]]
    rect = tuple(float(v) for v in field["/Rect"])
    return pages.index(field.raw_get("/P").idnum), rect, int(field["/F"])


def ocr_stamp(result: SignResult, tmp_path: Path) -> str:
    page, (x1, y1, x2, y2), _flags = widget(result)
    prefix = tmp_path / "render"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page + 1), "-l", str(page + 1), "-png",
                    str(result.path), str(prefix)], check=True, timeout=120)  # fmt: skip
    (png,) = tmp_path.glob("render*.png")
    with Image.open(png) as image:
        scale, height = DPI / 72, image.height
        crop = image.crop((int(x1 * scale), int(height - y2 * scale),
                           int(x2 * scale), int(height - y1 * scale)))  # fmt: skip
        return pytesseract.image_to_string(crop, lang="vie", config=f"--dpi {DPI} --psm 6")


@pytest.fixture(scope="module")
def signer(test_pki: TestPki, pki_service) -> AgencySigner:
    return AgencySigner.from_pkcs12(
        test_pki.signer_pkcs12, test_pki.read_signer_passphrase(),
        tsa_url=pki_service.tsa, trust_roots=[test_pki.root_cert],
    )  # fmt: skip


def test_the_stamp_reads_back_in_vietnamese(
    tmp_path: Path, signer: AgencySigner, test_pki: TestPki
) -> None:
    result = sign_pdf(assembled(tmp_path), tmp_path / "out.pdf", signer, level="B-T",
                      stamp=StampSpec(agency_name=AGENCY))  # fmt: skip
    page, (_x1, y1, x2, _y2), flags = widget(result)
    assert page == 1 and x2 > 500 and y1 < 100  # default: last page, bottom-right corner
    assert flags & 4 and not flags & 2  # printed, not hidden (PDF/A)

    text = ocr_stamp(result, tmp_path)
    assert "Đã ký số" in text, text
    assert "Tài nguyên và Môi trường" in text and "Sóc Trăng" in text, text
    when = format_signing_time(result.signing_time)  # the CMS signing time, in Vietnam's zone
    assert when.endswith("+07:00") and f"Thời gian ký: {when}" in text, text

    report = verify_pdf(result.path.read_bytes(), trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    assert report.signatures[0].covers_entire_file and report.signatures[0].level == "B-T"


def test_page_box_and_a_long_name_as_configured(
    tmp_path: Path, signer: AgencySigner, test_pki: TestPki
) -> None:
    box = (60.0, 700.0, 260.0, 790.0)  # top-left of the first page
    result = sign_pdf(assembled(tmp_path), tmp_path / "out.pdf", signer, level="B-B",
                      stamp=StampSpec(agency_name=LONG_AGENCY, page=1, box=box))  # fmt: skip
    page, rect, _flags = widget(result)
    assert (page, rect) == (0, box)
    text = ocr_stamp(result, tmp_path)
    # 200 pt is too narrow for the name on one line: it is wrapped, not shrunk out of legibility
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert any(line.startswith("Ủy ban nhân dân") for line in lines), text
    assert any("Trả kết quả" in line and "Ủy ban" not in line for line in lines), text
    report = verify_pdf(result.path.read_bytes(), trust_roots=[test_pki.root_cert])
    assert report.ok and report.signatures[0].covers_entire_file, report.problems


def test_a_stamp_that_does_not_fit_is_refused_before_signing(
    tmp_path: Path, signer: AgencySigner
) -> None:
    src = assembled(tmp_path)
    with pytest.raises(ConfigurationError, match="page 5, the document has 2 page"):
        sign_pdf(src, tmp_path / "out.pdf", signer, level="B-B",
                 stamp=StampSpec(agency_name=AGENCY, page=5))  # fmt: skip
    with pytest.raises(ConfigurationError, match="does not fit page 2"):
        sign_pdf(src, tmp_path / "out.pdf", signer, level="B-B",
                 stamp=StampSpec(agency_name=AGENCY, box=(400, 20, 700, 90)))  # fmt: skip
    assert not (tmp_path / "out.pdf").exists()


def test_a_font_without_vietnamese_glyphs_is_refused(tmp_path: Path, signer: AgencySigner) -> None:
    latin_only = ttLib.TTFont(str(default_font()))  # a real font, cut down to ASCII
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(latin_only)
    latin_only.save(str(tmp_path / "latin.ttf"))
    with pytest.raises(ConfigurationError, match="has no glyph for") as caught:
        sign_pdf(assembled(tmp_path), tmp_path / "out.pdf", signer, level="B-B",
                 stamp=StampSpec(agency_name=AGENCY, font=tmp_path / "latin.ttf"))  # fmt: skip
    assert "ộ" in caught.value.message and "fc-list :lang=vi" in caught.value.hint


def _xmp(data: bytes) -> tuple[ET.Element, bytes]:
    reader = PdfFileReader(BytesIO(data))
    raw = reader.root["/Metadata"].data
    return ET.fromstring(raw[raw.index(b"<x:xmpmeta"):raw.index(b"</x:xmpmeta>") + 12]), raw


def _xmp_value(root: ET.Element, ns: str, name: str) -> str | None:
    """An XMP property, written as an attribute or as an element (both are valid RDF)."""
    for desc in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        if f"{{{ns}}}{name}" in desc.attrib:
            return desc.attrib[f"{{{ns}}}{name}"]
        element = desc.find(f"{{{ns}}}{name}")
        if element is not None:
            return "".join(element.itertext()).strip()
    return None


def test_pdfa_identification_survives_b_lta_with_a_stamp(
    tmp_path: Path, signer: AgencySigner, test_pki: TestPki
) -> None:
    src = assembled(tmp_path)
    before = PdfFileReader(BytesIO(src.read_bytes()))
    intents_before = [
        i.get_object()["/DestOutputProfile"].data for i in before.root["/OutputIntents"]
    ]
    result = sign_pdf(src, tmp_path / "out.pdf", signer, level="B-LTA",
                      stamp=StampSpec(agency_name=AGENCY))  # fmt: skip
    data = result.path.read_bytes()
    reader = PdfFileReader(BytesIO(data))

    xmp, raw = _xmp(data)
    assert (_xmp_value(xmp, PDFA_NS, "part"), _xmp_value(xmp, PDFA_NS, "conformance")) == ("2", "B")
    assert "Giấy chứng nhận" in (_xmp_value(xmp, "http://purl.org/dc/elements/1.1/", "title") or "")
    assert "/Filter" not in reader.root["/Metadata"] and b"pdfaid" in raw  # plain, readable XMP
    # Info and XMP agree (PDF/A): the producer ...
    info = reader.trailer["/Info"]
    assert str(info["/Producer"]) == _xmp_value(xmp, "http://ns.adobe.com/pdf/1.3/", "Producer")
    # ... and the modification date (each written by pyHanko from its own clock reading)
    xmp_mod = dt.datetime.fromisoformat(
        _xmp_value(xmp, "http://ns.adobe.com/xap/1.0/", "ModifyDate") or ""
    )
    m = re.fullmatch(r"D:(\d{14})(?:Z|([+-])(\d\d)'?(\d\d)'?)?", str(info["/ModDate"]))
    assert m is not None, info["/ModDate"]
    info_mod = dt.datetime.strptime(m.group(1), "%Y%m%d%H%M%S").replace(
        tzinfo=dt.timezone(int(f"{m.group(2) or '+'}1") * dt.timedelta(
            hours=int(m.group(3) or 0), minutes=int(m.group(4) or 0)))
    )  # fmt: skip
    assert abs((info_mod - xmp_mod).total_seconds()) <= 1
    # the output intent is untouched
    assert [i.get_object()["/DestOutputProfile"].data for i in reader.root["/OutputIntents"]] == (
        intents_before
    )

    # every font embedded (poppler's pdffonts: the stamp's is the only font on a blank scan)
    fonts = subprocess.run(["pdffonts", str(result.path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]  # fmt: skip
    assert fonts and all(re.search(r"\byes\s+yes\s+yes\b", row) for row in fonts), fonts
    # no transparency anywhere: no soft masks, no constant alpha below 1, no transparency group
    assert not re.search(rb"/SMask|/CA\s+0?\.\d|/ca\s+0?\.\d|/S\s*/Transparency", data)
    # every annotation printable and not hidden (PDF/A-2 6.3.2)
    for page in reader.root["/Pages"]["/Kids"]:
        for annot in page.get_object().get("/Annots", ()):
            flags = int(annot.get_object()["/F"])
            assert flags & 4 and not flags & (1 | 2 | 32), flags

    report = verify_pdf(data, trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    assert report.signatures[0].level == "B-LTA"


def test_poppler_agrees_that_a_stamped_signature_covers_the_file(
    tmp_path: Path, signer: AgencySigner, test_pki: TestPki
) -> None:
    result = sign_pdf(assembled(tmp_path), tmp_path / "out.pdf", signer, level="B-T",
                      stamp=StampSpec(agency_name=AGENCY))  # fmt: skip
    report = pdfsig(nss_db_trusting(test_pki.root_cert, tmp_path / "nss"), result.path)
    assert "Signature is Valid" in report and "Total document signed" in report, report
    assert "Not total document signed" not in report, report
