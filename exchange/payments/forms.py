from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Account, PaymentRequestStatus


class ConfirmReceiptForm(forms.Form):
    amount_vnd = forms.IntegerField(label=_("Số tiền đã nhận (VND)"), min_value=1)
    bank_txn_id = forms.CharField(label=_("Mã giao dịch ngân hàng"), max_length=100)
    note = forms.CharField(label=_("Ghi chú"), max_length=300, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Lý do hủy"), widget=forms.Textarea(attrs={"rows": 2}))
    bank_refund_reference = forms.CharField(
        label=_("Mã giao dịch chuyển hoàn (nếu đã nhận chuyển khoản)"), max_length=100, required=False
    )


class StatementForm(forms.Form):
    file = forms.FileField(label=_("Tệp sao kê (CSV: date, amount, description, bank transaction id)"))

    # A month of a busy account is well under 1 MB; the whole file is read into memory to import it.
    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        """Refuse by size and by content before anything is parsed: a CSV is text, so a NUL byte in the
        first KiB means a binary file (a spreadsheet or an executable renamed to .csv)."""
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("Tệp quá lớn (tối đa 5 MB)."))
        upload.seek(0)
        head = upload.read(1024)
        upload.seek(0)
        if b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF-", b"MZ")):
            raise ValidationError(_("Tệp sao kê phải là tệp văn bản CSV (UTF-8)."))
        return upload


class PayoutForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Tài khoản"), queryset=Account.objects.none())
    amount_vnd = forms.IntegerField(label=_("Số tiền (VND)"), min_value=1)
    bank_reference = forms.CharField(label=_("Mã giao dịch chuyển tiền"), max_length=100)
    note = forms.CharField(label=_("Ghi chú"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import PAYABLE_ACCOUNT_KINDS

        self.fields["account"].queryset = Account.objects.filter(
            kind__in=PAYABLE_ACCOUNT_KINDS
        ).select_related("organization", "user")


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Tình trạng"), choices=[("", _("Tất cả")), *PaymentRequestStatus.choices], required=False
    )
