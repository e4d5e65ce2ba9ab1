"""Writes about people, organisations and memberships.

Every service checks who may act (``PermissionDenied``) and whether the change makes sense
(``ValidationError``), runs in one transaction, writes an audit row and tells the people concerned.
Permission rules themselves live in ``exchange.accounts.permissions``.
"""

from __future__ import annotations

import datetime
from typing import Any

from anyascii import anyascii
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from exchange.core.models import AuditLog, Notification, NotificationPreference
from exchange.core.services import audit_record, notify

from . import permissions, privacy, selectors
from .models import (
    Language,
    Membership,
    MembershipRole,
    MembershipStatus,
    Organization,
    OrganizationKind,
    PlatformRole,
    Role,
    User,
)

# Roles a person may choose when registering; the others are granted by staff.
SIGNUP_ROLES = (PlatformRole.RESEARCHER, PlatformRole.BUSINESS)
EXPORT_FORMAT = "techex-personal-data/1"


# --- helpers --------------------------------------------------------------------------------------


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _url(recipient, name: str, *args) -> str:
    """A site path in the recipient's language (URLs carry a language prefix)."""
    with translation.override(getattr(recipient, "language", None) or settings.LANGUAGE_CODE):
        return reverse(name, args=args)


def _label(choices, value: str, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(choices(value).label)


def _membership_state(membership: Membership) -> dict[str, Any]:
    return {"status": membership.status, "role": membership.role, "title": membership.title}


def _lock_membership(membership: Membership) -> Membership:
    """Re-read the membership under a row lock and refresh the caller's instance with it."""
    fresh = Membership.objects.select_for_update().get(pk=membership.pk)
    for field in ("status", "role", "title", "requested_at", "decided_at", "decided_by_id"):
        setattr(membership, field, getattr(fresh, field))
    return membership


def _require_staff(actor) -> None:
    if not permissions.is_staff(actor):
        raise PermissionDenied(_("Chỉ nhân viên sàn được thực hiện thao tác này."))


def _require_manager(actor, organization: Organization) -> None:
    if not permissions.can_manage_organization(actor, organization):
        raise PermissionDenied(_("Bạn không quản lý tổ chức này."))


def _validate_membership_role(role: str) -> None:
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Vai trò không hợp lệ.")})


# --- users ----------------------------------------------------------------------------------------


def user_register_consent(
    *,
    user: User,
    full_name: str,
    language: str,
    role: str,
    consent: bool,
    version: str | None = None,
) -> User:
    """Complete a new registration: profile, platform role and consent to the privacy notice.

    Consent is the legal basis for processing under Decree 13/2023, so it is stored with the version of
    the notice the person saw and recorded in the audit log.
    """
    errors = {}
    full_name = (full_name or "").strip()
    if not consent:
        errors["privacy_consent"] = _("Bạn cần đồng ý với chính sách bảo mật để đăng ký.")
    if not full_name:
        errors["full_name"] = _("Vui lòng nhập họ và tên.")
    if language not in Language.values:
        errors["language"] = _("Ngôn ngữ không hợp lệ.")
    if role not in SIGNUP_ROLES:
        errors["role"] = _("Khi đăng ký chỉ được chọn vai trò nhà khoa học hoặc doanh nghiệp.")
    if errors:
        raise ValidationError(errors)
    version = version or settings.PRIVACY_NOTICE_VERSION
    with transaction.atomic():
        user.full_name = full_name[:200]
        user.language = language
        user.privacy_consent_at = timezone.now()
        user.privacy_consent_version = version
        user.save(update_fields=["full_name", "language", "privacy_consent_at", "privacy_consent_version"])
        user.roles.add(Role.objects.get(code=role))
        permissions.forget_cached_permissions(user)
        audit_record(
            actor=user,
            action="user.registered",
            target=user,
            after={"role": role, "language": language},
            data={"privacy_notice_version": version, "privacy_consent_at": _iso(user.privacy_consent_at)},
        )
    return user


def user_update_profile(*, user: User, full_name: str, phone: str, language: str) -> User:
    if not permissions.is_authenticated(user):
        raise PermissionDenied
    full_name, phone = (full_name or "").strip(), (phone or "").strip()
    errors = {}
    if not full_name:
        errors["full_name"] = _("Vui lòng nhập họ và tên.")
    if language not in Language.values:
        errors["language"] = _("Ngôn ngữ không hợp lệ.")
    if errors:
        raise ValidationError(errors)
    fields = {"full_name": full_name[:200], "phone": phone[:30], "language": language}
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    if not changed:
        return user
    with transaction.atomic():
        before = {name: getattr(user, name) for name in changed}
        for name in changed:
            setattr(user, name, fields[name])
        user.save(update_fields=changed)
        audit_record(
            actor=user,
            action="user.updated",
            target=user,
            before=before,
            after={name: fields[name] for name in changed},
        )
    return user


def _role_codes(user: User) -> list[str]:
    return sorted(user.roles.values_list("code", flat=True))


def user_grant_role(*, actor: User, user: User, role: str) -> User:
    _require_staff(actor)
    if role not in PlatformRole.values:
        raise ValidationError({"role": _("Vai trò không hợp lệ.")})
    with transaction.atomic():
        before = _role_codes(user)
        if role in before:
            raise ValidationError(_("Người dùng đã có vai trò này."))
        user.roles.add(Role.objects.get(code=role))
        permissions.forget_cached_permissions(user)
        audit_record(
            actor=actor,
            action="user.role_granted",
            target=user,
            before={"roles": before},
            after={"roles": sorted([*before, role])},
        )
    return user


def user_revoke_role(*, actor: User, user: User, role: str) -> User:
    _require_staff(actor)
    if role not in PlatformRole.values:
        raise ValidationError({"role": _("Vai trò không hợp lệ.")})
    with transaction.atomic():
        before = _role_codes(user)
        if role not in before:
            raise ValidationError(_("Người dùng không có vai trò này."))
        user.roles.remove(Role.objects.get(code=role))
        permissions.forget_cached_permissions(user)
        audit_record(
            actor=actor,
            action="user.role_revoked",
            target=user,
            before={"roles": before},
            after={"roles": [code for code in before if code != role]},
        )
    return user


# --- memberships ----------------------------------------------------------------------------------


def membership_request(*, user: User, organization: Organization, role: str) -> Membership:
    """Ask to join an organisation; its managers (or staff, if it has none yet) are told."""
    if not permissions.is_authenticated(user):
        raise PermissionDenied
    _validate_membership_role(role)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(user=user, organization=organization).first()
        )
        if membership is not None and membership.status in (
            MembershipStatus.PENDING,
            MembershipStatus.ACTIVE,
        ):
            raise ValidationError(_("Bạn đã là thành viên hoặc đã gửi yêu cầu tham gia tổ chức này."))
        before = _membership_state(membership) if membership else None
        if membership is None:
            membership = Membership.objects.create(
                user=user, organization=organization, role=role, status=MembershipStatus.PENDING
            )
        else:
            # A person who left or was declined may ask again; the one row per (user, org) is reused.
            membership.role = role
            membership.status = MembershipStatus.PENDING
            membership.requested_at = timezone.now()
            membership.decided_at = None
            membership.decided_by = None
            membership.save()
        audit_record(
            actor=user,
            action="membership.requested",
            target=membership,
            before=before,
            after=_membership_state(membership),
            data={"organization_id": organization.pk},
        )
        recipients = list(selectors.organization_managers(organization=organization)) or list(
            selectors.staff_users()
        )
        for recipient in recipients:
            notify(
                recipient=recipient,
                kind="membership_requested",
                context={
                    "user": user,
                    "organization": organization,
                    "role": _label(MembershipRole, role, recipient.language),
                },
                url=_url(recipient, "accounts:organization_members", organization.pk),
                target=membership,
            )
        permissions.forget_cached_permissions(user)
    return membership


