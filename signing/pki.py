"""Generate (once) and locate motcua's local **test** PKI.

The embedded stack signs with a throw-away PKI so that everything, B-T timestamps included, runs
offline (DESIGN §3). :func:`ensure_test_pki` creates it on first use and afterwards only loads it:
a second call changes nothing, because regenerating would silently invalidate the trust root that
earlier signatures were verified against.

Layout of ``pki_dir`` (secrets are mode 0600, the folder 0700)::

    certomancer.yml          certomancer configuration (no secrets); keys referenced relatively
    keys/<label>.key.pem     RSA-2048 private keys (0600): root, interm, signer, tsa, ocsp,
                             signer_revoked, signer_expired
    certs/<label>.cert.pem   the certificates, exported once
    signer.p12               agency signer key + certificate + chain (0600, encrypted)
    signer.p12.passphrase    generated passphrase of signer.p12 (0600)
    manifest.json            written last: its presence means the PKI is complete

Manifest format 2 added the revoked and the expired test signers (for verification tests); a
format-1 PKI is refused with a clear error rather than half-supported: regenerate it.

Generation happens in a staging folder next to ``pki_dir`` that is renamed into place, so a crash
half-way never leaves a PKI that looks complete, and two processes racing end up sharing one.

Why this module is long (~350 lines): generating, exporting and loading the PKI share the file
layout above and the staging-then-rename protocol; split apart, each half would have to re-derive
the layout and the completeness rule (``manifest.json`` last). What the PKI *is* (names,
profiles, validity) is already apart, in :mod:`motcua.signing.pki_config`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, ServiceLabel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_der_x509_certificate

from motcua.errors import ConfigurationError

from .pki_config import (
    ARCH,
    CRL_SERVICES,
    DEFAULT_AGENCY_NAME,
    EXPIRED_SIGNER,
    KEY_LABELS,
    OCSP_SERVICE,
    REVOKED_SIGNER,
    TSA_SERVICE,
    certomancer_config,
)

DEFAULT_SERVICES_BASE_URL = "http://127.0.0.1:8790"
"""Where the embedded stack serves the test TSA/OCSP/CRL unless told otherwise; the URL is baked
into the certificates (AIA, CRL distribution points) at generation time."""

VALIDITY_BACKDATE = timedelta(days=30)
"""Certificates start a month before generation, so the expired and revoked signers can have a
past that lies inside their issuer's validity."""
VALIDITY_SPAN = timedelta(days=3653)
REVOKED_AGO = timedelta(days=14)
"""The revoked signer was revoked this long before generation: before any signature it can make,
and before the ``thisUpdate`` of the intermediate's CRL then current (certomancer's CRLs are on a
7-day simulated schedule from the intermediate's ``valid-from``, so that is at most 7 days ago)."""
EXPIRED_AGO = timedelta(days=7)
MANIFEST_FORMAT = 2
"""2: revoked and expired test signers added. Format 1 PKIs are refused by :func:`load_test_pki`."""


@dataclass(frozen=True)
class TestPki:
    """Paths of one generated test PKI (nothing secret is held in memory)."""

    __test__ = False  # not a pytest test class, despite the name

    pki_dir: Path
    services_base_url: str
    arch: str = ARCH

    @property
    def config_file(self) -> Path:
        return self.pki_dir / "certomancer.yml"

    @property
    def keys_dir(self) -> Path:
        return self.pki_dir / "keys"

    def cert_file(self, label: str) -> Path:
        return self.pki_dir / "certs" / f"{label}.cert.pem"

    @property
    def root_cert(self) -> Path:
        return self.cert_file("root")

    @property
    def intermediate_cert(self) -> Path:
        return self.cert_file("interm")

    @property
    def signer_cert(self) -> Path:
        return self.cert_file("signer")

    @property
    def tsa_cert(self) -> Path:
        return self.cert_file("tsa")

    @property
    def ocsp_cert(self) -> Path:
        return self.cert_file("ocsp")

    @property
    def revoked_signer_cert(self) -> Path:
        """An agency signer revoked (key compromise) before the PKI was made: tests only."""
        return self.cert_file(REVOKED_SIGNER)

    @property
    def expired_signer_cert(self) -> Path:
        """An agency signer whose validity ended before the PKI was made: tests only."""
        return self.cert_file(EXPIRED_SIGNER)

    def key_file(self, label: str) -> Path:
        """Unencrypted PEM private key of certificate ``label`` (0600)."""
        return self.keys_dir / f"{label}.key.pem"

    @property
    def signer_pkcs12(self) -> Path:
        return self.pki_dir / "signer.p12"

    @property
    def signer_passphrase_file(self) -> Path:
        return self.pki_dir / "signer.p12.passphrase"

    @property
    def manifest_file(self) -> Path:
        return self.pki_dir / "manifest.json"

    @property
    def secret_files(self) -> tuple[Path, ...]:
        """Every file that must stay mode 0600."""
        keys = tuple(self.key_file(label) for label in KEY_LABELS)
        return (*keys, self.signer_pkcs12, self.signer_passphrase_file)

    def read_signer_passphrase(self) -> bytes:
        """The PKCS#12 passphrase; read on demand so that it never sits in a settings dump."""
        return self.signer_passphrase_file.read_bytes().strip()


