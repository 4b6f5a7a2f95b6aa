"""What makes a signature cheaper must not change what it is.

- ``/Contents`` is sized from the level's earlier signatures (:mod:`motcua.signing.sizing`):
  pyHanko's dummy signature only for the first; a container that does not fit the reservation is
  signed again with pyHanko's estimate; certificate failures are not retried.
- The stamp's font is cut to one agency's stamp (:func:`motcua.signing.stamp._font_for`): every
  character it shows is still in the embedded subset, with the same metrics.

Real test PKI, TSA and OCSP/CRL over HTTP, real pyHanko; every signature read back and verified.
"""

from __future__ import annotations

import logging
import re
from io import BytesIO
from pathlib import Path

import pytest
from fontTools import ttLib
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfSigningSession

from motcua.errors import ConfigurationError
from motcua.settings import SignatureLevel
from motcua.signing.agency import AgencySigner
from motcua.signing.pades import LEVELS, SignResult, sign_pdf
from motcua.signing.pki import TestPki
from motcua.signing.sizing import MARGIN_BYTES, measured_size
from motcua.signing.stamp import (
    STAMP_TEXT,
    StampSpec,
    _font_for,
    format_signing_time,
    load_stamp_font,
)
from motcua.signing.verify import verify_pdf
from tests.test_signing import make_pdf
from tests.test_signing_levels import revoked_signer

AGENCY = "Sở Tài nguyên và Môi trường tỉnh Sóc Trăng"
LONG_AGENCY = "Ủy ban nhân dân thành phố Cần Thơ — Bộ phận Tiếp nhận và Trả kết quả"


@pytest.fixture
def signer(test_pki: TestPki, pki_service) -> AgencySigner:
    """A fresh signer (nothing measured yet) with every service, for every level."""
    return AgencySigner.from_pkcs12(
        test_pki.signer_pkcs12, test_pki.read_signer_passphrase(),
        tsa_url=pki_service.tsa, trust_roots=[test_pki.root_cert],
    )  # fmt: skip


class EstimateSpy:
    """Counts pyHanko's dummy-signature size estimates and keeps what they returned."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.results: list[int] = []
        real = PdfSigningSession.estimate_signature_container_size

        async def counting(session, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = await real(session, *args, **kwargs)
            self.results.append(result)
            return result

        monkeypatch.setattr(PdfSigningSession, "estimate_signature_container_size", counting)


def placeholder_bytes(result: SignResult) -> int:
    """Bytes of the ``/Contents`` placeholder of the result's signature (container + padding)."""
    reader = PdfFileReader(BytesIO(result.path.read_bytes()))
    ours = next(s for s in reader.embedded_signatures if s.field_name == result.field_name)
    return len(ours.pkcs7_content)


def container_bytes(result: SignResult) -> int:
    return measured_size(PdfFileReader(BytesIO(result.path.read_bytes())), result.field_name)


