"""Which PAdES level a signed file carries, read from the file itself (never assumed).

B-B = a signature; B-T = plus an RFC 3161 signature timestamp; B-LT = B-T plus revocation
information for the signer's certificate in the document security store (DSS); B-LTA = B-LT plus
a document timestamp after the signature. :func:`motcua.signing.pades.sign_pdf` reads back what
it wrote with this, so the level recorded is the level found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader

from motcua.settings import SignatureLevel

from .cms_info import as_utc, signature_timestamp_time


@dataclass(frozen=True)
class LevelReading:
    level: SignatureLevel
    signing_time: datetime
    """Signing time claimed by the signer (CMS signingTime), UTC."""
    timestamp_time: datetime | None
    """TSA's genTime of the signature timestamp, UTC; ``None`` for B-B."""


def read_level(reader: PdfFileReader, field_name: str, signer_cert_der: bytes) -> LevelReading:
    """The level of the signature in ``field_name``, made with the certificate given."""
    embedded = reader.embedded_signatures
    ours = next(s for s in embedded if s.field_name == field_name)
    ts_time = signature_timestamp_time(ours.signer_info)
    signing_time = as_utc(ours.self_reported_timestamp)
    assert signing_time is not None  # pyHanko always writes signingTime
    level: SignatureLevel = "B-B"
    if ts_time is not None:
        level = "B-T"
        if dss_covers(reader, asn1_x509.Certificate.load(signer_cert_der)):
            later_ts = any(
                s.sig_object_type == "/DocTimeStamp" and s.signed_revision > ours.signed_revision
                for s in embedded
            )
            level = "B-LTA" if later_ts else "B-LT"
    return LevelReading(level=level, signing_time=signing_time, timestamp_time=ts_time)


def dss_covers(reader: PdfFileReader, cert: asn1_x509.Certificate) -> bool:
    """Does the DSS hold an OCSP response about ``cert`` or a CRL from its issuer?"""
    if "/DSS" not in reader.root:
        return False
    dss = reader.root["/DSS"]
    for ref in dss.get("/OCSPs", ()):
        response = ocsp.OCSPResponse.load(ref.get_object().data)
        basic = response["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            if single["cert_id"]["serial_number"].native == cert.serial_number:
                return True
    for ref in dss.get("/CRLs", ()):
        if asn1_crl.CertificateList.load(ref.get_object().data).issuer == cert.issuer:
            return True
    return False