def _membership_decide(
    *,
    actor: User,
    membership: Membership,
    status: str,
    action: str,
    wrong_state_message,
    decision_vi: str,
    decision_en: str,
    data: dict | None = None,
) -> Membership:
    """Approve or reject a pending request: one transaction, an audit row, and the requester told."""
    with transaction.atomic():
        _lock_membership(membership)
        if membership.status != MembershipStatus.PENDING:
            raise ValidationError(wrong_state_message)
        before = _membership_state(membership)
        membership.status = status
        membership.decided_at = timezone.now()
        membership.decided_by = actor
        membership.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(
            actor=actor,
            action=action,
            target=membership,
            before=before,
            after=_membership_state(membership),
            data=data,
        )
        notify(
            recipient=membership.user,
            kind="membership_decided",
            context={
                "organization": membership.organization,
                "decision_vi": decision_vi,
                "decision_en": decision_en,
            },
            url=_url(membership.user, "accounts:memberships"),
            target=membership,
        )
        permissions.forget_cached_permissions(membership.user)
        permissions.forget_cached_permissions(actor)
    return membership


def membership_approve(*, actor: User, membership: Membership) -> Membership:
    """Managers of the organisation approve; staff may always, e.g. for an organisation with no manager."""
    _require_manager(actor, membership.organization)
    return _membership_decide(
        actor=actor,
        membership=membership,
        status=MembershipStatus.ACTIVE,
        action="membership.approved",
        wrong_state_message=_("Chỉ duyệt được yêu cầu đang chờ."),
        decision_vi="chấp thuận",
        decision_en="approved",
    )


