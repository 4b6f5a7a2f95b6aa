"""The `scan` step as a Prefect task. A file that cannot be scanned is a :class:`Rejected`
outcome, not an exception (the task ends normally; the document goes to quarantine)."""

from __future__ import annotations

from prefect import get_run_logger

from motcua.core.scan import ScannedDocument, ScanOptions, scan_document
from motcua.errors import BadInput
from motcua.settings import Settings
from motcua.tasks.context import DocumentRef, Rejected, recorded_step


def scan_step(settings: Settings, doc: DocumentRef) -> ScannedDocument | Rejected:
    try:
        with recorded_step(settings, doc, "scan"):
            scanned = scan_document(doc.local_path, doc.work_dir / "pages",
                                    ScanOptions.from_settings(settings), sha256=doc.sha256)
    except BadInput as exc:
        return Rejected(exc, "scan")
    get_run_logger().info("%s: %s, %d page(s), flags %s", doc.source_name, scanned.media_type,
                          len(scanned.pages), ",".join(scanned.flags) or "-")
    return scanned
