"""Partner API tokens: issue, authenticate, revoke.

A token is shown once, when it is issued; the database keeps only its SHA-256 and a short prefix. Tokens
are random (256 bits), so a plain unsalted hash is enough and allows a direct indexed lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.core.services import audit_record

from . import permissions
from .models import ApiToken, User

TOKEN_PREFIX = "tx_"
PREFIX_LENGTH = 10  # "tx_" and 7 characters of the secret: enough to tell tokens apart, useless to guess
# Don't write ``last_used_at`` on every request (one write per token per minute is plenty).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 20


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _has_verified_email(user: User) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def api_token_credentials_check(*, email: str, password: str, request=None) -> User:
    """The user these credentials belong to, if they may hold API tokens.

    A wrong email or password gives one generic message (no way to learn whether an account exists);
    only someone who knows the password is told that the email address must be verified first. Failures
    count towards the sign-in lockout (django-axes needs the request); once locked, even the right
    password gets ``LoginLockedOut`` (429) until the lock ends.
    """
    from .lockout import raise_if_locked_out

    user = authenticate(request, email=(email or "").strip().lower(), password=password or "")
    if user is None:
        raise_if_locked_out(request)
    if user is None or not user.is_active:
        raise ValidationError(_("Email hoặc mật khẩu không đúng."), code="invalid_credentials")
    if not _has_verified_email(user):
        raise PermissionDenied(_("Vui lòng xác nhận địa chỉ email trước khi tạo khóa API."))
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue a new token for ``user``; returns the row and the secret (shown to the caller only once)."""
    if not permissions.is_authenticated(user):
        raise PermissionDenied(_("Tài khoản không hoạt động."))
    name = (name or "").strip() or str(_("Khóa API"))
    if len(name) > 100:
        raise ValidationError({"name": _("Tên khóa tối đa 100 ký tự.")})
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            _("Bạn đã có %(n)s khóa API đang dùng; hãy thu hồi bớt trước khi tạo thêm.") % {"n": active},
            code="too_many_tokens",
        )
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=token_hash(key), prefix=key[:PREFIX_LENGTH]
    )
    audit_record(
        actor=user, action="api_token.create", target=token, data={"name": name, "prefix": token.prefix}
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens (staff may revoke anyone's); revoking twice is harmless."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != getattr(actor, "pk", None) and not permissions.is_staff(actor):
        raise PermissionDenied(_("Đây không phải khóa API của bạn."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            target=token,
            before={"revoked": False},
            after={"revoked": True},
            data={"user": token.user_id, "prefix": token.prefix},
        )
    return token


def api_token_authenticate(key: str) -> ApiToken | None:
    """The active token with this key and an active user, or None; records when it was last used."""
    if not key or not key.startswith(TOKEN_PREFIX) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_of_user(user: User) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    if not permissions.is_authenticated(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")
