"""Engine errors in the user's language: the engine names the input and gives a code, this says it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .engine import ValidationError as EngineError


def engine_error_message(exc: EngineError) -> str:
    params = {"input": exc.input, **{k: v for k, v in exc.params.items() if not isinstance(v, list)}}
    templates = {
        "required": _("Cần nhập “%(input)s”."),
        "not_number": _("“%(input)s” phải là một số hợp lệ."),
        "out_of_range": _("“%(input)s” phải nằm trong khoảng %(min)s – %(max)s."),
        "empty": _("“%(input)s” cần ít nhất một giá trị."),
        "too_long": _("“%(input)s” có quá nhiều giá trị (tối đa %(max)s)."),
        "bad_range": _("Khoảng của “%(input)s” không hợp lệ: cần min ≤ giá trị thường gặp ≤ max."),
        "unknown": _("“%(input)s” không được hỗ trợ."),
        "mismatch": _("“%(input)s” cần một giá trị cho mỗi năm có dòng tiền."),
        "order": _("“%(input)s” không khớp với các năm: %(detail)s."),
        "not_list": _("“%(input)s” phải là một danh sách."),
        "not_allowed": _("“%(input)s” không đúng dạng."),
        "too_few": _(
            "Cần ít nhất %(min)s mẫu so sánh của sàn phù hợp để ước tính khi chưa đăng nhập; "
            "hãy đăng nhập hoặc nhập các mẫu so sánh của bạn."
        ),
    }
    template = templates.get(exc.code)
    if template is None:
        return f"{exc.input}: {exc.message}"
    params.setdefault("detail", exc.message)
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return f"{exc.input}: {exc.message}"