@dataclass(frozen=True)
class ServiceUrls:
    """Where the test PKI services answer, for one base URL."""

    tsa: str
    ocsp: str
    crl: str
    """Latest CRL of the intermediate CA (the signer's issuer)."""
    root_crl: str


def ensure_test_pki(
    pki_dir: Path,
    *,
    services_base_url: str | None = None,
    agency_name: str = DEFAULT_AGENCY_NAME,
) -> TestPki:
    """Load the test PKI in ``pki_dir``, generating it first if there is none.

    ``services_base_url`` is only used when generating (default
    :data:`DEFAULT_SERVICES_BASE_URL`); given for an existing PKI it must match the one baked
    into its certificates, otherwise :class:`ConfigurationError` (delete the folder to start
    over, knowing that files signed with the old PKI will no longer chain to the new root).
    """
    pki_dir = Path(pki_dir).absolute()
    if (pki_dir / "manifest.json").exists():
        return _load_matching(pki_dir, services_base_url)
    if pki_dir.exists() and any(pki_dir.iterdir()):
        raise ConfigurationError(
            f"{pki_dir} is not empty but holds no complete test PKI (no manifest.json)",
            hint="remove the folder (or point the PKI elsewhere) and run again",
        )
    pki_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{pki_dir.name}.staging-", dir=pki_dir.parent))
    try:
        _generate(
            staging,
            services_base_url=(services_base_url or DEFAULT_SERVICES_BASE_URL).rstrip("/"),
            agency_name=unicodedata.normalize("NFC", agency_name),
        )
        with contextlib.suppress(FileNotFoundError):
            pki_dir.rmdir()  # empty (checked above); OSError if someone filled it meanwhile
        staging.rename(pki_dir)
    except OSError:
        if not (pki_dir / "manifest.json").exists():
            raise
        # another process generated the PKI first: use theirs
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _load_matching(pki_dir, services_base_url)


