"""Support-service requests (issue #6) and their versioned quotes; #7 makes accepted quotes payable.

States live in ``exchange.support.lifecycle``; every write goes through ``exchange.support.services``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .lifecycle import RequestState


class ServiceKind(models.TextChoices):
    CONSULTING = "consulting", _("Tư vấn")
    BROKERAGE = "brokerage", _("Môi giới")
    VALUATION = "valuation", _("Định giá công nghệ")
    TECHNICAL_SUPPORT = "technical_support", _("Hỗ trợ kỹ thuật")
    LEGAL_REVIEW = "legal_review", _("Rà soát pháp lý, hợp đồng")
    REGISTRATION_ASSISTANCE = "registration_assistance", _("Hỗ trợ đăng ký chuyển giao công nghệ")


class ServiceRequest(models.Model):
    kind = models.CharField(_("loại dịch vụ"), max_length=30, choices=ServiceKind.choices)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người yêu cầu"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    requester_organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("tổ chức yêu cầu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("giao dịch liên quan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )
    listing = models.ForeignKey(
        "listings.Listing",
        verbose_name=_("tin công nghệ liên quan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )
    description = models.TextField(_("mô tả nhu cầu"))
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=RequestState.choices, default=RequestState.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người được phân công"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_service_requests",
    )
    close_reason = models.TextField(_("lý do từ chối / hủy"), blank=True)
    delivery_note = models.TextField(_("kết quả bàn giao"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    delivered_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("yêu cầu dịch vụ hỗ trợ")
        verbose_name_plural = _("yêu cầu dịch vụ hỗ trợ")
        indexes = [models.Index(fields=["state", "kind"]), models.Index(fields=["requester", "state"])]

    def __str__(self) -> str:
        return f"DV-{self.pk}: {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("support:detail", args=[self.pk])


def vat_of(amount_vnd: int, vat_percent: Decimal) -> int:
    """VAT in whole VND, rounded half up."""
    return int((Decimal(amount_vnd) * Decimal(vat_percent) / 100).quantize(Decimal("1"), ROUND_HALF_UP))


class ServiceQuote(models.Model):
    """One version of the price; never edited (a change is a new version that supersedes this one)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="quotes")
    version = models.PositiveIntegerField(_("phiên bản"))
    amount_vnd = models.BigIntegerField(_("giá chưa thuế (VND)"), validators=[MinValueValidator(0)])
    vat_percent = models.DecimalField(
        _("thuế GTGT (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    vat_vnd = models.BigIntegerField(_("tiền thuế GTGT (VND)"), default=0)
    total_vnd = models.BigIntegerField(_("tổng cộng (VND)"), default=0)
    description = models.TextField(_("nội dung báo giá"))
    valid_until = models.DateField(_("hiệu lực đến"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("báo giá lúc"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("bị thay thế lúc"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("chấp nhận lúc"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["request_id", "-version"]
        verbose_name = _("báo giá dịch vụ")
        verbose_name_plural = _("báo giá dịch vụ")
        constraints = [
            models.UniqueConstraint(fields=["request", "version"], name="service_quote_unique_version"),
            models.CheckConstraint(condition=models.Q(amount_vnd__gte=0), name="service_quote_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"DV-{self.request_id} v{self.version}"
