import unicodedata

from listings.search.text import fold, highlight, match_spans, query_tokens, snippet, tokenize


def test_fold_strips_every_vietnamese_mark_and_d_with_stroke():
    assert fold("Đại học Bách khoa") == "dai hoc bach khoa"
    assert fold("CÔNG NGHỆ XỬ LÝ NƯỚC THẢI") == "cong nghe xu ly nuoc thai"
    assert fold("ắằẳẵặ ấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ỳýỷỹỵ đĐ") == (
        "aaaaa aaaaa eeeee ooooo ooooo uuuuu yyyyy dd"
    )
    assert fold(None) == ""


def test_fold_is_the_same_for_composed_and_decomposed_text():
    text = "Nghiên cứu ứng dụng"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text) == "nghien cuu ung dung"


def test_tokens():
    assert tokenize("Máy ép viên (phân bón) – 2,5 tấn/giờ") == [
        "may",
        "ep",
        "vien",
        "phan",
        "bon",
        "2",
        "5",
        "tan",
        "gio",
    ]
    assert query_tokens("dai hoc DAI Học a b c d e f g h") == ["dai", "hoc", "a", "b", "c", "d", "e", "f"]


def test_highlight_marks_original_words_and_escapes():
    assert (
        highlight("Trường <Đại Học> & Viện", ["dai", "hoc"])
        == "Trường &lt;<mark>Đại Học</mark>&gt; &amp; Viện"
    )
    assert highlight("no match", ["x"]) == "no match"
    assert highlight("", ["x"]) == ""


def test_highlight_decomposed_text_keeps_marks_inside():
    text = unicodedata.normalize("NFD", "Đại học")
    assert highlight(text, ["hoc"]) == f"{text[: text.index('h')]}<mark>{text[text.index('h') :]}</mark>"


def test_match_spans_whole_words_only():
    assert match_spans("hoc hoch hoc", ["hoc"]) == [(0, 3), (9, 12)]


def test_snippet_centres_on_the_best_match():
    text = "Mở đầu. " + "Nội dung dài. " * 40 + "Vai trò của ĐẠI HỌC trong hệ sinh thái."
    out = snippet(text, ["dai", "hoc"], size=120)
    assert "<mark>ĐẠI HỌC</mark>" in out and out.startswith("…")
    assert snippet(text, ["xyz"]) is None
    assert snippet("ngắn thôi", ["thoi"]) == "ngắn <mark>thôi</mark>"