def load_test_pki(pki_dir: Path) -> TestPki:
    """Load an existing test PKI; :class:`ConfigurationError` if there is none or it is damaged."""
    pki_dir = Path(pki_dir).absolute()
    try:
        manifest = json.loads((pki_dir / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"no test PKI in {pki_dir}", hint="run `motcua up` (or ensure_test_pki) first"
        ) from exc
    if manifest.get("arch") == ARCH and manifest.get("format") == 1:
        raise ConfigurationError(
            f"the test PKI in {pki_dir} was made by an older motcua (manifest format 1, without "
            f"the revoked and expired test signers); this motcua needs format {MANIFEST_FORMAT}",
            hint="remove the folder and run `motcua up` again to generate a new test PKI (files "
            "signed with the old one will no longer chain to the new root)",
        )
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("arch") != ARCH:
        raise ConfigurationError(
            f"{pki_dir / 'manifest.json'} is not a motcua test PKI manifest (format "
            f"{manifest.get('format')!r})",
            hint="remove the folder and generate the test PKI again",
        )
    pki = TestPki(pki_dir=pki_dir, services_base_url=manifest["services_base_url"])
    expected = (pki.config_file, *(pki.cert_file(label) for label in KEY_LABELS))
    missing = [p for p in (*expected, *pki.secret_files) if not p.is_file()]
    if missing:
        raise ConfigurationError(
            f"test PKI in {pki_dir} is incomplete: missing {', '.join(map(str, missing))}",
            hint="remove the folder and generate the test PKI again",
        )
    return pki


def load_certomancer_config(pki: TestPki) -> CertomancerConfig:
    """certomancer's view of the PKI (parses the key files: do it once per process)."""
    return CertomancerConfig.from_file(str(pki.config_file), allow_external_config=False)


def service_urls(pki: TestPki, base_url: str | None = None) -> ServiceUrls:
    """TSA, OCSP and CRL URLs of ``pki`` served at ``base_url`` (default: the baked-in one).

    Paths come from the certomancer configuration, so no caller hard-codes certomancer's URL
    scheme. Only the YAML is read (no key is parsed), once per version of the file: every run
    asks (the YAML parse cost ~28 ms a dossier).
    """
    stat = pki.config_file.stat()
    return _service_urls(pki, base_url, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _service_urls(pki: TestPki, base_url: str | None, _mtime_ns: int, _size: int) -> ServiceUrls:
    config = yaml.safe_load(pki.config_file.read_text(encoding="utf-8"))
    lazy = CertomancerConfig(
        config,
        key_search_dir=str(pki.pki_dir),
        lazy_load_keys=True,
        external_url_prefix=(base_url or pki.services_base_url).rstrip("/"),
    )
    services = lazy.get_pki_arch(ArchLabel(pki.arch)).service_registry
    return ServiceUrls(
        tsa=services.get_tsa_info(ServiceLabel(TSA_SERVICE)).url,
        ocsp=services.get_ocsp_info(ServiceLabel(OCSP_SERVICE)).url,
        crl=services.get_crl_repo_info(ServiceLabel(CRL_SERVICES["interm"])).latest_external_url,
        root_crl=services.get_crl_repo_info(ServiceLabel(CRL_SERVICES["root"])).latest_external_url,
    )


# --- generation --------------------------------------------------------------------------------


def _load_matching(pki_dir: Path, services_base_url: str | None) -> TestPki:
    pki = load_test_pki(pki_dir)
    if services_base_url is not None and services_base_url.rstrip("/") != pki.services_base_url:
        raise ConfigurationError(
            f"the test PKI in {pki_dir} serves its TSA/OCSP/CRL at {pki.services_base_url}, "
            f"not {services_base_url}",
            hint="run the PKI server at the URL the PKI was made for, or remove the folder to "
            "generate a new PKI (old signatures will not chain to the new root)",
        )
    return pki


def _write_secret(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start (never world-readable, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _generate(staging: Path, *, services_base_url: str, agency_name: str) -> None:
    staging.chmod(0o700)
    (staging / "keys").mkdir(mode=0o700)
    (staging / "certs").mkdir()
    keys: dict[str, rsa.RSAPrivateKey] = {}
    for label in KEY_LABELS:
        keys[label] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_secret(
            staging / "keys" / f"{label}.key.pem",
            keys[label].private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )

    now = datetime.now(UTC).replace(microsecond=0)
    config = certomancer_config(
        agency_name=agency_name,
        services_base_url=services_base_url,
        valid_from=now - VALIDITY_BACKDATE,
        valid_to=now + VALIDITY_SPAN,
        revoked_since=now - REVOKED_AGO,
        expired_at=now - EXPIRED_AGO,
    )
    # ASCII-only YAML (non-ASCII names escaped): certomancer opens it with the locale encoding.
    (staging / "certomancer.yml").write_text(
        "# motcua TEST PKI - not for production. Generated by motcua.signing.pki.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=False),
        encoding="ascii",
    )

    arch = CertomancerConfig.from_file(
        str(staging / "certomancer.yml"), allow_external_config=False
    ).get_pki_arch(ArchLabel(ARCH))
    ders = {label: arch.get_cert(CertLabel(label)).dump() for label in KEY_LABELS}
    for label, der in ders.items():
        pem = load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        (staging / "certs" / f"{label}.cert.pem").write_bytes(pem)

    passphrase = secrets.token_urlsafe(32).encode("ascii")
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"motcua test agency signer",
        key=keys["signer"],
        cert=load_der_x509_certificate(ders["signer"]),
        cas=[load_der_x509_certificate(ders["interm"]), load_der_x509_certificate(ders["root"])],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    _write_secret(staging / "signer.p12.passphrase", passphrase + b"\n")
    _write_secret(staging / "signer.p12", p12)

    manifest = {
        "format": MANIFEST_FORMAT,
        "arch": ARCH,
        "services_base_url": services_base_url,
        "created_at": now.isoformat(),
        "warning": "TEST PKI - not for production; signatures made with it have no legal value",
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
