"""Classification and identifier extraction, measured on a labelled set the project renders and
OCRs itself (issue 15): precision and recall per document type, and the recall of identifiers
(CCCD, document number, dossier code, date) on clean and on harsh scans.

The set: for every type of the taxonomy, a page with its title, a page whose title carries extra
words, and (for types with keywords) a page with no title at all; and plain letters with neither,
labelled ``khac``. Every page mentions another type in its body (a distractor) and carries four
identifiers. Each page is rendered at 200 dpi and read back twice through motcua's own OCR
image steps and Tesseract (``vie``): *clean* (as rendered) and *harsh* (skewed 1.5°, speckled,
then thresholded to 1 bit at 150 dpi). Run: ``python -m motcua.benchmarks.classify [--json]``.

The set is synthetic: its titles come from the same taxonomy the classifier reads, so the figures
say how well titles and keywords survive OCR and distractors, not how real-world papers vary.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytesseract
from PIL import Image

from motcua.core import layout
from motcua.core.classify import classify
from motcua.core.extract import extract_identifiers
from motcua.doc_types import OTHER, taxonomy
from motcua.samples import render
from motcua.samples.render import Line

NAMES = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Dũng", "Phạm Thị Hoá", "Đặng Minh Đức")


@dataclass(frozen=True)
class Sample:
    label: str
    variant: str
    lines: list[Line]
    identifiers: frozenset[tuple[str, str]]


def _sample(rnd: random.Random, code: str, variant: str, title: str | None, keywords, distractor: str) -> Sample:
    cccd = "0" + "".join(rnd.choice("0123456789") for _ in range(11))
    number = f"{rnd.randint(1, 999)}/QĐ-STNMT"
    day = dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randint(0, 2000))
    dossier = f"000.00.20.H51-{day:%y%m%d}-{rnd.randint(1, 9999):04d}"
    name = rnd.choice(NAMES)
    lines = [Line("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", align="left", bold=True),
             Line(f"Số: {number}", align="left", space_after=0.6)]
    if title:
        lines.append(Line(title, align="center", bold=True, size_pt=14, space_after=0.6))
    lines += [Line(f"Căn cứ hồ sơ {dossier} của ông/bà {name}, số CCCD {cccd}."),
              *[Line(f"Nội dung có liên quan: {k}.") for k in keywords],
              Line(f"Kèm theo bản sao {distractor.lower()} đã nộp trước đây."),
              Line(f"Sóc Trăng, ngày {day.day} tháng {day.month} năm {day.year}", align="right", italic=True)]
    ids = frozenset({("cccd", cccd), ("document_number", number), ("dossier_code", dossier),
                     ("date", day.isoformat())})
    return Sample(code, variant, lines, ids)


def labelled_set(seed: int = 7) -> list[Sample]:
    rnd = random.Random(seed)
    types = taxonomy()
    names = [t.name for t in types.values()]
    out = []
    for t in types.values():
        if t.code == OTHER:
            continue
        others = [n for n in names if n != t.name]
        if t.titles:
            out.append(_sample(rnd, t.code, "title", t.titles[0], t.keywords, rnd.choice(others)))
            out.append(_sample(rnd, t.code, "title+", f"{t.titles[0]} (BẢN SAO)", t.keywords, rnd.choice(others)))
        if t.keywords:
            out.append(_sample(rnd, t.code, "keywords", None, t.keywords, rnd.choice(others)))
    for _ in range(3):
        out.append(_sample(rnd, OTHER, "plain", None, ["đề nghị xem xét giải quyết"], rnd.choice(names)))
    return out


def _read(image: Image.Image, dpi: int) -> str:
    """motcua's OCR image steps (deskew when skewed, seals faded) and Tesseract ``vie``."""
    analysis = layout.analyse(image)
    if abs(analysis.skew) >= layout.MIN_SKEW_DEGREES:
        image = layout.deskew(image, analysis.skew)
    return pytesseract.image_to_string(layout.ocr_image(image, dpi), lang="vie",
                                       config=f"--dpi {dpi}")


def _harsh(page: render.RenderedPage) -> Image.Image:
    noisy = render.add_noise(render.skew(page, 1.5), amount=0.004).image
    half = noisy.convert("L").resize((noisy.width * 3 // 4, noisy.height * 3 // 4))
    return half.point(lambda v: 255 if v > 150 else 0).convert("1").convert("L")


def run(*, workers: int = 2) -> dict:
    samples = labelled_set()

    def read(sample: Sample) -> tuple[str, str]:
        page = render.render_page(sample.lines, dpi=200)
        return _read(page.image.convert("L"), 200), _read(_harsh(page), 150)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        texts = list(pool.map(read, samples))
    types = taxonomy()
    report: dict = {"samples": len(samples), "per_type": {}}
    for which, index in (("clean", 0), ("harsh", 1)):
        predicted = [classify(t[index], types) for t in texts]
        tp, fp, fn = Counter(), Counter(), Counter()
        for s, p in zip(samples, predicted, strict=True):
            if p == s.label:
                tp[s.label] += 1
            else:
                fp[p] += 1
                fn[s.label] += 1
        labels = sorted({s.label for s in samples})
        per = {lab: {"precision": round(tp[lab] / (tp[lab] + fp[lab]), 3) if tp[lab] + fp[lab] else None,
                     "recall": round(tp[lab] / (tp[lab] + fn[lab]), 3) if tp[lab] + fn[lab] else None}
               for lab in labels}
        report["per_type"][which] = per
        report[f"{which}_accuracy"] = round(sum(tp.values()) / len(samples), 3)
        report[f"{which}_errors"] = [f"{s.label}/{s.variant} → {p}" for s, p in
                                     zip(samples, predicted, strict=True) if p != s.label]
        expected = sum(len(s.identifiers) for s in samples)
        found = sum(len(s.identifiers & {(i.kind, i.value) for i in extract_identifiers(t[index])})
                    for s, t in zip(samples, texts, strict=True))
        report[f"{which}_identifier_recall"] = round(found / expected, 3)
    return report


def main() -> None:
    report = run()
    if "--json" in sys.argv:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"{report['samples']} labelled pages")
    for which in ("clean", "harsh"):
        print(f"{which}: accuracy {report[f'{which}_accuracy']}, identifier recall "
              f"{report[f'{which}_identifier_recall']}")
        for err in report[f"{which}_errors"]:
            print("   ", err)
    print(f"{'type':28} {'P clean':>8} {'R clean':>8} {'P harsh':>8} {'R harsh':>8}")
    for lab, c in report["per_type"]["clean"].items():
        h = report["per_type"]["harsh"][lab]
        print(f"{lab:28} {c['precision']!s:>8} {c['recall']!s:>8} {h['precision']!s:>8} {h['recall']!s:>8}")


if __name__ == "__main__":
    main()
