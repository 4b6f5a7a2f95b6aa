"""The agency's key on a PKCS#11 token: a USB token or an HSM (DESIGN §3).

:class:`Pkcs11Key` is a :class:`~motcua.signing.pades.SigningKey`:
:func:`~motcua.signing.pades.sign_pdf` cannot tell it from a PKCS#12 file. The private key never leaves the token; motcua holds one
logged-in session per process and makes pyHanko's ``PKCS11Signer`` once per thread over it.

Why it is built this way:

- **One library object per module and process.** ``C_Initialize`` is process-wide: a second
  ``pkcs11.lib`` for the same module fails, and when it is garbage-collected its
  ``C_Finalize`` would close every session of the first. So :func:`_library` caches it.
- **One logged-in session per token and process, shared, never closed.** A PKCS#11 login
  belongs to the whole process: a second login fails (``CKR_USER_ALREADY_LOGGED_IN``, whatever
  the PIN) and closing any logged-in session logs every session out. python-pkcs11
  initialises the module without OS locking, and SoftHSM, for one, then does no locking of its
  own; python-pkcs11's per-session lock covers operations (find, sign) but not attribute reads.
  A signature running while another thread read the key's attributes crashed the process
  (segfault in ``C_Sign``, seen in CI with 3 threads). So every call to the token goes through
  one process-wide lock (:data:`_lock`): loading a thread's key handle, and each signature
  (:class:`_OneCallAtATime`). A token signs one thing at a time anyway.
- **A wrong PIN is tried once.** A real token locks itself after a few wrong PINs (often 3 to 5),
  and the sign step runs once per document: a (module, token, PIN) the token refused is refused
  again by motcua without asking the token, until the process restarts. The PIN appears in no
  message and no log.
- **Errors.** Module, PIN, key or certificate problems are :class:`ConfigurationError`; a token
  that is not present (unplugged) is :class:`SignPending` — the document waits and is retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pkcs11
from asn1crypto import x509 as asn1_x509
from pkcs11 import Attribute, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11
from pydantic import SecretStr
from pyhanko.sign.pkcs11 import PKCS11Signer

from motcua.errors import ConfigurationError, SignPending

from .cms_info import subject_name

UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    p11.DeviceError, p11.DeviceRemoved, p11.DeviceMemory, p11.TokenNotPresent,
    p11.TokenNotRecognised, p11.SessionClosed, p11.SessionHandleInvalid, p11.FunctionFailed,
    p11.GeneralError,
)  # fmt: skip
"""What a token that was unplugged (or an HSM that went away) raises mid-signature."""

_refused: set[str] = set()
"""Fingerprints (SHA-256) of (module, token, PIN) that a token refused."""
_sessions: dict[tuple[Path, str], tuple[str, pkcs11.Session]] = {}
"""The logged-in session of each (module, token), with the fingerprint of its PIN."""
_lock = threading.RLock()
"""Every call to a token, from any thread (see the module docstring)."""


class _OneCallAtATime(PKCS11Signer):
    """pyHanko's PKCS#11 signer, signing under :data:`_lock`."""

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if dry_run:  # sizes the signature: no call to the token
            return await super().async_sign_raw(data, digest_algorithm, dry_run=True)
        with _lock:  # held across the executor thread pyHanko signs in; it never takes _lock
            return await super().async_sign_raw(data, digest_algorithm, dry_run=False)


@dataclass(frozen=True, eq=False)
class Pkcs11Key:
    """A signing key on a token, with its certificate and the other certificates on the token."""

    subject: str
    token_label: str
    key_label: str
    cert_der: bytes = field(repr=False)
    chain_der: tuple[bytes, ...] = field(repr=False)
    session: pkcs11.Session = field(repr=False)
    unavailable_errors: tuple[type[Exception], ...] = UNAVAILABLE_ERRORS

    @classmethod
    def open(
        cls,
        *,
        module: Path,
        pin: SecretStr,
        key_label: str,
        cert_label: str | None = None,
        token_label: str | None = None,
    ) -> Pkcs11Key:
        """Log in to the token (once per process) and find the key and its certificate."""
        module = Path(module).resolve()
        with _lock:
            token = _token(_library(module), token_label)
            session = _logged_in_session(module, token, pin)
            return cls._find_objects(session, token.label, key_label, cert_label or key_label)

    @classmethod
    def _find_objects(
        cls, session: pkcs11.Session, token_label: str, key_label: str, cert_label: str
    ) -> Pkcs11Key:
        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                         Attribute.LABEL: key_label}))  # fmt: skip
        if len(keys) != 1:
            raise ConfigurationError(
                f"PKCS#11 token {token_label!r} holds {len(keys)} private keys labelled "
                f"{key_label!r}, not exactly one",
                hint="set MOTCUA_PKCS11_KEY_LABEL to the label of the signing key (pkcs11-tool -O)",
            )
        certs = {
            obj[Attribute.LABEL]: obj[Attribute.VALUE]
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        }
        if cert_label not in certs:
            raise ConfigurationError(
                f"PKCS#11 token {token_label!r} holds no certificate labelled {cert_label!r}",
                hint="set MOTCUA_PKCS11_CERT_LABEL to the label of the signer's certificate",
            )
        cert = asn1_x509.Certificate.load(certs[cert_label])
        if _modulus(keys[0]) not in (None, _cert_modulus(cert)):
            raise ConfigurationError(
                f"the certificate {cert_label!r} on token {token_label!r} is not the one of key "
                f"{key_label!r}",
                hint="label the key and its certificate consistently",
            )
        return cls(
            subject=subject_name(cert),
            token_label=token_label,
            key_label=key_label,
            cert_der=cert.dump(),
            chain_der=tuple(der for label, der in certs.items() if label != cert_label),
            session=session,
        )

    def new_cms_signer(self) -> PKCS11Signer:
        """A pyHanko signer for the calling thread over the shared session; it looks up the
        key handle now, so that signing does not."""
        signer = _OneCallAtATime(
            self.session,
            key_label=self.key_label,
            signing_cert=asn1_x509.Certificate.load(self.cert_der),
            ca_chain=[asn1_x509.Certificate.load(der) for der in self.chain_der],
            other_certs_to_pull=(),
        )
        with _lock:
            asyncio.run(signer.ensure_objects_loaded())
        return signer