def membership_reject(*, actor: User, membership: Membership, reason: str) -> Membership:
    _require_manager(actor, membership.organization)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Vui lòng cho biết lý do từ chối.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Lý do tối đa 500 ký tự.")})
    return _membership_decide(
        actor=actor,
        membership=membership,
        status=MembershipStatus.REJECTED,
        action="membership.rejected",
        wrong_state_message=_("Chỉ từ chối được yêu cầu đang chờ."),
        decision_vi=f"từ chối (lý do: {reason})",
        decision_en=f"declined (reason: {reason})",
        data={"reason": reason},
    )


def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    _require_manager(actor, membership.organization)
    _validate_membership_role(role)
    with transaction.atomic():
        _lock_membership(membership)
        if membership.status != MembershipStatus.ACTIVE:
            raise ValidationError(_("Chỉ đổi vai trò của thành viên đang hoạt động."))
        if membership.role == role:
            raise ValidationError({"role": _("Thành viên đã có vai trò này.")})
        if (
            membership.role == MembershipRole.TTO_MANAGER
            and not permissions.is_staff(actor)
            and not selectors.organization_has_manager(
                organization=membership.organization, exclude=membership
            )
        ):
            # Otherwise the organisation would be left with nobody to approve its members.
            raise ValidationError(_("Tổ chức phải còn ít nhất một người quản lý."))
        before = _membership_state(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="membership.role_changed",
            target=membership,
            before=before,
            after=_membership_state(membership),
        )
        notify(
            recipient=membership.user,
            kind="membership_role_changed",
            context={
                "organization": membership.organization,
                "role_vi": _label(MembershipRole, role, "vi"),
                "role_en": _label(MembershipRole, role, "en"),
            },
            url=_url(membership.user, "accounts:memberships"),
            target=membership,
        )
        permissions.forget_cached_permissions(membership.user)
        permissions.forget_cached_permissions(actor)
    return membership


# --- organisations --------------------------------------------------------------------------------


def _unique_ref(name: str) -> str:
    base = slugify(anyascii(name))[:56].strip("-") or "org"
    ref, n = base, 1
    while Organization.objects.filter(ref=ref).exists():
        n += 1
        ref = f"{base}-{n}"
    return ref


