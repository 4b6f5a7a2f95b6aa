"""`motcua bench-sign`: signing throughput per PAdES level, against pyHanko's own CLI.

Measured in one run, on the same files, with the embedded test PKI (TSA, OCSP, CRLs on
loopback):

- **motcua, one process**: one :class:`~motcua.signing.agency.AgencySigner` signs every document
  in turn (key parsed once, TSA client and validation context reused per thread);
- **motcua, one process per core**: the documents split between ``workers`` processes, each with
  its own signer; throughput = documents / the slowest process's time (start-up excluded: each
  process signs one warm-up document first);
- **pyHanko CLI**: ``pyhanko sign addsig ... pkcs12`` once per document (how a script would use
  it), one at a time and ``workers`` at a time.

Visible stamps are off on both sides (the CLI adds none). Size overhead = signed − unsigned bytes.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

from motcua.settings import Settings

LEVELS = ("B-B", "B-T", "B-LT")


@dataclass(frozen=True)
class LevelResult:
    level: str
    motcua_docs_per_s: float
    motcua_parallel_docs_per_s: float
    cli_docs_per_s: float
    cli_parallel_docs_per_s: float
    motcua_overhead_kib: float
    cli_overhead_kib: float


@dataclass(frozen=True)
class SignBenchResult:
    documents: int
    pages_per_document: int
    workers: int
    levels: list[LevelResult]

    def to_json(self) -> dict:
        return asdict(self)


def _inputs(folder: Path, count: int, pages: int) -> list[Path]:
    from motcua.samples.documents import plan_paragraphs
    from motcua.samples.render import Line, render_page, save_scanned_pdf

    paragraphs = plan_paragraphs()
    page_images = [render_page([Line(p) for p in paragraphs[i * 8:i * 8 + 8]], dpi=200)
                   for i in range(pages)]
    first = save_scanned_pdf(page_images, folder / "in-000.pdf")
    paths = [first]
    for i in range(1, count):  # same content, distinct files
        path = folder / f"in-{i:03d}.pdf"
        path.write_bytes(first.read_bytes())
        paths.append(path)
    return paths


def _sign_share(settings: Settings, level: str, files: list[str], out_dir: str) -> tuple[float, list[int]]:
    """In a worker process: sign one warm-up document, then time the share."""
    from motcua.signing.factory import agency_signer
    from motcua.signing.pades import sign_pdf

    signer = agency_signer(settings)
    out = Path(out_dir)
    sign_pdf(Path(files[0]), out / f"warmup-{Path(files[0]).name}", signer, level=level)
    start = time.perf_counter()
    sizes = [sign_pdf(Path(f), out / Path(f).name, signer, level=level).size_bytes for f in files]
    return time.perf_counter() - start, sizes


def _cli(settings: Settings, level: str, src: Path, dst: Path) -> None:
    from motcua.signing.pki import load_test_pki, service_urls

    pki = load_test_pki(settings.pki_dir)
    args = [str(Path(sys.executable).with_name("pyhanko")), "sign", "addsig",
            "--field", "Signature1", "--use-pades"]
    if level != "B-B":
        args += ["--timestamp-url", service_urls(pki).tsa]
    if level == "B-LT":
        args += ["--with-validation-info", "--trust", str(pki.root_cert), "--trust-replace",
                 "--other-certs", str(pki.intermediate_cert)]
    args += ["pkcs12", "--passfile", str(pki.signer_passphrase_file), str(src), str(dst),
             str(pki.signer_pkcs12)]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def run_sign_bench(settings: Settings, *, documents: int = 20, pages: int = 2,
                   say=lambda _: None) -> SignBenchResult:
    settings = settings.model_copy(update={"stamp_enabled": False})
    folder = settings.data_dir / "bench" / f"sign-{time.strftime('%Y%m%dT%H%M%S')}"
    (folder / "in").mkdir(parents=True)
    inputs = _inputs(folder / "in", documents, pages)
    unsigned = inputs[0].stat().st_size
    workers = settings.ocr_workers
    results = []
    for level in LEVELS:
        say(f"{level}: motcua, one process")
        one = folder / level / "motcua-1"
        one.mkdir(parents=True)
        seconds, sizes = _sign_share(settings, level, [str(p) for p in inputs], str(one))
        say(f"{level}: motcua, {workers} processes")
        many = folder / level / "motcua-n"
        many.mkdir(parents=True)
        shares = [[str(p) for p in inputs[i::workers]] for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            times = [t for t, _ in pool.map(_sign_share, [settings] * workers, [level] * workers,
                                            shares, [str(many)] * workers)]
        say(f"{level}: pyHanko CLI, one at a time and {workers} at a time")
        cli = folder / level / "cli"
        cli.mkdir(parents=True)
        start = time.perf_counter()
        for p in inputs:
            _cli(settings, level, p, cli / p.name)
        cli_seconds = time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda p: _cli(settings, level, p, cli / f"par-{p.name}"), inputs))
        cli_parallel = time.perf_counter() - start
        cli_sizes = [(cli / p.name).stat().st_size for p in inputs]
        results.append(LevelResult(
            level=level,
            motcua_docs_per_s=round(documents / seconds, 2),
            motcua_parallel_docs_per_s=round(documents / max(times), 2),
            cli_docs_per_s=round(documents / cli_seconds, 2),
            cli_parallel_docs_per_s=round(documents / cli_parallel, 2),
            motcua_overhead_kib=round((statistics.mean(sizes) - unsigned) / 1024, 1),
            cli_overhead_kib=round((statistics.mean(cli_sizes) - unsigned) / 1024, 1),
        ))
    return SignBenchResult(documents=documents, pages_per_document=pages, workers=workers,
                           levels=results)
