"""OCR quality measures: character and word error rates against a known text.

Used by the tests (OCR accuracy on rendered pages) and by ``motcua bench``. Whitespace is
normalised first (line breaks and runs of spaces are layout, not content) and both texts are
cleaned (:func:`motcua.text.clean`), so a rate counts only what a reader would call an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from motcua.text import clean


def _normalise(text: str) -> str:
    return " ".join(clean(text).split())


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance, O(len(a)·len(b)) time, O(len(b)) memory."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            )
        previous = current
    return previous[-1]


def character_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = _normalise(reference), _normalise(hypothesis)
    return edit_distance(ref, hyp) / max(1, len(ref))


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = _normalise(reference).split(), _normalise(hypothesis).split()
    return edit_distance(ref, hyp) / max(1, len(ref))
