"""The fixity-audit flow on the real stack: archived documents re-verified, a B-LTA document's
timestamp renewed as a new object version (the old one kept under object lock), a tampered
document reported and never renewed."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

from motcua.flows.launch import digitize_files, run_fixity
from motcua.samples import render
from motcua.samples.documents import application_form
from motcua.services.audit import audit
from motcua.signing.renewal import timestamp_chain
from motcua.storage import archive
from motcua.storage.s3 import make_client

TODAY = dt.date(2026, 11, 22)


def _one_document(settings, tmp_path, code, level):
    page = render.render_page(application_form("Thạch Thị Bình", "094500006666", "Cần Thơ", "4", TODAY), dpi=200)
    settings = settings.model_copy(update={"signature_level": level})
    outcome = digitize_files(settings, code, [render.save_png(page, tmp_path / f"{code}.png")])
    (doc,) = outcome.documents
    assert (doc.status, doc.signature_level) == ("archived", level)
    return doc


def test_b_lta_timestamp_is_renewed_as_a_new_version(stack_settings, tmp_path):
    lta = _one_document(stack_settings, tmp_path, "FIX-LTA-1", "B-LTA")
    lt = _one_document(stack_settings, tmp_path, "FIX-LT-1", "B-LT")
    client = make_client(stack_settings, "auditor")
    before = archive.stat(client, stack_settings.archive_bucket, lta.archive_key)
    chain = timestamp_chain(archive.get_bytes(client, stack_settings.archive_bucket, lta.archive_key))
    assert chain.timestamps == 1 and chain.tsa_expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=3000)

    nothing_due = run_fixity(stack_settings, renew_within_days=30)
    assert lta.archive_key not in {d.archive_key for d in nothing_due.documents if d.renewed}

    # Pretend the TSA certificate is about to expire: renew everything due within 100 years.
    result = run_fixity(stack_settings, renew_within_days=36500)
    renewed = {d.archive_key for d in result.documents if d.renewed}
    assert lta.archive_key in renewed and lt.archive_key not in renewed  # only B-LTA is renewed
    after = archive.stat(client, stack_settings.archive_bucket, lta.archive_key)
    assert after.version_id != before.version_id and after.retention_mode == "COMPLIANCE"
    data = archive.get_bytes(client, stack_settings.archive_bucket, lta.archive_key)
    assert hashlib.sha256(data).hexdigest() == after.sha256
    assert timestamp_chain(data).timestamps == 2
    old = archive.get_bytes(client, stack_settings.archive_bucket, lta.archive_key, before.version_id)
    assert hashlib.sha256(old).hexdigest() == lta.sha256  # the original is kept, locked
    assert data.startswith(old)  # the renewal is an incremental update over the signed file
    report = audit(stack_settings, lta.archive_key)
    assert report.ok, report.to_json()  # DB, metadata and bytes agree on the new version

    stored = json.loads(client.get_object(stack_settings.reports_bucket, result.report_key).read())
    assert stored["checked"] == result.checked >= 2 and stored["renewed"] == result.renewed


def test_a_tampered_document_is_reported_and_not_renewed(stack_settings, tmp_path):
    doc = _one_document(stack_settings, tmp_path, "FIX-LTA-2", "B-LTA")
    pipeline = make_client(stack_settings, "pipeline")
    data = bytearray(archive.get_bytes(pipeline, stack_settings.archive_bucket, doc.archive_key))
    data[len(data) // 2] ^= 0x01
    pipeline.put_object(stack_settings.archive_bucket, doc.archive_key, io.BytesIO(bytes(data)),
                        len(data), metadata={"sha256": doc.sha256})
    result = run_fixity(stack_settings, renew_within_days=36500)
    (mine,) = [d for d in result.documents if d.archive_key == doc.archive_key]
    assert mine.status == "failed" and not mine.renewed
    assert {"fixity", "version", "signature"} <= set(mine.failed_checks)


def test_the_nightly_schedule_is_in_vietnamese_time():
    from motcua.flows.fixity import nightly_deployment

    deployment = nightly_deployment()
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "30 1 * * *" and schedule.schedule.timezone == "Asia/Ho_Chi_Minh"
    assert deployment.parameters == {"renew_within_days": 365}
