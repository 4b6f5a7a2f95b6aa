"""Active content in a PDF (DESIGN §1): find it, and strip it before anything is archived.

Active content is JavaScript, actions that run by themselves (an /OpenAction other than a plain
"go to", /AA triggers), launches, embedded and associated files, forms that submit or import,
multimedia and XFA; :func:`find_active` names each kind it finds with a code (``_ACTIONS``,
``_ANNOTS``, ``open_action``, ``additional_actions``, ``xfa``). One walk both finds and, with
``remove``, deletes, so what is reported is what is removed. :func:`strip_active_content` writes
the PDF without it and then scans every object of the result, referenced or not: anything left is
a bug, never a quarantine, because active content must never reach the archive. A PDF that
already carries a signature is never rewritten: the stripper refuses it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from motcua.core.pdfread import get, is_signed, open_pdf, signed_refusal

__all__ = ["find_active", "strip_active_content"]

_ACTIONS = {"/JavaScript": "javascript", "/Launch": "launch", "/SubmitForm": "submit_form",
            "/ImportData": "import_data", "/Rendition": "rich_media", "/Movie": "rich_media",
            "/Sound": "rich_media", "/GoTo3DView": "rich_media", "/GoToE": "embedded_files"}
_ANNOTS = {"/FileAttachment": "embedded_files", "/RichMedia": "rich_media",
           "/Screen": "rich_media", "/Movie": "rich_media", "/Sound": "rich_media",
           "/3D": "rich_media"}


def _chain(action) -> list[DictionaryObject]:
    """An action and every action its /Next entries lead to, in order, each once."""
    out, stack, seen = [], [action], set()
    while stack:
        item = stack.pop(0)
        if isinstance(item, IndirectObject):
            item = item.get_object()
        if isinstance(item, ArrayObject):
            stack[:0] = list(item)
            continue
        if not isinstance(item, DictionaryObject) or id(item) in seen:
            continue
        seen.add(id(item))
        out.append(item)
        nxt = item.get("/Next")
        if nxt is not None:
            stack.insert(0, nxt)
    return out


def _kind(action: DictionaryObject) -> str | None:
    return _ACTIONS.get(get(action, "/S")) or ("javascript" if "/JS" in action else None)


def _actions(holder: DictionaryObject, key: str, found: set[str], remove: bool,
             keep=lambda a: _kind(a) is None) -> None:
    """Record the active kinds of ``holder[key]``'s action chain; with ``remove``, keep only the
    actions ``keep`` accepts (a link's /URI stays, its /Next JavaScript goes)."""
    if key not in holder:
        return
    chain = _chain(holder[key])
    found.update(k for k in map(_kind, chain) if k)
    bad = [a for a in chain if not keep(a)]
    if key == "/OpenAction" and bad:
        found.add("open_action")
    if remove and bad:
        kept = [a for a in chain if keep(a)]
        for a in kept:
            a.pop("/Next", None)
        if kept:
            if len(kept) > 1:
                kept[0][NameObject("/Next")] = ArrayObject(kept[1:])
            holder[NameObject(key)] = kept[0]
        else:
            del holder[key]


def _triggers(holder: DictionaryObject, found: set[str], remove: bool) -> None:
    """/AA: actions run on events (page opened, field typed in, document saved…); all go."""
    aa = holder.get("/AA")
    if aa is None:
        return
    aa = aa.get_object()
    if isinstance(aa, DictionaryObject) and aa:
        found.add("additional_actions")
        for key in list(aa):
            _actions(aa, key, found, False)
    if remove:
        del holder["/AA"]


def find_active(root: DictionaryObject, pages: Iterable, *, remove: bool) -> set[str]:
    """Active content kinds found from ``root`` (the catalog) and ``pages``; with ``remove``,
    delete them in place. One walk for both, so what is found is what is removed."""
    found: set[str] = set()
    if isinstance(get(root, "/OpenAction"), DictionaryObject):  # not a plain destination
        _actions(root, "/OpenAction", found, remove, keep=lambda a: get(a, "/S") == "/GoTo")
    _triggers(root, found, remove)
    names = get(root, "/Names")
    if names is not None:
        for tree, kind in (("/JavaScript", "javascript"), ("/EmbeddedFiles", "embedded_files")):
            if tree in names:
                found.add(kind)
                if remove:
                    del names[tree]
    form = get(root, "/AcroForm")
    if form is not None:
        if "/XFA" in form:
            found.add("xfa")
            if remove:
                del form["/XFA"]
        stack = list(get(form, "/Fields", ()))
        while stack:
            field = stack.pop().get_object()
            _actions(field, "/A", found, remove)
            _triggers(field, found, remove)
            stack.extend(get(field, "/Kids", ()))
    stack = [get(get(root, "/Outlines", {}), "/First")]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        item = item.get_object() if isinstance(item, IndirectObject) else item
        if not isinstance(item, DictionaryObject) or id(item) in seen:
            continue
        seen.add(id(item))
        _actions(item, "/A", found, remove)
        stack += [item.get("/First"), item.get("/Next")]
    _associated_files(root, found, remove)
    for page in pages:
        _triggers(page, found, remove)
        _associated_files(page, found, remove)
        annots = [(ref, ref.get_object()) for ref in get(page, "/Annots", ())]
        dropped = {id(a) for _, a in annots if get(a, "/Subtype") in _ANNOTS}
        found.update(_ANNOTS[get(a, "/Subtype")] for _, a in annots if id(a) in dropped)
        kept = ArrayObject()
        for ref, annot in annots:
            if id(annot) in dropped or id(get(annot, "/Parent")) in dropped:  # and its popup
                continue
            _actions(annot, "/A", found, remove)
            _triggers(annot, found, remove)
            kept.append(ref)
        if remove and dropped:
            page[NameObject("/Annots")] = kept
    return found


def _associated_files(holder: DictionaryObject, found: set[str], remove: bool) -> None:
    """/AF (PDF 2.0, PDF/A-3): files embedded and tied to the document or a page."""
    if "/AF" in holder:
        found.add("embedded_files")
        if remove:
            del holder["/AF"]


def _leftovers(path: Path) -> list[str]:
    """Every object of ``path`` that is JavaScript or an embedded file, referenced or not."""
    reader = PdfReader(path)
    found = sorted(find_active(reader.root_object, reader.pages, remove=False))
    for idnum in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(idnum)
        if isinstance(obj, DictionaryObject) and (
                "/JS" in obj or get(obj, "/Type") == "/EmbeddedFile"):
            found.append(f"object {idnum}")
    return found


def _drop_unreachable(writer: PdfWriter) -> None:
    """Forget objects nothing points to any more (a removed file's stream), so they are not
    written: pypdf writes every object it holds, reachable or not."""
    reachable: set[int] = set()
    stack: list = [writer.root_object, writer._info]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in reachable:
                continue
            reachable.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams too
            stack.extend(obj.values())  # raw: indirect references stay references
            ref = getattr(obj, "indirect_reference", None)  # set on indirect objects only
            if ref is not None:
                reachable.add(ref.idnum)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    for i in range(len(writer._objects)):
        if i + 1 not in reachable:
            writer._objects[i] = None


def strip_active_content(src: Path, dst: Path) -> tuple[str, ...]:
    """Write ``src`` without its active content to ``dst``; return the kinds removed. Pages, their
    content, fonts, sizes and other annotations (links to a URI too) stay. Nothing to remove:
    ``dst`` is a byte-for-byte copy. Refuses (ValueError) a signed PDF: it is never rewritten."""
    reader = open_pdf(src)
    if is_signed(reader):
        raise signed_refusal(src)
    if not find_active(reader.root_object, reader.pages, remove=False):
        shutil.copyfile(src, dst)
        return ()
    writer = PdfWriter(clone_from=reader)
    removed = find_active(writer.root_object, writer.pages, remove=True)
    _drop_unreachable(writer)
    writer.write(dst)
    left = _leftovers(dst)
    if left:  # a bug, never a quarantine: active content must not reach the archive
        raise RuntimeError(f"active content left in {dst.name} after stripping: {left}")
    return tuple(sorted(removed))
