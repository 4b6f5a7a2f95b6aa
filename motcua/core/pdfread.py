"""Reading a PDF with pypdf: what the three PDF steps share (DESIGN §1).

:mod:`motcua.core.pdfinput` reads what a PDF carries, :mod:`motcua.core.pdfactive` strips its
active content and :mod:`motcua.core.pdflayers` grafts text layers onto its image pages; all three
open the file the same way and read the same few things from it, which live here:

- :func:`open_pdf` turns whatever pypdf raises on a damaged file into :class:`CorruptInput`, and
  refuses an encrypted one (:class:`EncryptedInput`): motcua never guesses passwords.
- :func:`get` resolves indirect references, which pypdf's own ``get`` returns as they are.
- A page's visible box (CropBox), its /Rotate and the images it draws directly.
- :func:`is_signed`: a PDF that already carries a signature is never rewritten; both writers
  refuse it with :func:`signed_refusal`.
- PDF matrices (:data:`Matrix`, :func:`then`), for placing the text layer and for telling a page
  that is one full-page scan.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, IndirectObject, NullObject

from motcua.errors import CorruptInput, EncryptedInput

__all__ = ["PDF_ERRORS", "Matrix", "get", "is_signed", "open_pdf", "page_images", "page_rotation",
           "signed_refusal", "then", "visible_box"]

PDF_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError,
              ZeroDivisionError, NotImplementedError, RecursionError)


def open_pdf(path: Path) -> PdfReader:
    try:
        reader = PdfReader(path, strict=False)
        encrypted = reader.is_encrypted
    except PDF_ERRORS as exc:
        raise CorruptInput(f"the PDF cannot be read: {type(exc).__name__}: {exc}",
                           hint="the file is damaged or truncated") from exc
    if encrypted:
        raise EncryptedInput(
            "the PDF is encrypted (password protected)",
            hint="ask the applicant for an unprotected copy; motcua never guesses passwords",
        )
    return reader


def get(obj: DictionaryObject, key: str, default=None):
    """``obj[key]`` resolved, or ``default``: pypdf's ``get`` returns indirect references."""
    value = obj.get(key, default)
    value = value.get_object() if isinstance(value, IndirectObject) else value
    return default if isinstance(value, NullObject) else value


def visible_box(page) -> tuple[float, float, float, float]:
    box = page.cropbox
    return float(box.left), float(box.bottom), float(box.width), float(box.height)


def page_rotation(page) -> int:
    """/Rotate as 0, 90, 180 or 270 (ISO 32000 allows no other; an invalid value counts as 0)."""
    rotate = int(page.rotation) % 360
    return rotate if rotate % 90 == 0 else 0


def page_images(page) -> list[DictionaryObject]:
    xobjects = get(get(page, "/Resources", DictionaryObject()), "/XObject")
    if not xobjects:
        return []
    found = (ref.get_object() for ref in xobjects.values())
    return [obj for obj in found if get(obj, "/Subtype") == "/Image"]


def is_signed(reader: PdfReader) -> bool:
    """A signature field with a value (/V), or a certification (/Perms /DocMDP)."""
    root = reader.root_object
    if "/DocMDP" in get(root, "/Perms", {}):
        return True

    def signed_field(field, inherited_type, seen: set[int]) -> bool:
        field = field.get_object()
        if id(field) in seen:
            return False
        seen.add(id(field))
        kind = get(field, "/FT", inherited_type)
        if kind == "/Sig" and get(field, "/V") is not None:
            return True
        return any(signed_field(kid, kind, seen) for kid in get(field, "/Kids", ()))

    fields = list(get(get(root, "/AcroForm", {}), "/Fields", ()))
    fields += [a for p in reader.pages for a in get(p, "/Annots", ())]  # stray widgets
    seen: set[int] = set()
    return any(signed_field(f, None, seen) for f in fields)


def signed_refusal(src: Path) -> ValueError:
    return ValueError(f"{src.name} carries a signature: it is archived as it is, never rewritten")


Matrix = tuple[float, float, float, float, float, float]  # PDF [a b c d e f]


def then(m1: Matrix, m2: Matrix) -> Matrix:
    """``m1`` applied first, then ``m2``."""
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (a2 * a1 + c2 * b1, b2 * a1 + d2 * b1, a2 * c1 + c2 * d1, b2 * c1 + d2 * d1,
            a2 * e1 + c2 * f1 + e2, b2 * e1 + d2 * f1 + f2)
