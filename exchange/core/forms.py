from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EmailFrequency


class NotificationPreferenceForm(forms.Form):
    email_frequency = forms.ChoiceField(
        label=_("Nhận email thông báo"),
        choices=EmailFrequency.choices,
        widget=forms.RadioSelect,
        help_text=_("Thông báo trên trang luôn được lưu, dù bạn chọn cách nào."),
    )
