"""The validation evidence a signed PDF carries: certificates, OCSP responses and CRLs.

PAdES B-LT/B-LTA keep it in the document security store (DSS, ETSI EN 319 142-1 §5.4); older
Adobe-style signatures put it in a signed CMS attribute (``adbe-revocationInfoArchival``).
:mod:`motcua.signing.revocation` validates B-LT/B-LTA signatures from this alone, and
:mod:`motcua.signing.signature_checks` uses :meth:`EmbeddedEvidence.speaks_of` to tell whether a
signature really is B-LT: a DSS written for another signature in the same file does not count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from asn1crypto import crl, ocsp, x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError


@dataclass(frozen=True)
class EmbeddedEvidence:
    """Certificates, OCSP responses and CRLs the document itself carries."""

    certs: tuple[x509.Certificate, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()

    @classmethod
    def from_dss(cls, reader: PdfFileReader) -> EmbeddedEvidence:
        """The document's DSS (empty if it has none). Raises pyHanko's ``ValueError``
        subclasses or ``PdfError`` for a malformed one: the caller reports that."""
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            return cls()
        return cls(
            certs=tuple(dss.load_certs()),
            ocsps=tuple(
                ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
                for ref in dss.ocsps
            ),
            crls=tuple(
                crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
                for ref in dss.crls
            ),
        )

    def with_signed_attributes(self, sig: EmbeddedPdfSignature) -> EmbeddedEvidence:
        """Plus ``sig``'s signed ``adbe-revocationInfoArchival`` attribute (Adobe's way of
        embedding evidence inside the CMS, from before PAdES had a DSS)."""
        try:
            archival = find_unique_cms_attribute(
                sig.signer_info["signed_attrs"], "adobe_revocation_info_archival"
            )
        except (NonexistentAttributeError, MultivaluedAttributeError):
            return self
        ocsps = list(archival["ocsp"]) if archival["ocsp"].native is not None else []
        crls = list(archival["crl"]) if archival["crl"].native is not None else []
        return EmbeddedEvidence(self.certs, (*self.ocsps, *ocsps), (*self.crls, *crls))

    def speaks_of(self, cert: x509.Certificate, issuers: Iterable[x509.Certificate]) -> bool:
        """Does it hold revocation information about ``cert``: an OCSP response for it, or a CRL
        of its issuer? What tells B-LT from a B-T signature in a file whose DSS was written for
        another signature. ``issuers``: candidate issuer certificates (the CMS's, the DSS's);
        matching is by issuer key, not name alone (two test PKIs share their names)."""
        keys = [c.public_key for c in issuers if c.subject == cert.issuer]
        aki = cert.authority_key_identifier
        for revocation_list in self.crls:
            if revocation_list["tbs_cert_list"]["issuer"] != cert.issuer:
                continue
            if aki is None or revocation_list.authority_key_identifier in (None, aki):
                return True
        for response in self.ocsps:
            if response["response_status"].native != "successful":
                continue
            basic = response["response_bytes"]["response"].parsed
            for single in basic["tbs_response_data"]["responses"]:
                cert_id = single["cert_id"]
                if cert_id["serial_number"].native != cert.serial_number:
                    continue
                algo = cert_id["hash_algorithm"]["algorithm"].native
                if (
                    cert_id["issuer_name_hash"].native
                    != hashlib.new(algo, cert.issuer.dump()).digest()
                ):
                    continue
                key_hash = cert_id["issuer_key_hash"].native
                if any(
                    hashlib.new(algo, bytes(k["public_key"])).digest() == key_hash for k in keys
                ):
                    return True
        return False
