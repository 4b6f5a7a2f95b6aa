"""The test PKI's TSA/OCSP/CRL server as a service of the embedded stack.

Only when motcua signs with its own test PKI (:attr:`Settings.uses_test_pki`: no PKCS#12 file
and no PKCS#11 token configured).
The PKI is generated on the first ``up`` with a free loopback port, because that address is
written into its certificates (OCSP responder, CRL distribution points): every later ``up``
serves it on the same port.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from motcua.agencies import agency_on
from motcua.infra.ports import LOOPBACK, allocate_ports
from motcua.infra.prefect_server import python_http_service
from motcua.settings import Settings
from motcua.signing.pki import TestPki, ensure_test_pki, load_test_pki


def ensure_pki(settings: Settings) -> TestPki:
    if (settings.pki_dir / "manifest.json").exists():
        return load_test_pki(settings.pki_dir)
    port = allocate_ports(["http"])["http"]
    agency = agency_on(settings.agency, dt.datetime.now(dt.UTC))
    return ensure_test_pki(settings.pki_dir, services_base_url=f"http://{LOOPBACK}:{port}",
                           agency_name=_common_name(agency.name))


_ABBREVIATIONS = (("thành phố ", "TP "), ("tỉnh ", ""), ("Nông nghiệp và Môi trường", "NN&MT"),
                  ("Tài nguyên và Môi trường", "TN&MT"))


def _common_name(agency_name: str) -> str:
    """The signer's CN: the agency's name + "(TEST)", abbreviated the way agencies abbreviate
    themselves when it would exceed X.520's 64 (UTF-8 bytes, as `cryptography` counts)."""
    name = f"{agency_name} (TEST)"
    for long, short in _ABBREVIATIONS:
        if len(name.encode()) <= 64:
            break
        name = name.replace(long, short)
    return name


SERVICE_DEF = python_http_service(
    "pki",
    "motcua.infra.pki_server",
    lambda s, port: ("--pki-dir", str(s.pki_dir), "--host", LOOPBACK, "--port", str(port)),
    prepare=lambda s: None if ensure_pki(s) else None,
    port=lambda s: urlsplit(ensure_pki(s).services_base_url).port or 80,
    enabled=lambda s: s.uses_test_pki,
)
