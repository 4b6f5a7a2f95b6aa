"""One Tesseract process per core, per process: a shared cap for OCR and orientation checks.

Several documents of a dossier are processed at once, each with its own page threads, and the
scan step may ask Tesseract's OSD about a sideways page while another document is being read: all
of them draw from the same slots, so the machine runs at most ``workers`` Tesseract processes.
"""

from __future__ import annotations

import threading

_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_LOCK = threading.Lock()


def tesseract_slot(workers: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore for ``workers`` slots (use it as a context manager)."""
    with _LOCK:
        return _SLOTS.setdefault(workers, threading.BoundedSemaphore(workers))
