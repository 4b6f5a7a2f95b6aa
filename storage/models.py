"""The database schema (SQLModel). Alembic migrations in ``migrations/`` are the only way it
changes; ``migrations/versions`` must be kept in step with this module (a test checks it).

Times are stored in UTC (as naive UTC on SQLite, which has no time zones, and converted back to
aware datetimes on the way out) and shown in Asia/Ho_Chi_Minh by the CLI and the reports.
Identity is by content: a document is its dossier + the SHA-256 of the submitted file, so
processing the same dossier twice finds the rows it wrote the first time.

Names say one thing: ``Document.document_id`` is the document's *public* id (it is in archive keys
and JSON); a column that points at a document row is ``document_pk`` (an integer foreign key).

Why this module is long: it is the whole schema, one class per table and nothing else, so that
a reader sees every table and its constraints in one place, as the migrations build them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, MetaData, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

# Deterministic constraint names, so migrations are the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

# Full-text search objects that only one backend has (migration 0009), not in this metadata.
_BACKEND_ONLY = ("documentsearch", "ix_documenttext_words_tsv", "ix_documenttext_folded_tsv",
                 "words_tsv", "folded_tsv")


def in_models(name: str | None, type_: str, parent_names: dict) -> bool:
    """For Alembic's comparison (``include_name``): False for the backend's own search objects."""
    return not (name or "").startswith(_BACKEND_ONLY)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _when(nullable: bool = False, **kw):
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, **kw))


class Dossier(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    agency_code: str = Field(max_length=16, description="code in force on the received date")
    agency_name: str = Field(max_length=255)
    applicant_id: str | None = Field(default=None, index=True, max_length=32)
    applicant_name: str | None = Field(default=None, max_length=255)
    procedure_code: str | None = Field(default=None, max_length=32)
    procedure_name: str | None = Field(default=None, max_length=255)
    channel: str = Field(default="counter", max_length=16)  # counter | online | post | unknown
    # The KPI periods select dossiers by these three times (motcua/storage/repository/kpi.py).
    received_at: dt.datetime = _when(index=True)
    due_at: dt.datetime | None = _when(nullable=True)
    registered_at: dt.datetime = _when()
    # Where the dossier stands (the national status codes; services/routing.py): received |
    # processing | supplement_requested | refused | withdrawn | stopped | resolved | returned
    status: str = Field(default="received", max_length=24, index=True)
    resolved_at: dt.datetime | None = _when(nullable=True, index=True)
    returned_at: dt.datetime | None = _when(nullable=True, index=True)
    # motcua: motcua received it and its own rows (documents, reuse events, handoffs) are its
    # facts; import: loaded by `motcua import dossiers`, its facts are the counts of its record.
    source: str = Field(default="motcua", max_length=16)


class DossierRecord(SQLModel, table=True):
    """What the one-stop system knows of a dossier and motcua does not see: the queue ticket
    (arrival), when intake started, the desk officer, the rating, and for an imported dossier
    the counts that motcua's own rows give for its own dossiers (services/import_dossiers.py).

    One per dossier. Empty cells are unknown (None), never zero."""

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", unique=True)
    arrived_at: dt.datetime | None = _when(nullable=True)
    intake_started_at: dt.datetime | None = _when(nullable=True)
    desk_officer: str | None = Field(default=None, max_length=255, description="NFC, trimmed")
    rating: int | None = None  # 1–5
    components: int | None = None
    components_digitized: int | None = None
    components_reused: int | None = None
    components_reused_national: int | None = None
    result: str | None = Field(default=None, max_length=16)  # none | issued | digitized
    handoffs_electronic: int | None = None
    handoffs_paper: int | None = None
    source_file: str = Field(max_length=255)
    line: int
    imported_at: dt.datetime = _when()


class KpiSnapshot(SQLModel, table=True):
    """One figure of one period, as the nightly flow computed it: numerator and denominator
    kept, so that a figure can be audited back to its dossiers (``motcua kpi --explain``)."""

    __table_args__ = (UniqueConstraint("period", "date_from", "date_to", "agency_code", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=16)  # day | month | year (to date) | custom
    date_from: dt.date
    date_to: dt.date
    agency_code: str = Field(default="", max_length=16, description="'' for every agency")
    name: str = Field(max_length=48, index=True)  # a KPI or a Decision-766 counter
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    target: float | None = None
    met: bool | None = None
    computed_at: dt.datetime = _when()


class Document(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("dossier_id", "source_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    document_id: str = Field(unique=True, max_length=64, description="public id, used in keys")
    source_name: str = Field(max_length=255)
    source_sha256: str = Field(max_length=64)
    source_bytes: int
    media_type: str | None = Field(default=None, max_length=64)
    kind: str = Field(default="component", max_length=16)  # component | result
    doc_type: str = Field(default="khac", max_length=64)
    title: str | None = Field(default=None, max_length=255)
    status: str = Field(default="processing", max_length=16, index=True)
    # processing | archived | quarantined | sign_pending
    pages: int | None = None
    ocr_confidence: float | None = None
    flags: str = Field(default="", max_length=255, description="comma-separated page flags")
    signature_level: str | None = Field(default=None, max_length=8)
    signer: str | None = Field(default=None, max_length=255)
    signed_at: dt.datetime | None = _when(nullable=True)
    archive_key: str | None = Field(default=None, unique=True, max_length=255)
    archive_version_id: str | None = Field(default=None, max_length=128)
    sha256: str | None = Field(default=None, max_length=64, description="of the archived PDF")
    size_bytes: int | None = None
    retain_until: dt.datetime | None = _when(nullable=True)
    indexed_at: dt.datetime | None = _when(nullable=True)  # None: archived but not yet indexed
    reason_code: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=2000)
    quarantine_key: str | None = Field(default=None, max_length=255)
    intake_round: int = Field(default=1, description="1: came with the dossier; > 1: added later")
    created_at: dt.datetime = _when()
    updated_at: dt.datetime = _when()


class StepEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    document_pk: int | None = Field(default=None, foreign_key="document.id", index=True)
    step: str = Field(max_length=16)
    # receive | scan | ocr | assemble | sign | archive | index | quarantine | renew
    status: str = Field(max_length=16)  # running | completed | failed | rejected (bad input)
    attempt: int = 1
    flow_run_id: str | None = Field(default=None, max_length=64)
    task_run_id: str | None = Field(default=None, max_length=64)
    started_at: dt.datetime = _when(index=True)  # the KPI report's step durations by period
    finished_at: dt.datetime | None = _when(nullable=True)
    error: str | None = Field(default=None, max_length=2000)


class Handoff(SQLModel, table=True):
    """One unit handing a dossier to another, as a line of the paper control sheet (Phiếu kiểm
    soát quá trình giải quyết hồ sơ). ``seq`` numbers a dossier's handoffs: two officers sending
    the same dossier at the same moment both take the next number, and the database keeps one."""

    __table_args__ = (UniqueConstraint("dossier_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    seq: int
    from_unit: str = Field(max_length=32)
    to_unit: str = Field(max_length=32, index=True)
    mode: str = Field(max_length=16)  # electronic | paper
    step: int | None = Field(default=None, description="index of the route step it starts")
    sent_at: dt.datetime = _when()
    sent_by: str = Field(max_length=255)
    received_at: dt.datetime | None = _when(nullable=True)
    received_by: str | None = Field(default=None, max_length=255)
    due_at: dt.datetime | None = _when(nullable=True)  # when the receiving unit's step ends
    note: str | None = Field(default=None, max_length=2000)


class StatusChange(SQLModel, table=True):
    """Every change of a dossier's status, with who made it and why."""

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str = Field(max_length=24)
    unit: str | None = Field(default=None, max_length=32)
    officer: str | None = Field(default=None, max_length=255)
    reason: str | None = Field(default=None, max_length=2000)
    at: dt.datetime = _when()


