"""One settings object, built once at the edge (CLI, flow entry) and passed down explicitly.

Values come from arguments, then ``MOTCUA_*`` environment variables, then these defaults. An
unknown ``MOTCUA_*`` variable is an error naming the closest valid one (pydantic-settings alone
ignores it): ``MOTCUA_SIGNATURE_LVL=B-LTA`` silently signing at the default level is exactly the
mistake that must not pass.

The data directory is one place per user, ``~/.motcua`` (as Prefect's ``~/.prefect``), not the
current folder: every command, run from any folder, then sees the same stack, credentials and
database. ``MOTCUA_DATA_DIR`` or ``--data-dir`` choose another.

Where the embedded stack is used (the default), S3 endpoint, credentials, the Prefect API URL and
the test PKI are not settings at all: ``motcua up`` generates them in the data directory and the
small factories in :mod:`motcua.storage.s3`, :mod:`motcua.signing` and :mod:`motcua.infra` read
them from there. Setting them here points motcua at production services instead.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from motcua.errors import ConfigurationError

ENV_PREFIX = "MOTCUA_"

SignatureLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Field(
        default_factory=lambda: Path.home() / ".motcua",
        description="Embedded stack state, generated credentials, test PKI, SQLite DB, scratch.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/motcua.db. PostgreSQL: "
        "postgresql+psycopg://user:pass@host/db (secret: it may hold a password, and flow "
        "parameters are shown in the Prefect UI)",
    )

    # --- the agency --------------------------------------------------------------------------
    agency: str = Field(
        default="stnmt-soctrang",
        description="Internal id of the receiving agency in motcua/data/agencies.json; its "
        "official code is looked up for each dossier's received date (DESIGN §6).",
    )
    doc_types_file: Path | None = Field(
        default=None,
        description="The document-type taxonomy (JSON, the shape of motcua/data/doc_types.json, "
        "which is the default).",
    )
    units_file: Path | None = Field(
        default=None,
        description="The agency's units and procedure routes (JSON, the shape of "
        "motcua/data/units.json, which is the default); docs/routing.md.",
    )
    kpi_targets_file: Path | None = Field(
        default=None,
        description="The plan's KPI targets per year (JSON, the shape of "
        "motcua/data/kpi_targets.json, which is the default); docs/kpi.md.",
    )

    # --- S3 (empty = embedded stack) ---------------------------------------------------------
    s3_endpoint: str | None = Field(default=None, description="host:port of the S3 API")
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    intake_bucket: str = "intake"
    archive_bucket: str = "archive"
    quarantine_bucket: str = "quarantine"
    reports_bucket: str = "reports"
    archive_retention_days: int = Field(default=3650, ge=1)

    # --- Prefect and the service ------------------------------------------------------------
    prefect_api_url: str | None = Field(
        default=None, description="Empty = the embedded Prefect server started by `motcua up`."
    )
    service: bool = Field(
        default=True,
        description="`motcua up` also starts the intake watcher and a worker, so that a file "
        "dropped into intake is archived with nothing else started by hand.",
    )
    intake_poll_seconds: float = Field(default=0.5, gt=0, le=60,
                                       description="How often the watcher lists the intake bucket.")
    round_heartbeat_seconds: float = Field(
        default=30.0, gt=0, le=600,
        description="How often a running dossier's run says it is alive (one small UPDATE).",
    )
    round_stale_seconds: float = Field(
        default=300.0, gt=0,
        description="A running round silent this long (its worker or machine died) is handed to "
        "the workers again by the watcher; at least 3 heartbeats.",
    )
    intake_quiet_seconds: float = Field(
        default=20.0, ge=0,
        description="A dossier folder without dossier.json is complete once no new file has "
        "come for this long (scanners drop files without a manifest).",
    )
    prefect_database_url: SecretStr | None = Field(
        default=None,
        description="Database of the embedded Prefect server; empty = SQLite in the data dir. "
        "PostgreSQL: postgresql+asyncpg://user:pass@host/db (secret: it may hold a password).",
    )
    worker_concurrency: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1), ge=1,
        description="Dossiers one worker runs at once; default twice the cores, so that while "
        "one dossier signs, archives or waits for Prefect another's pages keep every core busy "
        "(measured: 20 dossiers 38.8-39.4 s with 2 at once, 36.0-36.9 s with 4, on 2 cores). "
        "Tesseract stays at one process per core whatever this is.",
    )

    # --- scan limits (decompression bombs, runaway inputs) ----------------------------------
    max_file_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    max_pages: int = Field(default=500, ge=1)
    max_page_pixels: int = Field(
        default=100_000_000, ge=1, description="Width × height of one page image."
    )
    min_dpi: int = Field(default=200, description="Archive rules ask for ≥ 200 dpi: flag below.")
    drop_blank_pages: bool = False

    # --- OCR ---------------------------------------------------------------------------------
    ocr_languages: str = "vie"
    ocr_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    ocr_timeout_seconds: int = Field(default=300, ge=1)

    # --- signing -----------------------------------------------------------------------------
    signature_level: SignatureLevel | None = Field(
        default=None,
        description="Empty = the highest level the stack supports: B-LT with a TSA and "
        "revocation services (the embedded test PKI; in production MOTCUA_TSA_URL, "
        "MOTCUA_TRUST_ROOTS and a signer certificate naming an OCSP responder or a CRL), B-T "
        "with a TSA only, else B-B. Set explicitly, it is exact: a level the stack cannot "
        "produce is a configuration error, never a silent downgrade.",
    )
    signer_pkcs12: Path | None = Field(
        default=None, description="Empty = the embedded test PKI's agency signer."
    )
    signer_pkcs12_passphrase: SecretStr | None = None
    pkcs11_module: Path | None = Field(
        default=None,
        description="PKCS#11 library (.so) of the agency's USB token or HSM; set = sign with "
        "the key on the token instead of a PKCS#12 file.",
    )
    pkcs11_token_label: str | None = Field(
        default=None, description="Label of the token; empty = the module's only token."
    )
    pkcs11_key_label: str | None = Field(
        default=None, description="Label of the private key on the token."
    )
    pkcs11_cert_label: str | None = Field(
        default=None, description="Label of the signer's certificate; empty = the key label."
    )
    pkcs11_pin: SecretStr | None = Field(
        default=None, description="User PIN of the token (secret: never logged or shown)."
    )
    trust_roots: list[Path] = Field(
        default_factory=list, description="Empty = the embedded test PKI's root."
    )
    tsa_url: str | None = Field(default=None, description="Empty = the embedded test TSA.")
    stamp_enabled: bool = Field(
        default=True,
        description="Draw a visible stamp (agency, 'Đã ký số', signing time) with the signature.",
    )
    stamp_page: int = Field(
        default=-1, description="Page of the stamp, 1-based; negative counts from the end."
    )
    stamp_box: tuple[float, float, float, float] | None = Field(
        default=None,
        description="x1,y1,x2,y2 in PDF points from the page's lower-left corner (JSON "
        "array in the environment); empty = the bottom-right corner of the page.",
    )
    stamp_font: Path | None = Field(
        default=None,
        description="TrueType/OpenType font with Vietnamese glyphs for the stamp; empty = Noto "
        "Sans (fonts-noto-core), else Liberation Sans (fonts-liberation2).",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_variables(cls, data: Any) -> Any:
        check_environment(os.environ)
        return data

    @model_validator(mode="after")
    def _stale_after_several_heartbeats(self) -> Settings:
        if self.round_stale_seconds < 3 * self.round_heartbeat_seconds:
            raise ValueError(
                f"MOTCUA_ROUND_STALE_SECONDS ({self.round_stale_seconds:g}) must be at least 3 × "
                f"MOTCUA_ROUND_HEARTBEAT_SECONDS ({self.round_heartbeat_seconds:g}): a run that "
                "missed one heartbeat would be taken for dead and run twice")
        return self

    @field_validator("stamp_page")
    @classmethod
    def _stamp_page_not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("pages count from 1 (or from -1 at the end); 0 is no page")
        return value

    @field_validator("stamp_box")
    @classmethod
    def _stamp_box_ordered(
        cls, value: tuple[float, float, float, float] | None
    ) -> tuple[float, float, float, float] | None:
        if value is not None:
            x1, y1, x2, y2 = value
            if not (0 <= x1 < x2 and 0 <= y1 < y2):
                raise ValueError("the stamp box is x1,y1,x2,y2 with 0 <= x1 < x2 and 0 <= y1 < y2")
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    # --- derived paths (no I/O) --------------------------------------------------------------
    @property
    def db_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'motcua.db'}"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def embedded_s3(self) -> bool:
        return self.s3_endpoint is None

    @property
    def uses_test_pki(self) -> bool:
        """True when no production key is configured (neither a PKCS#12 file nor a PKCS#11
        token): documents are then signed by the embedded test PKI's agency signer, whose
        OCSP/CRL (and, unless ``MOTCUA_TSA_URL`` is set, TSA) the stack serves. The one
        definition: the signer factory and the stack both ask this."""
        return self.signer_pkcs12 is None and self.pkcs11_module is None


def check_environment(environ: dict[str, str] | os._Environ) -> None:
    """Refuse an ``MOTCUA_*`` variable that is no setting, naming the closest one that is."""
    known = [name.upper() for name in Settings.model_fields]
    unknown = sorted(k for k in environ
                     if k.upper().startswith(ENV_PREFIX) and k.upper()[len(ENV_PREFIX):] not in known)
    if unknown:
        name = unknown[0]
        (closest,) = difflib.get_close_matches(name.upper()[len(ENV_PREFIX):], known, n=1, cutoff=0)
        more = f" (and {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
        raise ConfigurationError(
            f"unknown setting {name}{more}: no MOTCUA_* variable has that name",
            hint=f"the closest valid one is {ENV_PREFIX}{closest}; unset {name} or fix its name "
            "(README, Configuration, lists them all)",
            code="unknown_setting",
        )
