"""Test pages rendered on the fly (the ground truth text of each is known)."""

from __future__ import annotations

from motcua.samples.documents import plan_paragraphs
from motcua.samples.render import Line, RenderedPage, render_page


def body_page(dpi: int = 300, *, start: int = 10, paragraphs: int = 8) -> RenderedPage:
    """A clean page of the seed plan's body text: one column, justified, 13 pt."""
    paras = plan_paragraphs()[start:start + paragraphs]
    return render_page([Line(p, space_after=0.2) for p in paras], dpi=dpi)
