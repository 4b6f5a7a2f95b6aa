"""`motcua bench`: the full pipeline against raw Tesseract on the same pages, in the same run.

Speed is reported as a ratio, never asserted: both numbers come from this machine, now, under
the same load, so the ratio says what motcua's own work (scan normalisation, the text-only PDF,
assembly, signing, archiving, indexing, Prefect's bookkeeping) costs on top of OCR itself.

- baseline: ``tesseract PAGE OUT -l vie`` on every page, one process per core
  (``OMP_THREAD_LIMIT=1``, as the pipeline runs it), wall time for all pages;
- pipeline: the same pages uploaded to intake as one dossier of documents of
  ``pages_per_document`` pages (multi-page TIFFs holding exactly the same pixels), then the
  ``digitize-dossier`` flow on the embedded stack, wall time from the first upload to the end of
  the flow;
- born-digital path (DESIGN §1): the same text as PDFs that carry it (drawn with fpdf2, same
  documents and pages), a second dossier through the same flow. Reported per page against the
  scan path per page, twice: the steps whose work depends on the input (scan + OCR + assemble,
  summed over documents), and the whole dossier's wall time, which also holds what every
  document costs whatever its input (signing, archiving, indexing, Prefect's task runs).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image

from motcua.settings import Settings


@dataclass(frozen=True)
class BenchResult:
    pages: int
    documents: int
    dpi: int
    workers: int
    tesseract_seconds: float
    pipeline_seconds: float
    ratio: float
    pages_per_minute: float
    tesseract_pages_per_minute: float
    peak_rss_mib: float  # this process (flow, tasks, page threads)
    peak_child_rss_mib: float  # largest child (a tesseract process)
    step_seconds: dict[str, float]  # summed over documents
    archived: int
    started_at: str
    born_digital_seconds: float  # wall time of the born-digital dossier
    born_digital_step_seconds: dict[str, float]
    born_digital_archived: int
    scan_path_ms_per_page: float  # scan + ocr + assemble, per page
    born_digital_path_ms_per_page: float
    path_ratio: float  # born-digital / scan, per page: the goal is <= 0.05
    wall_ratio: float  # same, whole dossier wall time per page

    def to_json(self) -> dict:
        return asdict(self)


def render_pages(folder: Path, count: int, dpi: int) -> list[Path]:
    from motcua.samples.documents import plan_paragraphs
    from motcua.samples.render import Line, render_page

    paragraphs = plan_paragraphs()
    paths = []
    for i in range(count):
        start = (i * 9) % max(1, len(paragraphs) - 10)
        page = render_page([Line(p, space_after=0.2) for p in paragraphs[start:start + 10]], dpi=dpi)
        path = folder / f"page-{i + 1:03d}.png"
        page.image.convert("L").save(path, dpi=(dpi, dpi))
        paths.append(path)
    return paths


def _born_digital_documents(folder: Path, count: int, per_document: int) -> list[Path]:
    """PDFs carrying the same text the scanned pages show, split into the same documents."""
    from motcua.samples.digital import born_digital_pdf
    from motcua.samples.documents import plan_paragraphs
    from motcua.samples.render import Line

    paragraphs = plan_paragraphs()
    pages = [[Line(p, space_after=0.2) for p in paragraphs[start:start + 10]]
             for start in (((i * 9) % max(1, len(paragraphs) - 10)) for i in range(count))]
    return [born_digital_pdf(pages[i:i + per_document], folder / f"digital-{n:02d}.pdf").path
            for n, i in enumerate(range(0, count, per_document), start=1)]


def _summed_steps(outcome) -> dict[str, float]:
    steps: dict[str, float] = {}
    for doc in outcome.documents:
        for step, seconds in doc.durations.items():
            steps[step] = round(steps.get(step, 0.0) + seconds, 3)
    return steps


def _path_ms_per_page(steps: dict[str, float], pages: int) -> float:
    return round(sum(steps.get(k, 0.0) for k in ("scan", "ocr", "assemble")) / pages * 1000, 2)


def raw_tesseract(pages: list[Path], out: Path, workers: int) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(page: Path) -> None:
        subprocess.run(["tesseract", str(page), str(out / page.stem), "-l", "vie"],
                       check=True, capture_output=True, env=env)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, pages))
    return time.perf_counter() - start


def tiff_documents(pages: list[Path], folder: Path, per_document: int) -> list[Path]:
    if per_document == 1:
        return pages
    docs = []
    for n, i in enumerate(range(0, len(pages), per_document), start=1):
        images = [Image.open(p) for p in pages[i:i + per_document]]
        path = folder / f"document-{n:02d}.tif"
        images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_lzw",
                       dpi=images[0].info.get("dpi", (300, 300)))
        docs.append(path)
    return docs


def run_bench(settings: Settings, *, pages: int = 20, pages_per_document: int = 5,
              dpi: int = 300, say: Callable[[str], None] = lambda _: None) -> BenchResult:
    from motcua.flows.launch import digitize_files

    stamp = dt.datetime.now(dt.UTC)
    folder = settings.data_dir / "bench" / stamp.strftime("%Y%m%dT%H%M%S")
    (folder / "pages").mkdir(parents=True)
    (folder / "tesseract").mkdir()
    say(f"rendering {pages} page(s) at {dpi} dpi into {folder}")
    paths = render_pages(folder / "pages", pages, dpi)
    docs = tiff_documents(paths, folder, pages_per_document)

    say(f"baseline: raw `tesseract -l vie`, {settings.ocr_workers} process(es) at a time")
    raw = raw_tesseract(paths, folder / "tesseract", settings.ocr_workers)
    say(f"baseline: {raw:.1f} s; now the pipeline on {len(docs)} document(s)")

    code = f"BENCH-{stamp:%Y%m%d%H%M%S}"
    import motcua.flows.digitize  # noqa: F401  (import once, outside the clock: ~3 s, paid
    # once per worker process, not per dossier)

    start = time.perf_counter()
    outcome = digitize_files(settings, code, docs, applicant=None, procedure="bench")
    full = time.perf_counter() - start

    steps = _summed_steps(outcome)

    say(f"born-digital path: the same text as {len(docs)} PDF(s) that carry it")
    digital_docs = _born_digital_documents(folder, pages, pages_per_document)
    start = time.perf_counter()
    digital = digitize_files(settings, f"{code}-D", digital_docs, applicant=None, procedure="bench")
    digital_seconds = time.perf_counter() - start
    digital_steps = _summed_steps(digital)
    scan_ms, digital_ms = _path_ms_per_page(steps, pages), _path_ms_per_page(digital_steps, pages)
    result = BenchResult(
        pages=pages, documents=len(docs), dpi=dpi, workers=settings.ocr_workers,
        tesseract_seconds=round(raw, 2), pipeline_seconds=round(full, 2),
        ratio=round(full / raw, 3),
        pages_per_minute=round(pages / full * 60, 1),
        tesseract_pages_per_minute=round(pages / raw * 60, 1),
        peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        peak_child_rss_mib=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        step_seconds=steps,
        archived=sum(d.status == "archived" for d in outcome.documents),
        started_at=stamp.isoformat(timespec="seconds"),
        born_digital_seconds=round(digital_seconds, 2),
        born_digital_step_seconds=digital_steps,
        born_digital_archived=sum(d.status == "archived" for d in digital.documents),
        scan_path_ms_per_page=scan_ms, born_digital_path_ms_per_page=digital_ms,
        path_ratio=round(digital_ms / scan_ms, 4) if scan_ms else 0.0,
        wall_ratio=round(digital_seconds / full, 4),
    )
    (folder / "result.json").write_text(json.dumps(result.to_json(), indent=2))
    return result
