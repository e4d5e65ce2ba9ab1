from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Language, MembershipRole, Organization, OrganizationKind


def _privacy_help() -> str:
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        reverse_lazy("accounts:privacy"),
        _("Đọc chính sách bảo mật và xử lý dữ liệu cá nhân"),
    )


class SignupForm(forms.Form):
    """Extra fields on allauth's signup form; allauth builds its form on top of this class."""

    field_order = ["email", "full_name", "password1", "password2", "language", "role", "privacy_consent"]

    full_name = forms.CharField(label=_("Họ và tên"), max_length=200)
    language = forms.ChoiceField(label=_("Ngôn ngữ ưa dùng"), choices=Language.choices, initial=Language.VI)
    role = forms.ChoiceField(
        label=_("Bạn đăng ký với tư cách"),
        choices=[(r.value, r.label) for r in services.SIGNUP_ROLES],
        widget=forms.RadioSelect,
        help_text=_("Vai trò môi giới, thẩm định viên… do nhân viên sàn cấp."),
    )
    privacy_consent = forms.BooleanField(
        label=_("Tôi đã đọc và đồng ý với chính sách bảo mật và xử lý dữ liệu cá nhân"),
        required=True,
        error_messages={"required": _("Bạn cần đồng ý với chính sách bảo mật để đăng ký.")},
        help_text=lazy(_privacy_help, str)(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if translation.get_language() in Language.values:
            self.fields["language"].initial = translation.get_language()

    def signup(self, request, user):
        services.user_register_consent(
            user=user,
            full_name=self.cleaned_data["full_name"],
            language=self.cleaned_data["language"],
            role=self.cleaned_data["role"],
            consent=self.cleaned_data["privacy_consent"],
        )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=200)
    phone = forms.CharField(label=_("Điện thoại"), max_length=30, required=False)
    language = forms.ChoiceField(label=_("Ngôn ngữ"), choices=Language.choices)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label=_("Mật khẩu hiện tại"), widget=forms.PasswordInput, strip=False)
    confirm = forms.BooleanField(
        label=_("Tôi hiểu rằng tài khoản sẽ bị xoá vĩnh viễn và không thể khôi phục"), required=True
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Mật khẩu không đúng."))
        return password


class MembershipRequestForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.all(), widget=forms.HiddenInput)
    role = forms.ChoiceField(
        label=_("Vai trò"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER
    )


class MembershipRejectForm(forms.Form):
    reason = forms.CharField(label=_("Lý do từ chối"), max_length=500)


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Vai trò"), choices=MembershipRole.choices)


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(label=_("Tên tổ chức"), max_length=255)
    short_name = forms.CharField(label=_("Tên viết tắt"), max_length=50, required=False)
    name_en = forms.CharField(label=_("Tên tiếng Anh"), max_length=255, required=False)
    kind = forms.ModelChoiceField(label=_("Loại tổ chức"), queryset=OrganizationKind.objects.all())
    tax_code = forms.CharField(label=_("Mã số thuế"), max_length=20, required=False)
    address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)
    website = forms.URLField(label=_("Trang web"), required=False, assume_scheme="https")
    email = forms.EmailField(label=_("Email liên hệ"), required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=30, required=False)
