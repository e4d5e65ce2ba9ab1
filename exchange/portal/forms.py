"""Portal forms: they parse and check input, then hand snapshot-shaped ``data`` to ``listings.services``
(which validate again against the model: the forms never are the only check)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exchange.core.models import Province
from listings import display
from listings.models import IPStatus, IPType, ListingKind, ScienceField, TransactionType
from listings.validators import validate_content

TEXT_PAIRS_OFFER = ("title", "summary", "description", "advantages", "applications")
TEXT_PAIRS_REQUEST = ("title", "summary", "description", "problem", "desired_outcome")
OFFER_ONLY = ("trl", "inventors")
REQUEST_ONLY = ("trl_wanted_min", "trl_wanted_max", "deadline", "anonymous")
TRL_ERROR = _("TRL phải là một số từ 1 đến 9.")
SPLIT = re.compile(r"[\n;,]+")


def split_list(value: str) -> list[str]:
    seen: list[str] = []
    for part in SPLIT.split(value or ""):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def _trl_choices():
    return [("", _("— chọn —"))] + [(str(i), display.trl_label(i)) for i in range(1, 10)]


class TRLField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault("choices", _trl_choices)
        kwargs.setdefault("error_messages", {"invalid_choice": TRL_ERROR})
        super().__init__(**kwargs)


class ScienceFieldChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        from django.utils.translation import get_language

        name = obj.name_en if (get_language() or "vi")[:2] == "en" and obj.name_en else obj.name
        return f"{obj.code} {name}"


class ListingForm(forms.Form):
    """One form for both kinds; ``kind`` removes the fields of the other kind."""

    organization = forms.ModelChoiceField(
        label=_("Tổ chức đăng tin"), queryset=None, empty_label=None, required=True
    )

    title_vi = forms.CharField(label=_("Tên (tiếng Việt)"), max_length=300, required=False)
    title_en = forms.CharField(label=_("Tên (tiếng Anh)"), max_length=300, required=False)
    summary_vi = forms.CharField(
        label=_("Tóm tắt (tiếng Việt)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    summary_en = forms.CharField(
        label=_("Tóm tắt (tiếng Anh)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    description_vi = forms.CharField(
        label=_("Mô tả chi tiết (tiếng Việt)"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    description_en = forms.CharField(
        label=_("Mô tả chi tiết (tiếng Anh)"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    advantages_vi = forms.CharField(
        label=_("Vấn đề giải quyết, ưu điểm so với giải pháp hiện có (tiếng Việt)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    advantages_en = forms.CharField(
        label=_("Vấn đề giải quyết, ưu điểm so với giải pháp hiện có (tiếng Anh)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    applications_vi = forms.CharField(
        label=_("Ứng dụng (tiếng Việt)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    applications_en = forms.CharField(
        label=_("Ứng dụng (tiếng Anh)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    problem_vi = forms.CharField(
        label=_("Vấn đề cần giải quyết (tiếng Việt)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    problem_en = forms.CharField(
        label=_("Vấn đề cần giải quyết (tiếng Anh)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    desired_outcome_vi = forms.CharField(
        label=_("Kết quả mong muốn (tiếng Việt)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    desired_outcome_en = forms.CharField(
        label=_("Kết quả mong muốn (tiếng Anh)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    field = ScienceFieldChoice(
        label=_("Lĩnh vực KH&CN"),
        queryset=ScienceField.objects.select_related("parent").order_by("code"),
        error_messages={"required": _("Chọn lĩnh vực KH&CN."), "invalid_choice": _("Lĩnh vực không hợp lệ.")},
    )
    province = forms.ModelChoiceField(
        label=_("Tỉnh/thành phố"), queryset=Province.objects.order_by("name"), required=False
    )
    keywords = forms.CharField(
        label=_("Từ khóa"),
        required=False,
        help_text=_("Cách nhau bằng dấu phẩy, ví dụ: xử lý nước thải, màng sinh học"),
    )
    trl = TRLField(label=_("Mức độ sẵn sàng công nghệ (TRL)"), required=False)
    trl_wanted_min = TRLField(label=_("TRL mong muốn từ"), required=False)
    trl_wanted_max = TRLField(label=_("TRL mong muốn đến"), required=False)
    transaction_types = forms.MultipleChoiceField(
        label=_("Hình thức giao dịch"),
        choices=TransactionType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    price_min = forms.IntegerField(
        label=_("Giá tối thiểu (VND)"),
        min_value=0,
        required=False,
        error_messages={"min_value": _("Giá không được âm."), "invalid": _("Nhập một số nguyên (VND).")},
    )
    price_max = forms.IntegerField(
        label=_("Giá tối đa (VND)"),
        min_value=0,
        required=False,
        error_messages={"min_value": _("Giá không được âm."), "invalid": _("Nhập một số nguyên (VND).")},
    )
    price_negotiable = forms.BooleanField(label=_("Giá thỏa thuận"), required=False)
    inventors = forms.CharField(
        label=_("Tác giả / nhà sáng chế"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mỗi người một dòng hoặc cách nhau bằng dấu phẩy."),
    )
    deadline = forms.DateField(
        label=_("Hạn chót"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Ngày không hợp lệ (định dạng YYYY-MM-DD).")},
    )
    anonymous = forms.BooleanField(label=_("Ẩn tên tổ chức đặt hàng với công chúng"), required=False)
    state_funded = forms.BooleanField(
        label=_("Kết quả của nhiệm vụ sử dụng ngân sách nhà nước"), required=False
    )

    def __init__(self, *args, kind: str, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if organizations is None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations
        pairs_other = TEXT_PAIRS_REQUEST if kind == ListingKind.OFFER else TEXT_PAIRS_OFFER
        pairs_mine = TEXT_PAIRS_OFFER if kind == ListingKind.OFFER else TEXT_PAIRS_REQUEST
        for name in set(pairs_other) - set(pairs_mine):
            del self.fields[f"{name}_vi"], self.fields[f"{name}_en"]
        for name in REQUEST_ONLY if kind == ListingKind.OFFER else OFFER_ONLY:
            del self.fields[name]
        if kind == ListingKind.OFFER:
            self.fields["trl"].required = True
            self.fields["trl"].error_messages["required"] = _(
                "Chào bán công nghệ phải có mức độ sẵn sàng công nghệ (TRL 1–9)."
            )
        else:
            self.fields["title_vi"].label = _("Tên nhu cầu (tiếng Việt)")
            self.fields["title_en"].label = _("Tên nhu cầu (tiếng Anh)")
            self.fields["price_min"].label = _("Ngân sách từ (VND)")
            self.fields["price_max"].label = _("Ngân sách đến (VND)")
            self.fields["price_negotiable"].label = _("Ngân sách thỏa thuận")

    @classmethod
    def initial_from_snapshot(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Form initial values from snapshot data (a listing or a pending revision)."""
        initial = dict(data)
        initial["keywords"] = ", ".join(data.get("keywords") or [])
        initial["inventors"] = "\n".join(data.get("inventors") or [])
        if data.get("field"):
            initial["field"] = ScienceField.objects.filter(code=data["field"]).first()
        if data.get("province"):
            initial["province"] = Province.objects.filter(code=data["province"]).first()
        for name in ("trl", "trl_wanted_min", "trl_wanted_max"):
            if data.get(name) is not None:
                initial[name] = str(data[name])
        return initial

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("title_vi") or "").strip() and not (cleaned.get("title_en") or "").strip():
            self.add_error("title_vi", _("Cần nhập tên bằng ít nhất một ngôn ngữ."))
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("Giá tối đa phải lớn hơn hoặc bằng giá tối thiểu."))
        wmin, wmax = cleaned.get("trl_wanted_min"), cleaned.get("trl_wanted_max")
        if wmin is not None and wmax is not None and wmin > wmax:
            self.add_error("trl_wanted_max", _("TRL mong muốn “đến” phải lớn hơn hoặc bằng “từ”."))
        return cleaned

    def listing_data(self) -> dict[str, Any]:
        """Snapshot data for ``listing_create`` / ``listing_update`` (the view adds the IP rights)."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {}
        for name, value in cleaned.items():
            if name == "organization":
                continue
            if name in ("keywords", "inventors"):
                data[name] = split_list(value)
            elif name == "field" or name == "province":
                data[name] = value.code if value else None
            elif name == "transaction_types":
                data[name] = list(value)
            else:
                data[name] = value
        return data


class IPRightForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Loại quyền"), choices=[("", _("— chọn —")), *IPType.choices], required=False
    )
    status = forms.ChoiceField(label=_("Tình trạng"), choices=IPStatus.choices, initial=IPStatus.NONE)
    number = forms.CharField(label=_("Số đơn / số bằng"), max_length=100, required=False)
    jurisdiction = forms.CharField(label=_("Nơi bảo hộ"), max_length=10, required=False, initial="VN")
    filed_on = forms.DateField(
        label=_("Ngày nộp đơn"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    granted_on = forms.DateField(
        label=_("Ngày cấp"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("type") and (
            cleaned.get("number") or cleaned.get("filed_on") or cleaned.get("granted_on")
        ):
            self.add_error("type", _("Chọn loại quyền sở hữu trí tuệ."))
        filed, granted = cleaned.get("filed_on"), cleaned.get("granted_on")
        if filed and granted and granted < filed:
            self.add_error("granted_on", _("Ngày cấp không thể trước ngày nộp đơn."))
        needs_number = cleaned.get("type") and cleaned.get("type") not in (
            IPType.TRADE_SECRET,
            IPType.KNOW_HOW,
        )
        if cleaned.get("status") == IPStatus.GRANTED and needs_number and not cleaned.get("number"):
            self.add_error("number", _("Văn bằng đã cấp cần có số bằng để người mua tra cứu."))
        return cleaned

    def as_snapshot(self) -> dict[str, Any] | None:
        cleaned = self.cleaned_data
        if not cleaned or not cleaned.get("type") or cleaned.get("DELETE"):
            return None
        return {
            "type": cleaned["type"],
            "status": cleaned.get("status") or IPStatus.NONE,
            "number": (cleaned.get("number") or "").strip(),
            "jurisdiction": (cleaned.get("jurisdiction") or "VN").strip().upper(),
            "filed_on": cleaned["filed_on"].isoformat() if cleaned.get("filed_on") else None,
            "granted_on": cleaned["granted_on"].isoformat() if cleaned.get("granted_on") else None,
        }


IPRightFormSet = forms.formset_factory(IPRightForm, extra=1, can_delete=True, max_num=20, validate_max=True)


def ip_initial(items) -> list[dict[str, Any]]:
    return [
        {
            "type": i.get("type"),
            "status": i.get("status"),
            "number": i.get("number"),
            "jurisdiction": i.get("jurisdiction") or "VN",
            "filed_on": i.get("filed_on"),
            "granted_on": i.get("granted_on"),
        }
        for i in items or []
    ]


def ip_data(formset) -> list[dict[str, Any]]:
    return [item for form in formset.forms if (item := form.as_snapshot()) is not None]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Tệp"), help_text=_("PDF, DOCX, XLSX, PPTX, PNG hoặc JPG."))
    title = forms.CharField(label=_("Tiêu đề"), max_length=300, required=False)
    confidential = forms.BooleanField(
        label=_("Bảo mật"),
        required=False,
        help_text=_(
            "Tài liệu bảo mật chỉ thành viên tổ chức, kiểm duyệt viên "
            "và bên được cấp quyền (sau NDA) xem được."
        ),
    )
    language = forms.ChoiceField(
        label=_("Ngôn ngữ tài liệu"),
        choices=[("", _("— không rõ —")), ("vi", "Tiếng Việt"), ("en", "English")],
        required=False,
    )


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Ảnh"), help_text=_("PNG, JPG hoặc WEBP, tối đa 5 MB."))
    caption = forms.CharField(label=_("Chú thích"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": _("Vui lòng nêu lý do.")},
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )


class ImportForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Tổ chức"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("Tệp dữ liệu"), help_text=_("JSON, JSON Lines (.jsonl) hoặc mẫu Excel (.xlsx).")
    )

    ALLOWED = (".json", ".jsonl", ".ndjson", ".xlsx")
    MAX_BYTES = 10 * 1024 * 1024

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(self.ALLOWED):
            raise ValidationError(_("Chỉ nhận tệp .json, .jsonl hoặc .xlsx."))
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("Tệp quá lớn (tối đa 10 MB)."))
        if name.endswith(".xlsx"):
            validate_content(upload, "xlsx")  # a renamed file is refused here, not deep in openpyxl
        return upload