def organization_create(
    *,
    actor: User,
    name: str,
    kind: OrganizationKind,
    ref: str = "",
    name_en: str = "",
    short_name: str = "",
    country: str = "VN",
    tax_code: str = "",
    address: str = "",
    province=None,
    website: str = "",
    email: str = "",
    phone: str = "",
    description: str = "",
) -> Organization:
    """Register an organisation, unverified until staff check it.

    When a non-staff person creates it, they also ask to become its TTO manager; since the new
    organisation has no manager, staff receive (and decide) that request.
    """
    if not permissions.is_authenticated(actor):
        raise PermissionDenied
    name = (name or "").strip()
    with transaction.atomic():
        organization = Organization(
            ref=(ref or "").strip() or _unique_ref(name),
            name=name,
            name_en=name_en.strip(),
            short_name=short_name.strip(),
            kind=kind,
            country=(country or "VN").upper(),
            tax_code=tax_code.strip(),
            address=address.strip(),
            province=province,
            website=website.strip(),
            email=email.strip(),
            phone=phone.strip(),
            description=description,
            verified=False,
        )
        organization.full_clean()
        organization.save()
        audit_record(
            actor=actor,
            action="organization.created",
            target=organization,
            after={
                "ref": organization.ref,
                "name": organization.name,
                "kind": kind.code,
                "tax_code": organization.tax_code,
                "verified": False,
            },
        )
        if not permissions.is_staff(actor):
            membership_request(user=actor, organization=organization, role=MembershipRole.TTO_MANAGER)
    return organization


#: Fields ``organization_update`` may change (the staff form's fields); verification has its own service.
ORGANIZATION_EDITABLE_FIELDS = (
    "ref",
    "name",
    "name_en",
    "short_name",
    "kind",
    "country",
    "tax_code",
    "address",
    "province",
    "website",
    "email",
    "phone",
    "description",
    "description_en",
)
#: ``hook(organization_id, changed_field_names)`` runs after commit of every ``organization_update`` that
#: changed something: other apps follow an organisation without accounts importing them (the search index
#: holds the organisation's names in its listings' documents: ``listings.search.indexing``).
_ORGANIZATION_CHANGE_HOOKS: list = []


def register_organization_change_hook(hook):
    if hook not in _ORGANIZATION_CHANGE_HOOKS:
        _ORGANIZATION_CHANGE_HOOKS.append(hook)
    return hook


def _audit_value(value):
    return getattr(value, "pk", value)


def organization_update(*, actor: User, organization: Organization, changes: dict[str, Any]) -> Organization:
    """Change an organisation's details (staff, or a TTO manager of it): validated, audited with the
    values before and after, and the change hooks run after commit with the names of the fields that
    changed (a rename reaches the search index this way). Nothing changed: nothing written."""
    unknown = set(changes) - set(ORGANIZATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"organization_update cannot change {sorted(unknown)}")  # a caller's mistake
    _require_manager(actor, organization)
    with transaction.atomic():
        fresh = Organization.objects.select_for_update().get(pk=organization.pk)
        changed = [name for name, value in changes.items() if getattr(fresh, name) != value]
        if not changed:
            return fresh
        before = {name: _audit_value(getattr(fresh, name)) for name in changed}
        for name in changed:
            setattr(fresh, name, changes[name])
        fresh.full_clean()
        fresh.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action="organization.updated",
            target=fresh,
            before=before,
            after={name: _audit_value(getattr(fresh, name)) for name in changed},
        )
        organization_id, fields = fresh.pk, frozenset(changed)
        for hook in list(_ORGANIZATION_CHANGE_HOOKS):
            transaction.on_commit(lambda hook=hook: hook(organization_id, fields))
    return fresh


def organization_verify(*, actor: User, organization: Organization) -> Organization:
    _require_staff(actor)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if organization.verified:
            raise ValidationError(_("Tổ chức đã được xác minh."))
        organization.verified = True
        organization.verified_at = timezone.now()
        organization.verified_by = actor
        organization.save(update_fields=["verified", "verified_at", "verified_by", "updated_at"])
        audit_record(
            actor=actor,
            action="organization.verified",
            target=organization,
            before={"verified": False},
            after={"verified": True, "verified_at": _iso(organization.verified_at)},
        )
        for manager in selectors.organization_managers(organization=organization):
            notify(
                recipient=manager,
                kind="organization_verified",
                context={"organization": organization},
                url=_url(manager, "accounts:organization_members", organization.pk),
                target=organization,
            )
    return organization


