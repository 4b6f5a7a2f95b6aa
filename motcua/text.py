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


# Tesseract reads one "Đ" as "Đ" and an eth ("QĐÐ-STNMT"); Vietnamese never doubles it.
_DOUBLED = (("\u0110\u00d0", "\u0110"), ("\u0111\u00f0", "\u0111"))


def clean(text: str) -> str:
    """NFC-normalise ``text`` and map OCR look-alikes back to what the page says."""
    for doubled, single in _DOUBLED:
        text = text.replace(doubled, single)
    return unicodedata.normalize("NFC", text.translate(_LOOKALIKES))


def fold(text: str) -> str:
    """Lower-case, diacritics-free copy for tolerant search: "Đăng ký" → "dang ky".

    Both tone-mark placements ("hoá", "hóa") fold to the same string because every combining mark
    is dropped after decomposition.
    """
    decomposed = unicodedata.normalize("NFD", clean(text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_name(name: str) -> str:
    """A file name as it may be shown and stored: NFC, every control or format character written
    as an escape (``\\n``, ``\\x01``, ``\\u202e``: a right-to-left override cannot turn
    ``gnp.exe`` into ``exe.png`` on screen), and a literal backslash doubled, so the escaped form
    reads back unambiguously. Nothing else changes: Vietnamese letters stay as they are."""
    out = []
    for ch in unicodedata.normalize("NFC", name):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


_KEY_LIMIT = 120  # characters of a name in an object key (S3 allows 1024 bytes per key)


def safe_key_name(name: str) -> str:
    """A file name fit for an object key, built only from what is safe in any S3 server and any
    file system: NFC, no control or format characters, no path separators (``/`` or ``\\``), no
    ``.``/``..`` segments or leading dots and spaces, at most :data:`_KEY_LIMIT` characters with
    the extension kept. Never empty. Different names may give the same safe name; callers that
    need uniqueness add a suffix (:func:`unique_key_names`)."""
    text = unicodedata.normalize("NFC", name)
    kept = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue
        kept.append("_" if ch in "/\\" else ch)
    safe = "".join(kept).strip().lstrip(". ")
    stem, dot, ext = safe.rpartition(".")
    if not dot or not ext.isalnum() or len(ext) > 8:
        stem, ext = safe, ""
    stem = stem.strip(". ")[: _KEY_LIMIT - len(ext) - 1] or "file"
    return f"{stem}.{ext}" if ext else stem


def unique_key_names(names: list[str]) -> list[str]:
    """:func:`safe_key_name` of each name, made unique in order (``x.png``, ``x-2.png``, …) and
    compared case-insensitively, since some file systems a drop folder lands on fold case."""
    taken: set[str] = set()
    result = []
    for name in names:
        candidate = base = safe_key_name(name)
        n = 1
        while candidate.casefold() in taken:
            n += 1
            stem, dot, ext = base.rpartition(".")
            candidate = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
        taken.add(candidate.casefold())
        result.append(candidate)
    return result