class DocumentIdentifier(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("document_pk", "kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    document_pk: int = Field(foreign_key="document.id", index=True)
    kind: str = Field(max_length=32, index=True)  # cccd | dossier_code | document_number | ...
    value: str = Field(max_length=128, index=True)


class DocumentText(SQLModel, table=True):
    """An archived document's text, and its two search copies (motcua/core/searchtext.py): the
    words, and the words folded (no tone marks). SQLite indexes them in the FTS5 table
    ``documentsearch`` (rowid = document_pk), PostgreSQL with GIN indexes on stored tsvectors;
    both made by migration 0009 for their own backend only."""

    id: int | None = Field(default=None, primary_key=True)
    document_pk: int = Field(foreign_key="document.id", unique=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    words: str = Field(sa_column=Column(Text, nullable=False))
    folded: str = Field(sa_column=Column(Text, nullable=False))


class ReuseEntry(SQLModel, table=True):
    """A paper the state already holds for a subject: the next dossier need not ask for it."""

    __table_args__ = (UniqueConstraint("document_pk"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_id: str = Field(index=True, max_length=32)  # the applicant's CCCD or tax code
    doc_type: str = Field(index=True, max_length=64)
    document_pk: int = Field(foreign_key="document.id")
    archive_key: str = Field(max_length=255)
    valid_from: dt.datetime = _when()
    valid_to: dt.datetime | None = _when(nullable=True)  # None: no end (lâu dài)
    created_at: dt.datetime = _when()
    # What the paper says about itself (motcua/core/validity.py); None where it does not say
    number: str | None = Field(default=None, max_length=64)
    issuer: str | None = Field(default=None, max_length=255)
    issued_on: dt.date | None = None
    valid_to_stated: bool = Field(default=False, description="valid_to read from the text, "
                                  "not the type's typical validity")


class ReuseEvent(SQLModel, table=True):
    """A paper the state already held, used for a dossier instead of asking the applicant for
    it again: what the reuse KPI counts."""

    __table_args__ = (UniqueConstraint("dossier_id", "document_pk", "component"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    document_pk: int = Field(foreign_key="document.id", index=True)
    component: str = Field(default="", max_length=255, description="the component it stands for")
    source: str = Field(max_length=16)  # local | national
    officer: str | None = Field(default=None, max_length=255)
    at: dt.datetime = _when()


class SubmittedSignature(SQLModel, table=True):
    """A signature a PDF already carried when it was submitted (a result issued by another
    agency, a citizen's signed form), as judged on arrival against the configured trust roots.
    A foreign or unknown CA is a recorded fact (``trusted`` False), not a failure; a broken one
    (``intact`` False) is archived as received and flagged."""

    __table_args__ = (UniqueConstraint("document_pk", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    document_pk: int = Field(foreign_key="document.id", index=True)
    position: int  # 1 = the first signature in the file
    field_name: str = Field(max_length=128)
    signer: str = Field(max_length=255)
    level: str = Field(max_length=8)  # B-B | B-T | B-LT | B-LTA | none
    verdict: str = Field(max_length=16)  # valid | invalid | indeterminate
    intact: bool
    valid: bool
    trusted: bool
    chain_problem: str | None = Field(default=None, max_length=32)
    signing_time: dt.datetime | None = _when(nullable=True)
    timestamp_time: dt.datetime | None = _when(nullable=True)
    modification_level: str | None = Field(default=None, max_length=32)
    checked_at: dt.datetime = _when()


class IntakeDrop(SQLModel, table=True):
    """An object seen in the intake bucket (one upload of one key: key, content hash and the
    time S3 stored it): the watcher's memory, kept here and not in a process, so two watchers,
    a restart or a second machine see the same. The same file uploaded again later is a new
    drop (a new ``modified_at``), processed again (and found already archived)."""

    __table_args__ = (UniqueConstraint("key", "etag", "modified_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=1024)
    etag: str = Field(max_length=128)
    modified_at: dt.datetime = _when()
    size: int
    dossier_code: str = Field(max_length=64, index=True)
    seen_at: dt.datetime = _when()
    round_pk: int | None = Field(default=None, foreign_key="intakeround.id", index=True)


class IntakeRound(SQLModel, table=True):
    """One run's worth of a dossier's files: the first files with their ``dossier.json``, and
    later ones dropped after it was processed (``number`` > 1: documents added later).

    Exactly once, by the database: ``(dossier_code, number)`` is unique, so two watchers cannot
    both open a round; a run may only take a round whose state it moves from ``created`` to
    ``running`` itself, so two deliveries of one round give one run."""

    __table_args__ = (UniqueConstraint("dossier_code", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(max_length=64, index=True)
    number: int
    state: str = Field(default="created", max_length=16, index=True)
    # created | running | done | failed
    created_by: str = Field(max_length=128)
    created_at: dt.datetime = _when()
    rung_at: dt.datetime | None = _when(nullable=True)  # a worker was asked to take it
    started_at: dt.datetime | None = _when(nullable=True)
    finished_at: dt.datetime | None = _when(nullable=True)
    # A running round's last sign of life from its run (services/round_leases.py): a round
    # silent for MOTCUA_ROUND_STALE_SECONDS is handed to the workers again.
    heartbeat_at: dt.datetime | None = _when(nullable=True)
    worker: str | None = Field(default=None, max_length=128)
    flow_run_id: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=2000)
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