# --- personal data --------------------------------------------------------------------------------


def user_export_data(*, user: User) -> dict[str, Any]:
    """Everything the exchange holds about the person, as JSON-ready data (Decree 13/2023 access right).

    Other apps add their part through ``exchange.accounts.privacy.register_exporter``.
    """
    from allauth.account.models import EmailAddress

    if not permissions.is_authenticated(user):
        raise PermissionDenied
    preference = NotificationPreference.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(timezone.now()),
        "profile": {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "phone": user.phone,
            "language": user.language,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "consent": {
            "privacy_consent_at": _iso(user.privacy_consent_at),
            "privacy_consent_version": user.privacy_consent_version,
            "current_notice_version": settings.PRIVACY_NOTICE_VERSION,
        },
        "roles": _role_codes(user),
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "memberships": [
            {
                "organization": {
                    "id": m.organization_id,
                    "ref": m.organization.ref,
                    "name": m.organization.name,
                },
                "role": m.role,
                "status": m.status,
                "title": m.title,
                "requested_at": _iso(m.requested_at),
                "decided_at": _iso(m.decided_at),
            }
            for m in selectors.memberships_of(user)
        ],
        "notification_preference": {"email_frequency": preference.email_frequency} if preference else None,
        "notifications": [
            {
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "url": n.url,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
                "emailed_at": _iso(n.emailed_at),
            }
            for n in Notification.objects.filter(recipient=user).order_by("created_at", "pk").iterator()
        ],
        "audit": [
            {
                "created_at": _iso(a.created_at),
                "action": a.action,
                "target": a.target_repr,
                "ip_address": a.ip_address,
                "before": a.before,
                "after": a.after,
                "data": a.data,
            }
            for a in AuditLog.objects.filter(actor=user).order_by("created_at", "pk").iterator()
        ],
        "apps": {name: exporter(user) for name, exporter in sorted(privacy.exporters().items())},
    }
    with transaction.atomic():
        audit_record(actor=user, action="user.data_exported", target=user)
    return data


def user_delete(*, user: User) -> User:
    """Erase the person: the account row stays (for references) but carries nothing personal.

    Memberships end (status ``left``); what the person created for an organisation stays with it.
    Audit rows keep what happened but lose the name, email and field values about the person.
    """
    from allauth.account.models import EmailAddress

    if not user.pk or not user.is_active:
        raise ValidationError(_("Tài khoản này đã bị xoá hoặc bị khoá."))
    with transaction.atomic():
        erasers = sorted(privacy.erasers().items())
        for _name, eraser in erasers:
            eraser(user)
        now = timezone.now()
        ended = list(
            Membership.objects.filter(
                user=user, status__in=[MembershipStatus.ACTIVE, MembershipStatus.PENDING]
            )
        )
        for membership in ended:
            membership.status = MembershipStatus.LEFT
            membership.decided_at = now
        Membership.objects.bulk_update(ended, ["status", "decided_at"])
        Notification.objects.filter(recipient=user).delete()
        NotificationPreference.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        user.roles.clear()

        user.email = f"deleted-{user.pk}@invalid"
        user.full_name = ""
        user.phone = ""
        user.set_unusable_password()
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.save()
        permissions.forget_cached_permissions(user)

        AuditLog.objects.filter(actor=user).update(actor_repr=user.email)
        user_type = ContentType.objects.get_for_model(User)
        AuditLog.objects.filter(target_type=user_type, target_id=str(user.pk)).update(
            target_repr=user.email, before=None, after=None
        )
        membership_type = ContentType.objects.get_for_model(Membership)
        for membership in Membership.objects.filter(user=user).select_related("organization"):
            membership.user = user
            AuditLog.objects.filter(target_type=membership_type, target_id=str(membership.pk)).update(
                target_repr=str(membership)[:300]
            )
        audit_record(
            actor=user,
            action="user.deleted",
            target=user,
            before={"is_active": True},
            after={"is_active": False},
            data={"memberships_ended": [m.pk for m in ended], "erasers": [name for name, _fn in erasers]},
        )
    return user
