"""The `check_signatures` step: the signatures a submitted PDF already carries, judged on
arrival and recorded (DESIGN §1: a signed result from another agency is not bad input).

Offline, against the configured trust roots (the embedded test PKI's root, or
``MOTCUA_TRUST_ROOTS``): intact, valid, chain trusted or not, signing and timestamp time, level
and what changed after it. A foreign or unknown CA is recorded as ``trusted`` False, a damaged
signature as ``intact`` False; neither stops the file, which is archived as received.
"""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger

from motcua.outcomes import SignatureVerdict
from motcua.settings import Settings
from motcua.signing.factory import trust_roots
from motcua.signing.verify import verify_pdf
from motcua.storage import repository
from motcua.tasks.context import DocumentRef, recorded_step


def verdicts_of(data: bytes, roots: list[Path]) -> list[SignatureVerdict]:
    report = verify_pdf(data, trust_roots=roots, allow_fetching=False)
    return [
        SignatureVerdict(
            position=i, field_name=s.field_name, signer=s.signer_subject, level=s.level,
            verdict=s.verdict, intact=s.intact, valid=s.valid, trusted=s.trusted,
            chain_problem=s.chain_problem.code if s.chain_problem else None,
            signing_time=s.signing_time, timestamp_time=s.timestamp_time,
            modification_level=s.modification_level,
        )
        for i, s in enumerate(report.signatures, start=1)
    ]


def check_signatures_step(settings: Settings, doc: DocumentRef) -> list[SignatureVerdict]:
    with recorded_step(settings, doc, "check_signatures") as step:
        verdicts = verdicts_of(doc.local_path.read_bytes(), trust_roots(settings))
        repository.record_submitted_signatures(step.session, document_pk=doc.pk, verdicts=verdicts)
    for v in verdicts:
        get_run_logger().info(
            "%s: submitted signature %d by %s: %s, %s, chain %s", doc.source_name, v.position,
            v.signer, v.verdict, "intact" if v.intact else "NOT intact",
            "trusted" if v.trusted else f"not trusted ({v.chain_problem or 'unknown CA'})")
    return verdicts
