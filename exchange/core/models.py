"""Shared services every feature reuses: reference data, the audit log and notifications."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """A province-level unit of Vietnam (after the 2025 arrangement); data loaded by migrations."""

    code = models.CharField(_("mã"), max_length=10, unique=True)
    name = models.CharField(_("tên"), max_length=100, unique=True)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=100, blank=True)
    region = models.CharField(_("vùng"), max_length=50, blank=True)
    former_names = models.CharField(
        _("tên cũ đã sáp nhập"), max_length=300, blank=True, help_text=_("Phân cách bằng dấu phẩy")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("tỉnh/thành phố")
        verbose_name_plural = _("tỉnh/thành phố")

    def __str__(self) -> str:
        return self.name


class AuditLog(models.Model):
    """Who did what to which object, when, from where, with before/after for state changes.

    Rows are written by services only (``exchange.core.services.audit_record``), never by signals.
    """

    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("người thực hiện (lúc ghi)"), max_length=255, blank=True)
    action = models.CharField(_("hành động"), max_length=100, db_index=True)
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("loại đối tượng"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True, db_index=True)
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField(_("đối tượng"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    before = models.JSONField(_("trước"), null=True, blank=True)
    after = models.JSONField(_("sau"), null=True, blank=True)
    data = models.JSONField(_("chi tiết"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"])]
        verbose_name = _("nhật ký hoạt động")
        verbose_name_plural = _("nhật ký hoạt động")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr or '-'} {self.action} {self.target_repr}"


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Gửi ngay")
    DAILY = "daily", _("Tổng hợp hằng ngày")
    OFF = "off", _("Không gửi email")


class NotificationPreference(models.Model):
    """How a user wants to be emailed; in-app notifications are always recorded."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_frequency = models.CharField(
        _("tần suất email"), max_length=20, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE
    )

    class Meta:
        verbose_name = _("tùy chọn thông báo")
        verbose_name_plural = _("tùy chọn thông báo")

    def __str__(self) -> str:
        return f"{self.user}: {self.email_frequency}"


class Notification(models.Model):
    """One message to one person, rendered in their language when it was created."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("loại"), max_length=60, db_index=True)
    language = models.CharField(_("ngôn ngữ"), max_length=5, default="vi")
    subject = models.CharField(_("tiêu đề"), max_length=300)
    body = models.TextField(_("nội dung"))
    url = models.CharField(_("liên kết"), max_length=500, blank=True)
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("loại đối tượng"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    emailed_at = models.DateTimeField(
        _("đã gửi email lúc"),
        null=True,
        blank=True,
        help_text=_("Đặt ngay trước khi gửi email; tránh gửi trùng."),
    )
    # ``emailed_at`` is the claim; this is the proof the mail went out. A claim older than the lease
    # (``NOTIFICATION_EMAIL_LEASE``) without it belongs to a worker that died: the email is sent again.
    email_sent_at = models.DateTimeField(
        _("đã gửi xong email lúc"),
        null=True,
        blank=True,
        help_text=_("Đặt sau khi máy chủ thư nhận email."),
    )
    email_skipped = models.BooleanField(
        _("không gửi email"), default=False, help_text=_("Người nhận tắt email")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["emailed_at", "email_skipped"]),
        ]
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
