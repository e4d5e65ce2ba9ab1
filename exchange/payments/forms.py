from django import forms
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
