from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.accounts.models import Organization

from .inquiries import MESSAGE_MAX


class ForwardInquiryForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Thay mặt tổ chức"))
    message = forms.CharField(
        label=_("Lời nhắn"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MESSAGE_MAX,
        help_text=_("Giới thiệu tổ chức của bạn và nhu cầu ứng dụng công nghệ."),
    )
    share_email = forms.BooleanField(
        label=_("Gửi kèm email của tôi để bên đăng tin liên hệ"), required=False, initial=True
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Lời nhắn cho bên quan tâm"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
