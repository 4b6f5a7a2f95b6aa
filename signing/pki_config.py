"""The shape of motcua's local **test** PKI, written as a certomancer configuration.

Kept apart from :mod:`motcua.signing.pki` (which generates, loads and locates the files) so that
the one place that decides names, validity and certificate profiles reads as a declaration.

Why these choices:

- root → intermediate → agency signer mirrors a real Vietnamese chain (the Government Cipher
  Committee's root, a subordinate CA, the agency's certificate), so chain building is exercised.
- Every subject says TEST twice (O and CN): a file signed with this PKI must never be mistaken
  for a legally valid signature.
- The signer carries keyUsage digitalSignature + nonRepudiation (what PAdES validators expect of a
  signing certificate) and extKeyUsage emailProtection: poppler's ``pdfsig`` reports a trusted
  chain only then (platform-notes, "Signing").
- The TSA is issued by the root with a critical timeStamping EKU (RFC 3161 §2.3). The OCSP
  responder and the CRLs serve revocation status (B-LT/B-LTA signing, ``motcua audit verify``);
  their URLs are baked into the certificates (AIA, CRL distribution points), hence
  ``services_base_url``.
- Two more agency signers exist only so that verification can be tested on the failures an
  auditor must catch: ``signer_revoked`` (revoked for key compromise two weeks before the PKI
  was made: the CRL lists it and OCSP answers "revoked", so *every* signature it makes is after
  its revocation) and ``signer_expired`` (its validity ended a week before the PKI was made).
  Same key usages as the real signer, so only the revocation or the date differs.
- certomancer signs certificates deterministically (RSA PKCS#1 v1.5) from this configuration and
  the key files, so the test PKI server regenerates byte-identical certificates from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

ARCH = "motcua-test"
"""certomancer architecture label; it is the first path segment of every service URL."""

TEST_ORGANIZATION = "motcua TEST PKI - not for production"
TEST_UNIT = "TEST ONLY - signatures made with this PKI have no legal value"
DEFAULT_AGENCY_NAME = "Sở Tài nguyên và Môi trường tỉnh Sóc Trăng (TEST)"

REVOKED_SIGNER = "signer_revoked"
EXPIRED_SIGNER = "signer_expired"
KEY_LABELS = ("root", "interm", "signer", "tsa", "ocsp", REVOKED_SIGNER, EXPIRED_SIGNER)
"""One RSA key per certificate, file ``keys/<label>.key.pem``; certificate labels are the same."""
REVOCATION_REASON = "key_compromise"

TSA_SERVICE = "tsa"
OCSP_SERVICE = "interm"
CRL_SERVICES = {"root": "root", "interm": "interm"}
"""CRL repository label per issuing CA."""

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"


def _validity(valid_from: datetime, valid_to: datetime) -> dict[str, str]:
    return {
        "valid-from": valid_from.strftime(_TIME_FORMAT),
        "valid-to": valid_to.strftime(_TIME_FORMAT),
    }


def _agency_signer(issuer: str, validity: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "validity": validity,
        # keyUsage digitalSignature + nonRepudiation (critical)
        "profiles": ["digsig-commitment"],
        "extensions": [
            {"id": "extended_key_usage", "critical": False, "value": ["email_protection"]},
        ],
        **extra,
    }


def certomancer_config(
    *,
    agency_name: str,
    services_base_url: str,
    valid_from: datetime,
    valid_to: datetime,
    revoked_since: datetime,
    expired_at: datetime,
) -> dict[str, Any]:
    """The certomancer configuration (a YAML-ready dict) of one test PKI.

    Key paths are relative to the configuration's own directory, so the whole PKI folder can be
    moved (it is generated in a staging folder and renamed into place).

    ``revoked_since`` must not be later than the ``thisUpdate`` of the intermediate's CRL at the
    time of use: certomancer lists a revocation only in CRLs issued after it, on a simulated
    schedule counted from ``valid_from`` (see :mod:`motcua.signing.pki`, which picks the dates).
    """
    validity = _validity(valid_from, valid_to)
    return {
        "external-url-prefix": services_base_url.rstrip("/"),
        "keysets": {
            ARCH: {
                "path-prefix": "keys",
                "keys": {label: {"path": f"{label}.key.pem"} for label in KEY_LABELS},
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {
                    "country-name": "VN",
                    "organization-name": TEST_ORGANIZATION,
                    "organizational-unit-name": TEST_UNIT,
                },
                "entities": {
                    "root": {"common-name": "motcua Root CA (TEST)"},
                    "interm": {"common-name": "motcua Intermediate CA (TEST)"},
                    "signer": {"common-name": agency_name},
                    "tsa": {"common-name": "motcua Time Stamping Authority (TEST)"},
                    "ocsp": {"common-name": "motcua OCSP Responder (TEST)"},
                    REVOKED_SIGNER: {"common-name": "motcua Revoked Agency Signer (TEST)"},
                    EXPIRED_SIGNER: {"common-name": "motcua Expired Agency Signer (TEST)"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "subject-key": "root",
                        "issuer": "root",
                        "authority-key": "root",
                        "validity": validity,
                        "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}],
                    },
                    "interm": {
                        "issuer": "root",
                        "validity": validity,
                        "profiles": [
                            {
                                "id": "simple-ca",
                                "params": {
                                    "max-path-len": 0,
                                    "crl-repo": CRL_SERVICES["interm"],
                                    "ocsp-service": OCSP_SERVICE,
                                },
                            }
                        ],
                    },
                    "ocsp": {
                        "issuer": "interm",
                        "validity": validity,
                        "profiles": ["ocsp-responder"],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": validity,
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            },
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                        ],
                    },
                    "signer": _agency_signer("interm", validity),
                    REVOKED_SIGNER: _agency_signer(
                        "interm",
                        validity,
                        revocation={
                            "revoked-since": revoked_since.strftime(_TIME_FORMAT),
                            "reason": REVOCATION_REASON,
                        },
                    ),
                    EXPIRED_SIGNER: _agency_signer("interm", _validity(valid_from, expired_at)),
                },
                "services": {
                    "ocsp": {
                        OCSP_SERVICE: {
                            "for-issuer": "interm",
                            "responder-cert": "ocsp",
                            "signing-key": "ocsp",
                        }
                    },
                    "crl-repo": {
                        CRL_SERVICES["root"]: {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        },
                        CRL_SERVICES["interm"]: {
                            "for-issuer": "interm",
                            "signing-key": "interm",
                            "simulated-update-schedule": "P7D",
                        },
                    },
                    "time-stamping": {
                        TSA_SERVICE: {"signing-key": "tsa", "signing-cert": "tsa"},
                    },
                },
            }
        },
    }
