"""The layers of DESIGN §8 hold: imports point downwards only.

The test reads every module's imports (lazy ones inside functions included) with :mod:`ast`, so
a change that quietly makes a library depend on Prefect, or a flow open a database session, fails
here with the file and the import named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {  # folder → import name (pyproject.toml maps the fixed folders into one namespace)
    "motcua": "motcua", "flows": "motcua.flows", "tasks": "motcua.tasks",
    "storage": "motcua.storage", "signing": "motcua.signing", "infra": "motcua.infra",
    "benchmarks": "motcua.benchmarks",
}
BASE = ("motcua.settings", "motcua.errors", "motcua.text", "motcua.times", "motcua.agencies",
        "motcua.units", "motcua.manifest", "motcua.outcomes")
ABOVE_LIBRARIES = ("motcua.cli", "motcua.flows", "motcua.tasks", "motcua.services",
                   "motcua.samples", "motcua.benchmarks")

RULES: list[tuple[str, tuple[str, ...], str]] = [
    # (modules under, may not import, why)
    ("motcua.storage", ("prefect", "motcua.infra", "motcua.signing", *ABOVE_LIBRARIES),
     "storage is a library: no Prefect, no infra, not signing, nothing above it"),
    ("motcua.signing", ("prefect", "motcua.infra", "motcua.storage", *ABOVE_LIBRARIES),
     "signing is a library: no Prefect, no infra, not storage, nothing above it"),
    ("motcua.core", ("prefect", "motcua.storage", "motcua.signing", "minio", "sqlmodel",
                     "sqlalchemy", "motcua.infra", *ABOVE_LIBRARIES),
     "cores are pure steps: no Prefect, storage, signing, S3 or database"),
    ("motcua.services", ("prefect", "motcua.tasks", "motcua.flows", "motcua.cli"),
     "services are plain functions, shared by tasks, the CLI and the console"),
    ("motcua.flows", ("sqlmodel", "sqlalchemy", "minio", "motcua.storage", "motcua.cli"),
     "flows orchestrate only: no DB session, no S3 call, no SQL"),
    ("motcua.tasks", ("motcua.flows", "motcua.cli"), "tasks never import flows or faces"),
    ("motcua.infra", ("motcua.flows", "motcua.tasks", "motcua.services", "motcua.cli"),
     "the stack never imports flows, tasks, services or faces"),
    *[(base, ("prefect", "motcua.storage", "motcua.signing", "motcua.infra", "motcua.core",
              *ABOVE_LIBRARIES),
       "base modules import nothing above the base") for base in BASE],
    ("motcua.samples", ("motcua.cli",), "nothing below the faces imports the CLI"),
    ("motcua.benchmarks", ("motcua.cli",), "nothing below the faces imports the CLI"),
]


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


MODULES = _modules()


def _breaks(under: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for module, path in sorted(MODULES.items()):
        if module != under and not module.startswith(under + "."):
            continue
        for name in sorted(_imports(module, path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_the_import_reader_sees_the_whole_package():
    assert {"motcua.flows.digitize", "motcua.tasks.document", "motcua.storage.repository",
            "motcua.core.ocr", "motcua.cli.base", "motcua.services.audit", "motcua.storage.repository.rounds"} <= set(MODULES)
    # and it would see a break: the flows import tasks, the tasks import storage
    assert _breaks("motcua.flows", ("motcua.tasks",)) and _breaks("motcua.tasks", ("motcua.storage",))


@pytest.mark.parametrize(("under", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_imports_point_downwards(under: str, forbidden: tuple[str, ...], why: str) -> None:
    assert any(m == under or m.startswith(under + ".") for m in MODULES), f"no module {under}"
    breaks = _breaks(under, forbidden)
    assert not breaks, f"{why}:\n" + "\n".join(breaks)


def test_no_module_is_long_without_saying_why():
    """DESIGN §8: a module past ~300 lines is probably two; one that stays long says why in its
    docstring (the word "long" near the reason)."""
    long = []
    for path in MODULES.values():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 320:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            if "Why this module is long" not in doc:
                long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, "split these, or say in the docstring 'Why this module is long': " + ", ".join(long)
