from pos.text import fold, sort_key, strip_diacritics, vi_sorted


def test_search_folding_ignores_diacritics_and_d_with_stroke():
    assert fold("Miến dong Bình Liêu") == "mien dong binh lieu"
    assert fold("Dầu sở") == "dau so"
    assert fold("ĐẶC SẢN Đồng Tâm") == "dac san dong tam"


def test_printer_fallback_keeps_case_but_drops_marks():
    assert strip_diacritics("Mật ong Đồng Văn") == "Mat ong Dong Van"


def test_vietnamese_alphabetical_order_puts_each_letter_after_its_base():
    words = ["đậu", "dưa", "ăn", "ba", "an", "âm", "cam", "dê", "ê", "ơi", "ôm", "om", "ư", "u", "y", "xôi"]
    assert vi_sorted(words) == ["an", "ăn", "âm", "ba", "cam", "dê", "dưa", "đậu", "ê", "om", "ôm", "ơi", "u", "ư", "xôi", "y"]


def test_tones_only_break_ties_in_the_traditional_order():
    assert vi_sorted(["mạ", "má", "mã", "mả", "mà", "ma"]) == ["ma", "mà", "mả", "mã", "má", "mạ"]
    # The base letters decide first: "Mật" sorts before "Me" although ậ carries marks.
    assert sort_key("Mật") < sort_key("Me")


def test_producers_sort_as_a_vietnamese_reader_expects():
    names = ["HTX Thảo mộc Tuệ Lâm", "Hộ ông Hoàng Văn Lục", "HTX Dầu sở Lục Hồn", "Đỗ Văn An", "Dương Thị B"]
    assert vi_sorted(names) == ["Dương Thị B", "Đỗ Văn An", "Hộ ông Hoàng Văn Lục", "HTX Dầu sở Lục Hồn",
                                "HTX Thảo mộc Tuệ Lâm"]
