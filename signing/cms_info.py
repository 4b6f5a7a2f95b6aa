"""Small read-only facts about a CMS signature, shared by signing and verification.

Both :mod:`motcua.signing.pades` (to report what it actually produced) and
:mod:`motcua.signing.verify` (to report what a file carries) need the same answers: whose
signature, which time it claims, and whether it carries an RFC 3161 signature timestamp (the
difference between PAdES B-B and B-T). Verification also needs the time of a document timestamp
(B-LTA) before validating it, because that is the time it is validated as of.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from asn1crypto import cms, x509
from cryptography.x509 import load_der_x509_certificate


def subject_name(cert: x509.Certificate) -> str:
    """RFC 4514 subject (``CN=…,O=…,C=VN``), Unicode kept and NFC-normalised."""
    rfc4514 = load_der_x509_certificate(cert.dump()).subject.rfc4514_string()
    return unicodedata.normalize("NFC", rfc4514)


def signature_timestamp_time(signer_info: cms.SignerInfo) -> datetime | None:
    """``genTime`` of the first signature-timestamp token (unsigned attribute), in UTC.

    ``None`` when the signature carries no such token (PAdES B-B). The token itself is not
    validated here; :mod:`motcua.signing.verify` does that.
    """
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native != "signature_time_stamp_token":
            continue
        for token in attr["values"]:
            tst_info = token["content"]["encap_content_info"]["content"].parsed
            return as_utc(tst_info["gen_time"].native)
    return None


def as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def token_time(signed_data: cms.SignedData) -> datetime | None:
    """``genTime`` of an RFC 3161 token given as its SignedData (a PDF document timestamp)."""
    tst_info = signed_data["encap_content_info"]["content"].parsed
    return as_utc(tst_info["gen_time"].native)
