"""Vietnamese text hygiene (DESIGN §7).

Every piece of text that enters motcua, from OCR or from a user, passes through :func:`clean`:
NFC normalisation, so that "ộ" is one code point whatever produced it, and the OCR look-alikes
Tesseract emits mapped back, so identifiers such as ``09/ĐK`` match.

:func:`fold` builds the *search copy* of a text, used only when a caller asks for
diacritics-insensitive search: neither Unicode decomposition nor SQLite FTS5 folds ``đ`` to ``d``,
and Vietnamese puts the tone mark in two places ("hoá"/"hóa"), which NFC keeps apart.
"""

from __future__ import annotations

import unicodedata

# Characters Tesseract outputs that look like, but are not, what the page says.
_LOOKALIKES = str.maketrans(
    {
        "\u00d0": "\u0110",  # Ð (Icelandic eth) → Đ
        "\u00f0": "\u0111",  # ð → đ
        "\u2044": "/",  # ⁄ fraction slash → /
        "\u2215": "/",  # ∕ division slash → /
        "\u00a0": " ",  # no-break space
        "\ufb01": "fi",
        "\ufb02": "fl",
    }
)


def clean(text: str) -> str:
    """NFC-normalise ``text`` and map OCR look-alikes back to what the page says."""
    return unicodedata.normalize("NFC", text.translate(_LOOKALIKES))


def fold(text: str) -> str:
    """Lower-case, diacritics-free copy for tolerant search: "Đăng ký" → "dang ky".

    Both tone-mark placements ("hoá", "hóa") fold to the same string because every combining mark
    is dropped after decomposition.
    """
    decomposed = unicodedata.normalize("NFD", clean(text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")
