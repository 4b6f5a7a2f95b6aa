"""Pure cores: Vietnamese text hygiene and identifier extraction (DESIGN §7)."""

import unicodedata

from motcua.core.classify import classify
from motcua.core.extract import Identifier, extract_identifiers
from motcua.doc_types import taxonomy
from motcua.text import clean, fold


def test_clean_composes_and_maps_ocr_lookalikes():
    decomposed = unicodedata.normalize("NFD", "Số hóa hồ sơ")
    assert decomposed != "Số hóa hồ sơ"
    assert clean(decomposed) == "Số hóa hồ sơ"
    assert clean("09\u2044ÐK") == "09/ĐK"


def test_fold_finds_both_tone_placements_and_d_bar():
    assert fold("Đăng ký") == "dang ky"
    assert fold("hoá") == fold("hóa") == "hoa"
    assert fold("thuỷ") == fold("thủy")
    assert fold("SỐ HÓA") == "so hoa"


def test_identifiers_from_an_official_text():
    text = (
        "Số: 20/KH-STNMT    Sóc Trăng, ngày 22 tháng 4 năm 2022\n"
        "Căn cứ Nghị định số 107/2021/NĐ-CP ngày 06/12/2021 của Chính phủ;\n"
        "Ông Nguyễn Văn An, CCCD số 094085001234, hồ sơ 000.00.20.H51-220601-0001; MST: 2200123456\n"
        "Điện thoại 0299.382.1234; số 123456789012345 không phải CCCD."
    )
    found = set(extract_identifiers(text))
    assert Identifier("document_number", "20/KH-STNMT") in found
    assert Identifier("document_number", "107/2021/NĐ-CP") in found
    assert Identifier("date", "2022-04-22") in found
    assert Identifier("date", "2021-12-06") in found
    assert Identifier("cccd", "094085001234") in found
    assert Identifier("dossier_code", "000.00.20.H51-220601-0001") in found
    assert Identifier("tax_code", "2200123456") in found
    cccds = {i.value for i in found if i.kind == "cccd"}
    assert cccds == {"094085001234"}, "a 15-digit run must not yield a CCCD"


def test_identifiers_survive_ocr_lookalikes_and_bad_dates():
    found = set(extract_identifiers("Số 09\u2044ÐK ngày 31 tháng 2 năm 2022, ngày 1 tháng 3 năm 2022"))
    assert Identifier("document_number", "09/ĐK") in found
    assert {i.value for i in found if i.kind == "date"} == {"2022-03-01"}  # 31/2 is no date


def test_a_cccd_that_ends_a_sentence_is_found_and_a_digit_group_is_not():
    found = extract_identifiers("ông/bà Trần Thị Bích, số CCCD\n031860913909.\nSố tiền 0123.456789012.345")
    assert [i.value for i in found if i.kind == "cccd"] == ["031860913909"]


def test_ocr_noise_around_identifiers_seen_on_rendered_scans():
    """Misreadings seen in benchmarks/classify.py: a doubled Đ, speckle around a dossier code,
    "năm" with the wrong tone."""
    found = {(i.kind, i.value) for i in extract_identifiers(
        "Số: 600/QĐÐ-STNMT\nhồ sơ.000.00.20.H51-200625-7105- của\nngày 23 tháng 3 nắm 2022")}
    assert found == {("document_number", "600/QĐ-STNMT"), ("dossier_code", "000.00.20.H51-200625-7105"),
                     ("date", "2022-03-23")}
    assert not extract_identifiers("1.000.00.20.H51-200625-7105-1")  # part of something longer


def test_classify_by_title_and_default():
    types = taxonomy()
    assert classify("CỘNG HÒA...\nQUYẾT ĐỊNH\nVề việc ...", types) == "quyet_dinh"
    assert classify("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", types) == "giay_chung_nhan_qsdd"
    assert classify("một trang trắng", types) == "khac"
    form = "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI\nGiấy tờ kèm theo: bản gốc Giấy chứng nhận quyền sử dụng đất"
    assert classify(form, types) == "don_dang_ky_bien_dong"  # the longest title; the body's is no title
    eia = "QUYẾT ĐỊNH\nVề việc phê duyệt kết quả thẩm định báo cáo đánh giá tác động môi trường"
    assert classify(eia, types) == "quyet_dinh_dtm"  # refines a decision
    assert classify("Bên ủy quyền: ông A\nNgười được ủy quyền: bà B", types) == "giay_uy_quyen"  # keywords
