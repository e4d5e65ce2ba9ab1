"""Saved valuations, their immutable versions, comparables and appraisers' published reports."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.models import TransactionType


class Method(models.TextChoices):
    RELIEF_FROM_ROYALTY = "relief_from_royalty", _("Miễn trả tiền bản quyền (relief-from-royalty)")
    DCF = "dcf", _("Chiết khấu dòng tiền (DCF)")
    RNPV = "rnpv", _("NPV điều chỉnh rủi ro (rNPV)")
    RULE_25 = "rule_25", _("Quy tắc 25 %")
    COST = "cost", _("Phương pháp chi phí")
    MARKET = "market", _("Phương pháp so sánh thị trường")
    SCORING = "scoring", _("Chấm điểm định tính (kiểu IPscore)")


class Valuation(models.Model):
    """A user's working valuation: the chosen methods and their inputs; results are recomputed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người lập"),
        on_delete=models.CASCADE,
        related_name="valuations",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("tổ chức"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="valuations",
    )
    listing = models.ForeignKey(
        "listings.Listing",
        verbose_name=_("công nghệ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="valuations",
    )
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("thẩm định viên được phân công"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appraised_valuations",
    )
    service_request = models.OneToOneField(
        "support.ServiceRequest",
        verbose_name=_("yêu cầu định giá chuyên gia"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="valuation",
        help_text=_("Yêu cầu dịch vụ định giá (#6) mà thẩm định viên thực hiện trong không gian này."),
    )
    title = models.CharField(_("tên"), max_length=200)
    methods = models.JSONField(_("phương pháp"), default=list, blank=True)
    inputs = models.JSONField(_("dữ liệu đầu vào"), default=dict, blank=True)
    results = models.JSONField(_("kết quả gần nhất"), default=dict, blank=True, editable=False)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("định giá")
        verbose_name_plural = _("định giá")
        indexes = [models.Index(fields=["owner", "updated_at"])]

    def __str__(self) -> str:
        return self.title


class ValuationVersion(models.Model):
    """A saved, immutable snapshot of the inputs and of the results they gave."""

    valuation = models.ForeignKey(Valuation, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("phiên bản"))
    methods = models.JSONField(_("phương pháp"), default=list)
    inputs = models.JSONField(_("dữ liệu đầu vào"), default=dict)
    results = models.JSONField(_("kết quả"), default=dict)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("lưu lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("phiên bản định giá")
        verbose_name_plural = _("phiên bản định giá")
        constraints = [
            models.UniqueConstraint(fields=["valuation", "number"], name="valuation_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.valuation} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Phiên bản đã lưu không thể sửa."))
        super().save(*args, **kwargs)


class Comparable(models.Model):
    """A comparable technology transaction for the market approach."""

    title = models.CharField(_("mô tả ngắn"), max_length=300)
    field = models.ForeignKey(
        "listings.ScienceField", verbose_name=_("lĩnh vực"), null=True, blank=True, on_delete=models.PROTECT
    )
    trl = models.PositiveSmallIntegerField(
        _("TRL"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    transaction_type = models.CharField(
        _("hình thức giao dịch"), max_length=40, choices=TransactionType.choices, blank=True
    )
    value_vnd = models.BigIntegerField(_("giá trị (VND)"), validators=[MinValueValidator(0)])
    year = models.PositiveSmallIntegerField(
        _("năm giao dịch"), validators=[MinValueValidator(1990), MaxValueValidator(2200)]
    )
    source_note = models.TextField(_("nguồn"), blank=True)
    # Comparables from closed deals: the lead wires the parties' consent (#6) before these are created.
    source_deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("giao dịch nguồn"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="valuation_comparables",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("giao dịch so sánh")
        verbose_name_plural = _("giao dịch so sánh")
        indexes = [models.Index(fields=["field", "transaction_type", "trl"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class ValuationReport(models.Model):
    """A report an appraiser published: the rendered HTML, its SHA-256, who and when; never changed."""

    valuation = models.ForeignKey(Valuation, on_delete=models.CASCADE, related_name="reports")
    version = models.ForeignKey(ValuationVersion, on_delete=models.PROTECT, related_name="reports")
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="published_valuation_reports",
    )
    appraiser_name = models.CharField(_("thẩm định viên"), max_length=200)
    language = models.CharField(_("ngôn ngữ"), max_length=5, default="vi")
    opinion = models.TextField(_("ý kiến của thẩm định viên"), blank=True)
    content_html = models.TextField(_("nội dung (HTML)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    seal = models.CharField(_("dấu xác thực của sàn"), max_length=100)
    published_at = models.DateTimeField(_("công bố lúc"))

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("báo cáo thẩm định")
        verbose_name_plural = _("báo cáo thẩm định")

    def __str__(self) -> str:
        return f"{self.valuation} — {self.appraiser_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Báo cáo đã công bố không thể sửa."))
        super().save(*args, **kwargs)

    def content_matches(self) -> bool:
        return hashlib.sha256(self.content_html.encode("utf-8")).hexdigest() == self.sha256