def assert_valid(result: SignResult, level: str, test_pki: TestPki) -> None:
    assert result.level == level
    report = verify_pdf(result.path.read_bytes(), trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    assert report.signatures[0].level == level


# --- /Contents sized from earlier signatures ------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_later_signatures_reserve_what_the_first_measured(
    level: SignatureLevel, tmp_path: Path, signer: AgencySigner, test_pki: TestPki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    spy = EstimateSpy(monkeypatch)
    src = make_pdf(tmp_path / "in.pdf")
    stamp = StampSpec(agency_name=AGENCY)

    first = sign_pdf(src, tmp_path / "first.pdf", signer, level=level, stamp=stamp)
    assert len(spy.results) == 1  # sized by pyHanko's dummy signature
    assert placeholder_bytes(first) * 2 == spy.results[0]
    assert signer.cms_size(level) == container_bytes(first)

    second = sign_pdf(src, tmp_path / "second.pdf", signer, level=level, stamp=stamp)
    assert len(spy.results) == 1  # no dummy signature this time
    assert placeholder_bytes(second) == container_bytes(first) + MARGIN_BYTES
    assert container_bytes(second) <= placeholder_bytes(second)
    assert placeholder_bytes(second) < placeholder_bytes(first)  # tighter than pyHanko's 1.5 ×
    for result in (first, second):
        assert_valid(result, level, test_pki)


def test_a_container_that_does_not_fit_is_signed_again_with_pyhankos_estimate(
    tmp_path: Path, signer: AgencySigner, test_pki: TestPki,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    spy = EstimateSpy(monkeypatch)
    signer.note_cms_size("B-LT", 100)  # as if an earlier container had been tiny
    reserved = 2 * (100 + MARGIN_BYTES)

    with caplog.at_level(logging.INFO, logger="motcua.signing.sizing"):
        result = sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer,
                          level="B-LT", stamp=StampSpec(agency_name=AGENCY))  # fmt: skip

    assert container_bytes(result) * 2 > reserved  # it really did not fit
    assert len(spy.results) == 1 and placeholder_bytes(result) * 2 == spy.results[0]
    assert signer.cms_size("B-LT") == container_bytes(result)  # the cache grew to the real size
    assert f"{reserved} bytes reserved did not do" in caplog.text
    assert_valid(result, "B-LT", test_pki)
    # and the next one fits the refreshed reservation, without an estimate
    again = sign_pdf(make_pdf(tmp_path / "in2.pdf"), tmp_path / "again.pdf", signer, level="B-LT")
    assert len(spy.results) == 1
    assert_valid(again, "B-LT", test_pki)


def test_the_size_kept_only_grows(signer: AgencySigner) -> None:
    signer.note_cms_size("B-T", 7000)
    signer.note_cms_size("B-T", 6000)  # e.g. a TSA answering from two units
    assert signer.cms_size("B-T") == 7000 and signer.cms_size("B-LT") is None


def test_a_revoked_signer_is_not_retried_with_another_size(
    tmp_path: Path, test_pki: TestPki, pki_service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A certificate failure is reported as before, after one attempt, reservation or not."""
    revoked = revoked_signer(test_pki, pki_service.tsa)
    revoked.note_cms_size("B-LT", 6000)
    attempts: list[object] = []
    real = PdfSigningSession.perform_presign_validation

    async def counting(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(session)
        return await real(session, *args, **kwargs)

    monkeypatch.setattr(PdfSigningSession, "perform_presign_validation", counting)
    with pytest.raises(ConfigurationError, match="revoked"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", revoked, level="B-LT")
    assert len(attempts) == 1
    assert not (tmp_path / "out.pdf").exists()


# --- the stamp font cut to one agency's stamp -----------------------------------------------------


def _embedded_stamp_font(result: SignResult) -> tuple[ttLib.TTFont, list, set[int]]:
    """(the embedded font program, its /FontBBox, the glyph ids the stamp draws)."""
    reader = PdfFileReader(BytesIO(result.path.read_bytes()))
    field = next(f.get_object() for f in reader.root["/AcroForm"]["/Fields"]
                 if f.get_object()["/T"] == result.field_name)  # fmt: skip
    appearance = field["/AP"]["/N"]
    (font,) = (f.get_object() for f in appearance["/Resources"]["/Font"].values())
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    program = ttLib.TTFont(BytesIO(descriptor["/FontFile2"].data))
    codes = re.findall(rb"\[<([0-9a-f]+)>\] TJ", appearance.data)
    gids = {int(run[i : i + 4], 16) for run in codes for i in range(0, len(run), 4)}
    return program, [float(v) for v in descriptor["/FontBBox"]], gids


@pytest.mark.parametrize("agency", [AGENCY, LONG_AGENCY])
def test_the_embedded_font_draws_every_character_of_the_stamp(
    agency: str, tmp_path: Path, signer: AgencySigner
) -> None:
    result = sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer, level="B-T",
                      stamp=StampSpec(agency_name=agency))  # fmt: skip
    program, bbox, gids = _embedded_stamp_font(result)
    cmap = program.getBestCmap()
    shown = STAMP_TEXT % {"agency": agency, "ts": format_signing_time(result.signing_time)}
    assert {c for c in shown if c != "\n" and ord(c) not in cmap} == set()
    assert gids and 0 not in gids  # no .notdef box anywhere in the stamp
    assert gids <= {program.getGlyphID(name) for name in cmap.values()}  # each one a character
    # metrics in the PDF are those of the Latin + Vietnamese cut, as before the second cut
    head = ttLib.TTFont(BytesIO(load_stamp_font(None)))["head"]
    assert bbox == [head.xMin, head.yMin, head.xMax, head.yMax]


def test_the_font_cut_for_an_agency_keeps_its_letters_and_every_digit() -> None:
    full = load_stamp_font(None)
    cut = ttLib.TTFont(BytesIO(_font_for(full, LONG_AGENCY)))
    cmap = cut.getBestCmap()
    needed = set(STAMP_TEXT % {"agency": LONG_AGENCY, "ts": ""}) - {"\n"} | set("0123456789/:+ ")
    assert {c for c in needed if ord(c) not in cmap} == set()
    assert len(cut.getGlyphOrder()) < 100 < len(ttLib.TTFont(BytesIO(full)).getGlyphOrder())
    full_hmtx = ttLib.TTFont(BytesIO(full))["hmtx"]
    full_cmap = ttLib.TTFont(BytesIO(full)).getBestCmap()
    assert all(cut["hmtx"][cmap[cp]][0] == full_hmtx[full_cmap[cp]][0] for cp in cmap)
