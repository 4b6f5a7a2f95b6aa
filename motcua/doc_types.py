"""Document types: one vocabulary for ``--doc-type``, ``--type``, ``dossier.json`` and the JSON.

Data, not code (``motcua/data/doc_types.json``, or the file ``MOTCUA_DOC_TYPES_FILE`` names): each
type has a code, its Vietnamese name, the titles and keywords that classify a text as it
(:mod:`motcua.core.classify`), how long such a paper typically stays valid when its text does not
say (``None``: lâu dài, no end), and who issues it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from motcua.errors import BadArguments, ConfigurationError

OTHER = "khac"


@dataclass(frozen=True)
class DocType:
    code: str
    name: str
    titles: tuple[str, ...]
    keywords: tuple[str, ...]
    validity_years: float | None
    issuer: str
    refines: str | None = None
    single: bool = False  # one at a time per subject: a newer paper supersedes the older


@cache
def taxonomy(path: Path | None = None) -> dict[str, DocType]:
    """The types of ``path`` (the settings' ``doc_types_file``), else of the shipped file."""
    source = str(path or "motcua/data/doc_types.json")
    try:
        text = Path(path).read_text("utf-8") if path else \
            files("motcua").joinpath("data/doc_types.json").read_text("utf-8")
        raw = json.loads(text)["types"]
        found = {t["code"]: DocType(code=t["code"], name=t["name"], titles=tuple(t["titles"]),
                                    keywords=tuple(k.lower() for k in t["keywords"]),
                                    validity_years=t["validity_years"], issuer=t["issuer"],
                                    refines=t.get("refines"), single=bool(t.get("single")))
                 for t in raw}
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{source} is not a document-type file: {exc}",
                                 hint="compare it with motcua/data/doc_types.json") from exc
    if OTHER not in found:
        raise ConfigurationError(f"{source} has no type {OTHER!r} (other)", hint="add it")
    return found


def check_type(code: str | None, path: Path | None = None) -> str | None:
    """``code`` if it is a known type (or None); else :class:`BadArguments` listing them."""
    if code is None:
        return None
    known = taxonomy(path)
    if code not in known:
        raise BadArguments(f"unknown document type {code!r}",
                           hint="one of: " + ", ".join(sorted(known)))
    return code
