"""Thin views over the accounts services: parse, call, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import permissions, selectors, services
from .forms import (
    DeleteAccountForm,
    MembershipRejectForm,
    MembershipRequestForm,
    MembershipRoleForm,
    OrganizationCreateForm,
    ProfileForm,
)
from .models import Membership, MembershipStatus, Organization


def _apply_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where it names one, else on the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _error_message(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_update_profile(user=user, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                # Show the next page in the language the person just chose.
                translation.activate(user.language)
                response = HttpResponseRedirect(reverse("accounts:profile"))
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language)
                messages.success(request, _("Đã lưu hồ sơ."))
                return response
    else:
        form = ProfileForm(
            initial={"full_name": user.full_name, "phone": user.phone, "language": user.language}
        )
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "consent_outdated": user.privacy_consent_version != settings.PRIVACY_NOTICE_VERSION,
            "notice_version": settings.PRIVACY_NOTICE_VERSION,
            "managed_organizations": selectors.organizations_managed_by(user),
        },
    )


def privacy(request):
    return render(
        request,
        "accounts/privacy.html",
        {
            "notice_version": settings.PRIVACY_NOTICE_VERSION,
            "privacy_contact": getattr(settings, "PRIVACY_CONTACT_EMAIL", "privacy@techex.local"),
        },
    )


@login_required
@require_http_methods(["GET"])
def export(request):
    data = services.user_export_data(user=request.user)
    response = JsonResponse(
        data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    filename = f"techex-du-lieu-ca-nhan-{request.user.pk}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_delete(user=request.user)
        logout(request)
        messages.success(request, _("Tài khoản của bạn đã được xoá."))
        return redirect("/")
    return render(request, "accounts/delete.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def memberships(request):
    if request.method == "POST":
        form = MembershipRequestForm(request.POST)
        if form.is_valid():
            try:
                services.membership_request(
                    user=request.user,
                    organization=form.cleaned_data["organization"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                _error_message(request, error)
            else:
                messages.success(request, _("Đã gửi yêu cầu tham gia. Bạn sẽ nhận thông báo khi được duyệt."))
        else:
            messages.error(request, _("Yêu cầu không hợp lệ."))
        return redirect("accounts:memberships")
    query = request.GET.get("q", "").strip()
    mine = list(selectors.memberships_of(request.user))
    joined = {
        m.organization_id for m in mine if m.status in (MembershipStatus.ACTIVE, MembershipStatus.PENDING)
    }
    results = selectors.organization_search(query=query) if query else []
    return render(
        request,
        "accounts/memberships.html",
        {
            "memberships": mine,
            "query": query,
            "results": [org for org in results if org.pk not in joined],
            "request_form": MembershipRequestForm(),
            "managed_ids": {
                m.organization_id for m in mine if permissions.is_tto_manager(request.user, m.organization_id)
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Đã đăng ký tổ chức %(name)s. Nhân viên sàn sẽ xác minh và duyệt vai trò quản lý của bạn.")
                % {"name": organization.name},
            )
            return redirect("accounts:memberships")
    return render(request, "accounts/organization_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organization_members(request, pk: int):
    organization = get_object_or_404(Organization.objects.select_related("kind", "province"), pk=pk)
    if not permissions.can_manage_organization(request.user, organization):
        raise PermissionDenied
    if request.method == "POST":
        membership = get_object_or_404(
            Membership, pk=request.POST.get("membership"), organization=organization
        )
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.membership_approve(actor=request.user, membership=membership)
                messages.success(request, _("Đã duyệt %(user)s.") % {"user": membership.user})
            elif action == "reject":
                form = MembershipRejectForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Vui lòng cho biết lý do từ chối."))
                services.membership_reject(
                    actor=request.user, membership=membership, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Đã từ chối yêu cầu của %(user)s.") % {"user": membership.user})
            elif action == "role":
                form = MembershipRoleForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Vai trò không hợp lệ."))
                services.membership_change_role(
                    actor=request.user, membership=membership, role=form.cleaned_data["role"]
                )
                messages.success(request, _("Đã đổi vai trò của %(user)s.") % {"user": membership.user})
            else:
                raise ValidationError(_("Thao tác không hợp lệ."))
        except ValidationError as error:
            _error_message(request, error)
        return redirect("accounts:organization_members", pk=organization.pk)
    members = list(selectors.organization_members(organization=organization))
    return render(
        request,
        "accounts/organization_members.html",
        {
            "organization": organization,
            "pending": [m for m in members if m.status == MembershipStatus.PENDING],
            "active": [m for m in members if m.status == MembershipStatus.ACTIVE],
            "role_form": MembershipRoleForm(),
        },
    )
