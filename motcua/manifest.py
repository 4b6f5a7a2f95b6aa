"""The intake manifest (``dossier.json``) that comes with a dossier's scans.

Intake staff (or the national portal) drop a folder ``intake/{dossier_code}/`` with the scans and
this manifest (DESIGN §2). Everything in it is optional except the code, which is also the
folder name: a scan dropped without a manifest is still digitized, with what can be inferred.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from motcua.text import clean
from motcua.times import VN_TZ

# National format: agency code, date YYMMDD, sequence (e.g. 000.00.20.H53-220601-0001). Local
# codes differ between provinces, so any code of letters, digits, dots and dashes is accepted.
DOSSIER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_]{2,63}$")
NATIONAL_DOSSIER_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")


def validate_code(code: str) -> str:
    code = clean(code).strip()
    if not DOSSIER_CODE.match(code):
        raise ValueError(
            f"{code!r} is not a dossier code (letters, digits, '.', '-', '_'; "
            "e.g. 000.00.20.H13-261122-0001)"
        )
    return code


class _Strict(BaseModel):
    """Unknown keys are refused, as for settings: a misspelt ``"aplicant"`` silently ignored
    would lose the applicant, and with it the reuse index entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Applicant(_Strict):
    id: str | None = Field(default=None, description="CCCD (12 digits) or tax code")
    name: str | None = None
    kind: Literal["citizen", "organisation"] = "citizen"

    _clean = field_validator("id", "name")(classmethod(lambda cls, v: _nfc(v)))


def _nfc(value: str | None) -> str | None:
    return clean(value).strip() if value else value


class Procedure(_Strict):
    code: str | None = None
    name: str | None = None

    _clean = field_validator("code", "name")(classmethod(lambda cls, v: _nfc(v)))


class DocumentEntry(_Strict):
    file: str = Field(description="the file's name in the intake folder")
    name: str | None = Field(
        default=None, description="the name the file had when it was submitted, when the "
        "intake folder holds it under a safe name (`motcua digitize` does that)")
    type: str | None = None
    kind: Literal["component", "result"] = "component"
    title: str | None = None

    _clean = field_validator("file", "type", "title")(classmethod(lambda cls, v: _nfc(v)))
    _nfc_name = field_validator("name")(classmethod(
        lambda cls, v: unicodedata.normalize("NFC", v) if v else v))


class ReusedPaper(_Strict):
    """A paper the archive already holds, taken for this dossier instead of asking for it
    (``motcua reuse use`` at intake; docs/reuse.md)."""

    document_id: str
    component: str | None = Field(default=None, description="the component it stands for")
    source: Literal["local", "national"] = "local"
    _clean = field_validator("document_id", "component")(classmethod(lambda cls, v: _nfc(v)))


class DossierManifest(_Strict):
    code: str
    applicant: Applicant = Applicant()
    procedure: Procedure = Procedure()
    channel: Literal["counter", "online", "post"] = "counter"
    received_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    documents: list[DocumentEntry] = []
    reused: list[ReusedPaper] = []

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return validate_code(value)

    @field_validator("received_at", "due_at")
    @classmethod
    def _vietnam_time(cls, value: dt.datetime | None) -> dt.datetime | None:
        """A time written without an offset is Vietnamese local time, as desk staff write it
        (read as UTC it would shift the received date, hence the agency code and the year)."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=VN_TZ)
        return value
