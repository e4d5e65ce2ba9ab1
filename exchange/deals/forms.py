"""Forms of the deal room; they parse input, the services validate and decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exchange.accounts.models import Organization, PlatformRole
from listings.models import TransactionType

from .contracts import CONTRACT_LANGUAGES


class InquiryForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Thay mặt tổ chức"))
    message = forms.CharField(
        label=_("Lời nhắn"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        help_text=_("Giới thiệu tổ chức của bạn và nhu cầu ứng dụng công nghệ."),
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Tin nhắn"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)
    attachment = forms.FileField(label=_("Tệp đính kèm"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NdaAcceptForm(forms.Form):
    text_sha256 = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(
        label=_("Tôi đã đọc và đồng ý với thỏa thuận bảo mật thay mặt tổ chức của mình")
    )


class AcceptForm(forms.Form):
    nda_template = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Yêu cầu thỏa thuận bảo mật"), empty_label=_("Không yêu cầu")
    )

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nda_template"].queryset = templates


class TermSheetForm(forms.Form):
    transaction_type = forms.ChoiceField(label=_("Hình thức giao dịch"), choices=TransactionType.choices)
    field_of_use = forms.CharField(label=_("Lĩnh vực sử dụng"), widget=forms.Textarea(attrs={"rows": 2}))
    territory = forms.CharField(label=_("Phạm vi lãnh thổ"), max_length=300, initial=_("Việt Nam"))
    term_months = forms.IntegerField(label=_("Thời hạn (tháng)"), min_value=1)
    upfront_fee_vnd = forms.IntegerField(label=_("Phí trả trước (VND)"), min_value=0, initial=0)
    milestones = forms.CharField(
        label=_("Các mốc thanh toán"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mỗi dòng một mốc: nội dung | số tiền VND | hạn YYYY-MM-DD (có thể bỏ trống)."),
    )
    royalty_percent = forms.DecimalField(
        label=_("Phí bản quyền theo doanh thu (%)"), min_value=0, max_value=100, decimal_places=2, initial=0
    )
    minimum_annual_royalty_vnd = forms.IntegerField(
        label=_("Phí bản quyền tối thiểu hằng năm (VND)"), min_value=0, initial=0
    )
    improvements = forms.CharField(
        label=_("Cải tiến công nghệ"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    support_training = forms.CharField(
        label=_("Hỗ trợ kỹ thuật và đào tạo"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    other_terms = forms.CharField(
        label=_("Điều khoản khác"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    @staticmethod
    def initial_from(sheet) -> dict:
        if sheet is None:
            return {}
        data = sheet.terms()
        data["milestones"] = "\n".join(
            " | ".join([m["label"], str(m["amount_vnd"]), m.get("due", "")]).rstrip(" |")
            for m in sheet.milestones
        )
        return data

    def clean_milestones(self):
        rows = []
        for n, line in enumerate((self.cleaned_data.get("milestones") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            try:
                amount = int(parts[1].replace(".", "").replace(",", "")) if len(parts) > 1 and parts[1] else 0
            except ValueError as exc:
                raise ValidationError(_("Dòng %(n)s: số tiền không hợp lệ.") % {"n": n}) from exc
            rows.append({"label": parts[0], "amount_vnd": amount, "due": parts[2] if len(parts) > 2 else ""})
        return rows


class ContractForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Ngôn ngữ hợp đồng"),
        choices=[(c, {"vi": "Tiếng Việt", "en": "English"}[c]) for c in CONTRACT_LANGUAGES],
        initial="vi",
    )


class SignForm(forms.Form):
    side = forms.ChoiceField(label=_("Ký thay mặt"), choices=())
    password = forms.CharField(label=_("Nhập lại mật khẩu để ký"), widget=forms.PasswordInput)

    def __init__(self, *args, sides=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].choices = list(sides)


class SideForm(forms.Form):
    side = forms.ChoiceField(label=_("Thay mặt"), choices=())

    def __init__(self, *args, sides=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].choices = list(sides)


class CodeSignForm(SideForm):
    code = forms.CharField(
        label=_("Mã xác thực gửi qua email"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class CertificateSignForm(SideForm):
    signed_pdf = forms.FileField(
        label=_("Tệp PDF hợp đồng đã ký số"),
        help_text=_("Tải bản PDF để ký số, ký bằng chứng thư số của bạn rồi tải lên tại đây."),
    )


class ConsentForm(SideForm):
    consent = forms.BooleanField(
        label=_("Đồng ý cho sàn dùng giao dịch này (ẩn danh) làm giao dịch so sánh khi định giá"),
        required=False,
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Điểm"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Nhận xét"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class CompleteForm(forms.Form):
    final_value_vnd = forms.IntegerField(label=_("Giá trị cuối cùng (VND)"), min_value=0, required=False)


class BrokerForm(forms.Form):
    broker = forms.ModelChoiceField(queryset=None, label=_("Nhà môi giới"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["broker"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, roles__code__in=[PlatformRole.BROKER, PlatformRole.STAFF])
            .distinct()
            .order_by("full_name", "email")
        )
