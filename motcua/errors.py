"""The error taxonomy: what can go wrong with a dossier, and what happens then.

Every error carries a short stable ``code`` for machines (it becomes the quarantine reason and
the ``reason`` field of ``motcua digitize --json``) and a ``hint`` for people that says what to do.

- :class:`BadInput` and its subclasses are deterministic: the same file fails the same way every
  time, so it is never retried. The file goes to the quarantine bucket with a JSON reason and the
  rest of the dossier goes on.
- :class:`TransientError` is worth retrying (a server down, a timeout); the Prefect task's
  ``retry_condition_fn`` retries only these.
- Anything else is a bug and fails the run loudly.

Library exceptions (Pillow, pypdf, minio, pyHanko) are translated into these at the boundary of
the module that calls the library, never classified later by matching message strings.

:class:`ExitCode` is the one table of the command line's exit codes (README "Using it"); every
error class names its own.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What ``motcua`` exits with, the same for every command."""

    OK = 0
    FAILED = 1
    """A check failed, or a document waits to be signed."""
    BAD_INPUT = 2
    """Bad input: a document was quarantined, or invalid command-line arguments."""
    CONFIGURATION = 3
    """Configuration or stack problem; for ``audit verify``, ``dossier show`` and ``route`` also an
    unknown dossier or key."""
    UNDECIDED = 4
    """``audit verify``: nothing failed, but something could not be decided now."""


class MotcuaError(Exception):
    """Base of every error motcua raises on purpose."""

    code: str = "error"
    exit_code: int = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigurationError(MotcuaError):
    """Settings or the stack are not usable as given; nothing was processed."""

    code = "configuration"
    exit_code = ExitCode.CONFIGURATION


class BadArguments(MotcuaError):
    """What the command line was given cannot be used (a malformed dossier code, two files with
    one name); nothing was done."""

    code = "bad_arguments"
    exit_code = ExitCode.BAD_INPUT


class StackNotRunning(ConfigurationError):
    code = "stack_not_running"


class DossierError(MotcuaError):
    """Something about one dossier or one of its documents."""

    code = "dossier_error"


class UnknownDossier(DossierError):
    """No dossier has this code (nothing was done)."""

    code = "unknown_dossier"
    exit_code = ExitCode.CONFIGURATION


class TransitionRefused(DossierError):
    """What a unit asked to do to a dossier is not allowed now (received twice, returned before
    it is resolved, sent by a unit that does not hold it): nothing was recorded."""

    code = "transition_refused"
    exit_code = ExitCode.BAD_INPUT


class ReuseRefused(DossierError):
    """A held paper that cannot be reused for this dossier (unknown, another applicant's,
    expired or superseded; ``reuse_recorded``: already recorded): nothing was recorded."""

    code = "reuse_refused"
    exit_code = ExitCode.BAD_INPUT


class BadInput(DossierError):
    """A submitted file that cannot be processed as it is. Quarantined, never retried."""

    code = "bad_input"
    exit_code = ExitCode.BAD_INPUT


class EmptyFile(BadInput):
    code = "empty_file"


class UnsupportedFormat(BadInput):
    code = "unsupported_format"


class EncryptedInput(BadInput):
    code = "encrypted"


class CorruptInput(BadInput):
    code = "corrupt"


class OverLimits(BadInput):
    code = "over_limits"


class SignedActiveContent(BadInput):
    """A signed PDF that carries active content (JavaScript, attachments, actions): it cannot be
    cleaned without breaking its signature, so a person decides."""

    code = "signed_active_content"


class OcrFailed(BadInput):
    """A page that Tesseract could not read even after a retry."""

    code = "ocr_failed"


class TransientError(DossierError):
    """An outside service failed in a way that may pass: retried with backoff."""

    code = "transient"


class SignPending(DossierError):
    """Signing at the configured level is impossible right now (TSA or token down).

    The document waits in ``sign_pending``; it is never signed silently at a lower level.
    """

    code = "sign_pending"


class StorageError(MotcuaError):
    """S3 refused a request for a reason that will not pass by waiting (access denied, a key it
    does not accept): the run fails with the server's error code, nothing is marked done."""

    code = "s3_error"


class ArchiveIntegrityError(MotcuaError):
    """The archive holds something other than what the database says it should, or the server
    does not lock what it stores. Not the submitter's fault: the run fails loudly, nothing is
    quarantined or marked archived."""

    code = "archive_integrity"
