"""The pipeline against raw `tesseract -l vie` on the same pages (see benchmarks/README.md).

Usage: python benchmarks/pipeline_vs_tesseract.py [PAGES] [PAGES_PER_DOCUMENT]
Starts the embedded stack if needed (settings from MOTCUA_* as for the CLI) and prints the JSON
result.
"""

from __future__ import annotations

import json
import sys

from motcua.benchmarks.pipeline import run_bench
from motcua.infra import stack
from motcua.settings import Settings


def main() -> None:
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    per_document = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    settings = Settings()
    stack.up(settings, progress=lambda m: print(m, file=sys.stderr))
    result = run_bench(settings, pages=pages, pages_per_document=per_document,
                       say=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result.to_json(), indent=2))


if __name__ == "__main__":
    main()
