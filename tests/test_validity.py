"""What a paper says about itself (motcua/core/validity.py): number, issuer, issue date and end of
validity, read from the text of the sample papers the project renders, and the type's typical
validity when the text is silent."""

from __future__ import annotations

import datetime as dt

from motcua.core.validity import read_validity, valid_until
from motcua.samples.documents import application_form, certificate, decision


def _text(lines) -> str:
    return "\n".join(line.text for line in lines)


def test_a_land_certificate_is_valid_for_ever_and_says_who_issued_it():
    found = read_validity(_text(certificate("Lê Văn A", "094300006666", "Cần Thơ", "12", dt.date(2015, 3, 18))))
    assert (found.number, found.issuer, found.issued_on) == ("CS 0128", "ỦY BAN NHÂN DÂN TỈNH", dt.date(2015, 3, 18))
    assert found.permanent and found.valid_to is None
    assert valid_until(found, 5, dt.date(2026, 1, 1)) is None  # lâu dài beats the type's 5 years


def test_a_decision_names_its_issuing_department_not_the_parent():
    found = read_validity(_text(decision("20/QĐ-STNMT", "Lê Văn A", "094300006666", "12", dt.date(2026, 11, 20))))
    assert (found.number, found.issuer, found.issued_on) == ("20/QĐ-STNMT", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG",
                                                              dt.date(2026, 11, 20))
    assert not found.permanent and found.valid_to is None  # "có hiệu lực kể từ ngày ký": no end stated


def test_a_stated_end_and_a_stated_term():
    permit = ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG\nSố: 15/GP-STNMT\nGIẤY PHÉP MÔI TRƯỜNG\n"
              "Sóc Trăng, ngày 3 tháng 2 năm 2019\nGiấy phép này có hiệu lực đến ngày 02/02/2024.")
    found = read_validity(permit)
    assert found.valid_to == dt.date(2024, 2, 2) and found.issued_on == dt.date(2019, 2, 3)
    assert valid_until(found, 7, dt.date(2026, 1, 1)) == dt.date(2024, 2, 2)  # stated beats typical
    licence = "Cần Thơ, ngày 10 tháng 5 năm 2020\nGiấy phép có thời hạn 05 năm."
    assert read_validity(licence).valid_to == dt.date(2025, 5, 10)


def test_silence_means_the_types_typical_validity_from_the_issue_date():
    form = read_validity(_text(application_form("Lê Văn A", "094300006666", "Cần Thơ", "1", dt.date(2026, 11, 22))))
    assert form.issued_on == dt.date(2026, 11, 22) and form.valid_to is None and not form.permanent
    assert valid_until(form, 1, dt.date(2026, 12, 1)) == dt.date(2027, 11, 21)
    assert valid_until(form, None, dt.date(2026, 12, 1)) is None
    undated = read_validity("một trang không có ngày")
    assert valid_until(undated, 1, dt.date(2026, 12, 1)) == dt.date(2027, 11, 30)  # from archiving
