"""`motcua bench --service`: the service as a desk sees it, against raw Tesseract in the same run.

Dossiers are dropped into the intake bucket of the running stack with the intake identity (scans
first, ``dossier.json`` last, as a desk PC does); the watcher and the workers do the rest. The
clock runs from the moment ``dossier.json`` is stored to the moment the run that took the
dossier has finished (its round's ``finished_at``: every document archived, signed, indexed).

- one untimed warm-up dossier first (a worker that never ran a dossier opens its key, warms its
  caches);
- **latency**: a 1-page and a 10-page dossier, each alone, against raw ``tesseract -l vie`` on
  the same pages (one process for the page; as many processes as cores for ten pages);
- **throughput**: 20 dossiers of 1 to 5 pages dropped at once, against raw Tesseract on all
  their pages with one process per core: pipeline time / Tesseract time;
- **by hand**: the same 1-page dossier started as a run of the ``digitize-dossier/by-hand``
  deployment (Prefect's runner: a fresh process per run), to show why dossiers go to task
  workers instead (docs/operations.md);
- where the time goes, from the round's own timestamps: drop → round opened (the watcher's
  poll), opened → taken (delivery to a worker), taken → finished (the run), and inside the run
  the steps' own durations.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from motcua.settings import Settings


@dataclass(frozen=True)
class Latency:
    pages: int
    raw_seconds: float  # tesseract on the same pages
    seconds: float  # dossier.json stored → run finished
    to_round_seconds: float  # → round opened by the watcher
    to_worker_seconds: float  # → round taken by a worker
    run_seconds: float  # taken → finished
    steps: dict[str, float]  # summed step durations inside the run

    @property
    def overhead(self) -> float:
        return round(self.seconds - self.raw_seconds, 2)


@dataclass(frozen=True)
class ServiceBenchResult:
    workers: int
    dpi: int
    warmup_seconds: float
    one_page: Latency
    ten_pages: Latency
    throughput_dossiers: int
    throughput_pages: int
    throughput_raw_seconds: float
    throughput_seconds: float
    throughput_ratio: float
    by_hand_deployment_seconds: float | None  # the same page through a deployment run
    started_at: str

    def to_json(self) -> dict:
        data = asdict(self)
        data["one_page"]["overhead"] = self.one_page.overhead
        data["ten_pages"]["overhead"] = self.ten_pages.overhead
        return data


def _drop(settings: Settings, code: str, files: list[Path]) -> dt.datetime:
    """Upload as a desk PC does; the time ``dossier.json`` was stored (UTC)."""
    from motcua.services.intake import manifest_for_files, submit_files

    submit_files(settings, manifest_for_files(code, files, procedure="bench"), files)
    return dt.datetime.now(dt.UTC)


def _wait(settings: Settings, codes: list[str], timeout: float = 1800.0) -> dict:
    """Each dossier's (only) round once it has ended, as a row snapshot.

    The times measured are the rounds' own (``finished_at``, written by the worker), so how
    often this looks does not change them; it looks twice a second, in one query, because the
    benchmark shares the cores it measures: polling 20 dossiers' rounds every 50 ms cost
    ~2 core-seconds of a 30 s throughput run (measured 2026-12-03)."""
    from motcua.storage.db import open_session
    from motcua.storage.repository import rounds_of_codes

    deadline = time.monotonic() + timeout
    while True:
        with open_session(settings.db_url) as session:
            rounds = rounds_of_codes(session, codes=codes)
        if all(r and r[-1].state in ("done", "failed") for r in rounds.values()):
            failed = [c for c, r in rounds.items() if r[-1].state != "done"]
            if failed:
                raise RuntimeError(f"runs failed: {failed}: {rounds[failed[0]][-1].error}")
            return {c: r[-1] for c, r in rounds.items()}
        if time.monotonic() > deadline:
            raise TimeoutError(f"not finished after {timeout} s: "
                               f"{ {c: [x.state for x in r] for c, r in rounds.items()} }")
        time.sleep(0.5)


def _latency(settings: Settings, code: str, files: list[Path], pages: int, raw: float) -> Latency:
    dropped = _drop(settings, code, files)
    round_ = _wait(settings, [code])[code]
    steps: dict[str, float] = {}
    for doc in json.loads(round_.outcome)["documents"]:
        for step, seconds in doc["durations"].items():
            steps[step] = round(steps.get(step, 0.0) + seconds, 3)
    return Latency(
        pages=pages, raw_seconds=round(raw, 2),
        seconds=round((round_.finished_at - dropped).total_seconds(), 2),
        to_round_seconds=round((round_.created_at - dropped).total_seconds(), 2),
        to_worker_seconds=round((round_.started_at - round_.created_at).total_seconds(), 2),
        run_seconds=round((round_.finished_at - round_.started_at).total_seconds(), 2),
        steps=steps)


def _by_hand(settings: Settings, code: str, files: list[Path]) -> float | None:
    """The same dossier as a run of the ``digitize-dossier/by-hand`` deployment (its files put
    in intake without ``dossier.json``, so the watcher leaves them to the run for the quiet
    period): started → finished, or None when no runner serves the deployment."""
    from prefect.deployments import run_deployment

    from motcua.flows.launch import on_server
    from motcua.storage.s3 import make_client
    from motcua.text import unique_key_names

    client = make_client(settings, "intake")
    for name, path in zip(unique_key_names([f.name for f in files]), files, strict=True):
        client.fput_object(settings.intake_bucket, f"{code}/{name}", str(path))
    start = time.perf_counter()
    with on_server(settings):
        try:
            run = run_deployment("digitize-dossier/by-hand", parameters={"dossier_code": code},
                                 timeout=180)
        except Exception:
            return None
    seconds = time.perf_counter() - start
    return round(seconds, 2) if run.state and run.state.is_completed() else None


def run_service_bench(settings: Settings, *, dpi: int = 300,
                      say: Callable[[str], None] = lambda _: None) -> ServiceBenchResult:
    from motcua.benchmarks.pipeline import raw_tesseract, render_pages, tiff_documents
    from motcua.errors import ConfigurationError

    if not settings.service:
        raise ConfigurationError("the service benchmark needs the watcher and a worker",
                                 hint="unset MOTCUA_SERVICE (or set it to true) and `motcua up`")
    stamp = dt.datetime.now(dt.UTC)
    folder = settings.data_dir / "bench" / f"service-{stamp:%Y%m%dT%H%M%S}"
    sizes = [1, 2, 3, 4, 5] * 4  # 20 dossiers, 60 pages
    total = 1 + 1 + 10 + sum(sizes)
    say(f"rendering {total} page(s) at {dpi} dpi into {folder}")
    (folder / "pages").mkdir(parents=True)
    (folder / "tesseract").mkdir()
    pages = render_pages(folder / "pages", total, dpi)
    warm, one, ten, rest = pages[0], pages[1], pages[2:12], pages[12:]
    workers = settings.ocr_workers
    prefix = f"BS-{stamp:%H%M%S}"

    say("warm-up dossier (not timed)")
    start = time.perf_counter()
    _drop(settings, f"{prefix}-W", [warm])
    _wait(settings, [f"{prefix}-W"])
    warmup = time.perf_counter() - start

    say("1-page dossier: raw tesseract, then the service")
    raw_one = raw_tesseract([one], folder / "tesseract", 1)
    one_page = _latency(settings, f"{prefix}-1", [one], 1, raw_one)
    say(f"  {one_page.seconds:.2f} s against {raw_one:.2f} s of raw OCR")

    say("10-page dossier: raw tesseract, then the service")
    raw_ten = raw_tesseract(ten, folder / "tesseract", workers)
    (folder / "ten").mkdir()
    ten_doc = tiff_documents(ten, folder / "ten", 10)
    ten_pages = _latency(settings, f"{prefix}-10", ten_doc, 10, raw_ten)
    say(f"  {ten_pages.seconds:.2f} s against {raw_ten:.2f} s of raw OCR")

    say(f"throughput: {len(sizes)} dossiers of 1-5 pages at once, {len(rest)} pages")
    raw_all = raw_tesseract(rest, folder / "tesseract", workers)
    codes, at, dropped = [], 0, []
    for n, size in enumerate(sizes):
        code = f"{prefix}-T{n:02d}"
        (folder / code).mkdir()
        docs = tiff_documents(rest[at:at + size], folder / code, size) if size > 1 else rest[at:at + 1]
        at += size
        codes.append(code)
        dropped.append((code, docs))
    begin = dt.datetime.now(dt.UTC)
    for code, docs in dropped:
        _drop(settings, code, docs)
    ends = _wait(settings, codes)
    through = (max(r.finished_at for r in ends.values()) - begin).total_seconds()
    say(f"  {through:.2f} s against {raw_all:.2f} s of raw OCR")

    say("the 1-page dossier again, as a run of the digitize-dossier/by-hand deployment")
    by_hand = _by_hand(settings, f"{prefix}-H", [one])

    result = ServiceBenchResult(
        workers=workers, dpi=dpi, warmup_seconds=round(warmup, 2), one_page=one_page,
        ten_pages=ten_pages, throughput_dossiers=len(sizes), throughput_pages=len(rest),
        throughput_raw_seconds=round(raw_all, 2), throughput_seconds=round(through, 2),
        throughput_ratio=round(through / raw_all, 3), by_hand_deployment_seconds=by_hand,
        started_at=stamp.isoformat(timespec="seconds"))
    (folder / "result.json").write_text(json.dumps(result.to_json(), indent=2))
    return result
