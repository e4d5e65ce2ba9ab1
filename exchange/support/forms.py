"""Forms of the support pages; they parse input, the services validate and decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exchange.accounts.models import PlatformRole

from .models import ServiceKind


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại dịch vụ"), choices=ServiceKind.choices)
    organization = forms.ModelChoiceField(
        queryset=None, label=_("Thay mặt tổ chức"), required=False, empty_label=_("Cá nhân tôi")
    )
    deal = forms.IntegerField(label=_("Mã giao dịch liên quan (GD-…)"), required=False, min_value=1)
    description = forms.CharField(
        label=_("Mô tả nhu cầu"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10_000
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class QuoteForm(forms.Form):
    amount_vnd = forms.IntegerField(label=_("Giá chưa thuế (VND)"), min_value=0)
    vat_percent = forms.DecimalField(
        label=_("Thuế GTGT (%)"), min_value=0, max_value=100, decimal_places=2, initial=10
    )
    description = forms.CharField(label=_("Nội dung báo giá"), widget=forms.Textarea(attrs={"rows": 3}))
    valid_until = forms.DateField(label=_("Hiệu lực đến"), widget=forms.DateInput(attrs={"type": "date"}))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Phân công cho"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(
                Q(roles__code__in=[PlatformRole.STAFF, PlatformRole.APPRAISER]) | Q(is_superuser=True),
                is_active=True,
            )
            .distinct()
            .order_by("full_name", "email")
        )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
