"""One CPU-heavy job per core, per process: a shared cap for OCR, orientation checks and page
normalisation.

Several documents of a dossier are processed at once, each with its own page threads: all of
them draw from the same ``workers`` slots, so the machine runs at most that many Tesseract
processes and page normalisations together. Besides avoiding oversubscription, this makes the
first document's pages get normalised first (instead of every document's at once, with the
cores idle of Tesseract meanwhile), so OCR starts early.
"""

from __future__ import annotations

import threading

_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_LOCK = threading.Lock()


def tesseract_slot(workers: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore for ``workers`` slots (use it as a context manager)."""
    with _LOCK:
        return _SLOTS.setdefault(workers, threading.BoundedSemaphore(workers))


_SCANNING = threading.Lock()


def scanning_one_document() -> threading.Lock:
    """Held while one document's pages are decoded and normalised (per process).

    Documents then leave the scan step one after another, each with every core on its pages,
    so the first one reaches OCR after a fraction of a second instead of all of them together
    after several seconds; the later ones are normalised while the first is being read.
    """
    return _SCANNING