@cache
def _library(module: Path) -> pkcs11.lib:
    if not module.is_file():
        raise ConfigurationError(
            f"PKCS#11 module {module} does not exist",
            hint="set MOTCUA_PKCS11_MODULE to the token's .so (e.g. its vendor's driver)",
        )
    try:
        return pkcs11.lib(str(module))
    except p11.PKCS11Error as exc:
        raise ConfigurationError(
            f"cannot load PKCS#11 module {module}: {exc}",
            hint="check MOTCUA_PKCS11_MODULE and the token driver's installation",
        ) from exc


def _token(lib: pkcs11.lib, label: str | None) -> pkcs11.Token:
    try:
        if label is not None:
            return lib.get_token(token_label=label)
        return lib.get_token(token_flags=TokenFlag.TOKEN_INITIALIZED)
    except p11.NoSuchToken as exc:
        raise SignPending(
            "no PKCS#11 token " + (f"labelled {label!r} " if label else "") + "is present",
            hint="plug in the agency's token (or check MOTCUA_PKCS11_TOKEN_LABEL); "
            "the document waits in sign_pending",
        ) from exc
    except p11.MultipleTokensReturned as exc:
        raise ConfigurationError(
            "several PKCS#11 tokens are present", hint="set MOTCUA_PKCS11_TOKEN_LABEL"
        ) from exc


def _modulus(key: pkcs11.PrivateKey) -> int | None:
    """The RSA modulus of a key on the token (public data), ``None`` if it does not say."""
    try:
        return int.from_bytes(key[Attribute.MODULUS], "big")
    except p11.PKCS11Error:
        return None


def _cert_modulus(cert: asn1_x509.Certificate) -> int | None:
    public = cert.public_key
    return public["public_key"].parsed["modulus"].native if public.algorithm == "rsa" else None


def _logged_in_session(module: Path, token: pkcs11.Token, pin: SecretStr) -> pkcs11.Session:
    fingerprint = _fingerprint(module, token.label, pin)
    held = _sessions.get((module, token.label))
    if held is not None:
        if held[0] == fingerprint:
            return held[1]
        raise ConfigurationError(
            f"PKCS#11 token {token.label!r} is already logged in by this process with another PIN",
            hint="one PIN per token and process: restart motcua after changing MOTCUA_PKCS11_PIN",
        )
    if fingerprint in _refused:
        raise _pin_refused(token.label, again=True)
    try:
        session = token.open(user_pin=pin.get_secret_value())
    except (p11.PinIncorrect, p11.PinLenRange, p11.PinInvalid) as exc:
        _refused.add(fingerprint)
        raise _pin_refused(token.label, again=False) from exc
    except (p11.PinLocked, p11.PinExpired) as exc:
        raise ConfigurationError(
            f"the PIN of PKCS#11 token {token.label!r} is locked or expired",
            hint="unlock the token with its administrator (SO) PIN, then restart motcua",
        ) from exc
    except p11.UserAlreadyLoggedIn as exc:
        raise ConfigurationError(
            f"PKCS#11 token {token.label!r} was logged in by other code in this process",
            hint="let motcua.signing.pkcs11 own the token's login",
        ) from exc
    except UNAVAILABLE_ERRORS as exc:
        raise SignPending(
            f"PKCS#11 token {token.label!r} did not answer: {type(exc).__name__}",
            hint="check that the token or HSM is connected; the document waits in sign_pending",
        ) from exc
    _sessions[(module, token.label)] = (fingerprint, session)
    return session


def _fingerprint(module: Path, token_label: str, pin: SecretStr) -> str:
    material = f"{Path(module).resolve()}\0{token_label}\0{pin.get_secret_value()}"
    return hashlib.sha256(material.encode()).hexdigest()


def _pin_refused(token_label: str, *, again: bool) -> ConfigurationError:
    if again:
        return ConfigurationError(
            f"PKCS#11 token {token_label!r} refused this PIN before; it is not tried again",
            hint="fix MOTCUA_PKCS11_PIN and restart (tokens lock themselves after a few wrong "
            "PINs)",
        )
    return ConfigurationError(
        f"PKCS#11 token {token_label!r} refused the PIN",
        hint="check MOTCUA_PKCS11_PIN; motcua will not try the same PIN again until restarted "
        "(tokens lock themselves after a few wrong PINs)",
    )
