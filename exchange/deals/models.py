"""Deals: inquiry, NDA, negotiation (messages, versioned term sheets), contract, signatures, milestones.

States and transitions live in ``exchange.deals.lifecycle``; every write goes through
``exchange.deals.services``. Legal rates and deadlines (revenue shares for state-funded results, the
registration deadline) are rows staff can edit, never constants in code.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from listings.models import TransactionType, private_storage

from .lifecycle import DealState


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Side(models.TextChoices):
    BUYER = "buyer", _("Bên nhận chuyển giao")
    SELLER = "seller", _("Bên chuyển giao")
    BROKER = "broker", _("Môi giới")
    STAFF = "staff", _("Sàn")


class Deal(models.Model):
    listing = models.ForeignKey(
        "listings.Listing", verbose_name=_("tin công nghệ"), on_delete=models.PROTECT, related_name="deals"
    )
    buyer_organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("bên nhận chuyển giao"),
        on_delete=models.PROTECT,
        related_name="deals_as_buyer",
    )
    seller_organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("bên chuyển giao"),
        on_delete=models.PROTECT,
        related_name="deals_as_seller",
    )
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người khởi tạo"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="initiated_deals",
    )
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nhà môi giới"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="brokered_deals",
    )
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=DealState.choices, default=DealState.INQUIRY, db_index=True
    )
    nda_template = models.ForeignKey(
        "deals.NdaTemplate",
        verbose_name=_("mẫu thỏa thuận bảo mật"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    value_vnd = models.BigIntegerField(
        _("giá trị giao dịch (VND)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    close_reason = models.TextField(_("lý do từ chối / hủy"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    signed_at = models.DateTimeField(_("ký xong lúc"), null=True, blank=True)
    completed_at = models.DateTimeField(_("hoàn tất lúc"), null=True, blank=True)
    # Each side's consent to the deal's anonymised use as a valuation comparable (None: not given).
    comparable_consent_buyer_at = models.DateTimeField(
        _("bên nhận đồng ý dùng làm giao dịch so sánh lúc"), null=True, blank=True
    )
    comparable_consent_seller_at = models.DateTimeField(
        _("bên giao đồng ý dùng làm giao dịch so sánh lúc"), null=True, blank=True
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("giao dịch")
        verbose_name_plural = _("giao dịch")
        indexes = [
            models.Index(fields=["buyer_organization", "state"]),
            models.Index(fields=["seller_organization", "state"]),
            models.Index(fields=["listing", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(buyer_organization=models.F("seller_organization")),
                name="deal_parties_differ",
            ),
            models.CheckConstraint(
                condition=models.Q(value_vnd__isnull=True) | models.Q(value_vnd__gte=0),
                name="deal_value_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"GD-{self.pk}: {self.listing}"

    def get_absolute_url(self) -> str:
        return reverse("deals:room", args=[self.pk])

    @property
    def owner_side(self) -> str:
        """The side whose listing it is: the seller of an offer, the buyer of a request."""
        return Side.SELLER if self.listing.is_offer else Side.BUYER

    @property
    def owner_organization(self):
        return self.seller_organization if self.owner_side == Side.SELLER else self.buyer_organization

    @property
    def counterparty_organization(self):
        return self.buyer_organization if self.owner_side == Side.SELLER else self.seller_organization

    def organization_of(self, side: str):
        return self.buyer_organization if side == Side.BUYER else self.seller_organization


def message_upload_to(instance, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"deals/{instance.deal_id}/messages/{uuid.uuid4().hex}{suffix}"


class Message(models.Model):
    """One post in the deal room; an attachment lives in the private storage, served by a checked view."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="deal_messages"
    )
    side = models.CharField(_("bên"), max_length=10, choices=Side.choices)
    body = models.TextField(_("nội dung"))
    attachment = models.FileField(
        _("tệp đính kèm"), upload_to=message_upload_to, storage=private_storage, blank=True, max_length=255
    )
    attachment_name = models.CharField(_("tên tệp"), max_length=255, blank=True)
    attachment_size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("tin nhắn giao dịch")
        verbose_name_plural = _("tin nhắn giao dịch")

    def __str__(self) -> str:
        return f"{self.deal_id}/{self.pk}"

    def get_attachment_url(self) -> str:
        return reverse("deals:message_attachment", args=[self.pk]) if self.attachment else ""


class NdaTemplate(models.Model):
    """A non-disclosure agreement text: the exchange's standard one (no organisation) or an institution's."""

    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("tổ chức"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="nda_templates",
        help_text=_("Để trống: mẫu chuẩn của sàn."),
    )
    code = models.SlugField(_("mã"), max_length=60)
    language = models.CharField(_("ngôn ngữ"), max_length=5, default="vi")
    title = models.CharField(_("tiêu đề"), max_length=300)
    body = models.TextField(_("nội dung"))
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "code", "language", "-version"]
        verbose_name = _("mẫu thỏa thuận bảo mật")
        verbose_name_plural = _("mẫu thỏa thuận bảo mật")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code", "language", "version"], name="nda_template_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version}, {self.language})"

    @property
    def sha256(self) -> str:
        return sha256_text(self.body)


class NdaAcceptance(models.Model):
    """Who accepted which exact NDA text for which organisation, when and from where."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="nda_acceptances")
    template = models.ForeignKey(NdaTemplate, on_delete=models.PROTECT, related_name="acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user_name = models.CharField(_("họ và tên"), max_length=200)
    # None when an assigned broker accepts the NDA personally (as themselves, not for an organisation).
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(_("bên"), max_length=10, choices=Side.choices, blank=True)
    text = models.TextField(_("văn bản đã chấp nhận"))
    text_sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    accepted_at = models.DateTimeField(_("chấp nhận lúc"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        verbose_name = _("chấp nhận thỏa thuận bảo mật")
        verbose_name_plural = _("chấp nhận thỏa thuận bảo mật")

    def __str__(self) -> str:
        who = self.organization or self.get_side_display()
        return f"{self.user_name} ({who}) — {self.accepted_at:%Y-%m-%d}"


#: The fields of a term sheet that make up "the terms" (hashed, diffed, printed in the contract).
TERM_FIELDS = (
    "transaction_type",
    "field_of_use",
    "territory",
    "term_months",
    "upfront_fee_vnd",
    "milestones",
    "royalty_percent",
    "minimum_annual_royalty_vnd",
    "improvements",
    "support_training",
    "other_terms",
)


class TermSheet(models.Model):
    """One version of the proposed terms; versions are never edited, a change is a new version.

    Proposing counts as acceptance by the proposer's side; the terms are agreed when both the buyer and
    the seller side have accepted the same version.
    """

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="term_sheets")
    version = models.PositiveIntegerField(_("phiên bản"))
    transaction_type = models.CharField(
        _("hình thức giao dịch"), max_length=40, choices=TransactionType.choices
    )
    field_of_use = models.TextField(_("lĩnh vực sử dụng"))
    territory = models.CharField(_("phạm vi lãnh thổ"), max_length=300)
    term_months = models.PositiveIntegerField(_("thời hạn (tháng)"), validators=[MinValueValidator(1)])
    upfront_fee_vnd = models.BigIntegerField(
        _("phí trả trước (VND)"), default=0, validators=[MinValueValidator(0)]
    )
    milestones = models.JSONField(_("các mốc thanh toán"), default=list, blank=True)
    royalty_percent = models.DecimalField(
        _("phí bản quyền theo doanh thu (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    minimum_annual_royalty_vnd = models.BigIntegerField(
        _("phí bản quyền tối thiểu hằng năm (VND)"), default=0, validators=[MinValueValidator(0)]
    )
    improvements = models.TextField(_("cải tiến công nghệ"), blank=True)
    support_training = models.TextField(_("hỗ trợ kỹ thuật và đào tạo"), blank=True)
    other_terms = models.TextField(_("điều khoản khác"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_side = models.CharField(_("bên đề xuất"), max_length=10, choices=Side.choices)
    created_at = models.DateTimeField(_("đề xuất lúc"), auto_now_add=True)
    buyer_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    buyer_accepted_at = models.DateTimeField(null=True, blank=True)
    seller_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seller_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_sha256 = models.CharField(_("mã băm điều khoản"), max_length=64, editable=False)

    class Meta:
        ordering = ["deal_id", "-version"]
        verbose_name = _("bảng điều khoản")
        verbose_name_plural = _("bảng điều khoản")
        constraints = [models.UniqueConstraint(fields=["deal", "version"], name="term_sheet_unique_version")]

    def __str__(self) -> str:
        return f"{self.deal_id} v{self.version}"

    def terms(self) -> dict:
        """The terms as plain JSON values (Decimal as a string), in ``TERM_FIELDS`` order."""
        data = {}
        for name in TERM_FIELDS:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                value = f"{value:.2f}"
            data[name] = value
        return data

    def compute_sha256(self) -> str:
        return sha256_text(json.dumps(self.terms(), ensure_ascii=False, sort_keys=True))

    @property
    def milestones_total_vnd(self) -> int:
        return sum(int(m.get("amount_vnd") or 0) for m in self.milestones or [])

    @property
    def fixed_value_vnd(self) -> int:
        """Upfront fee plus milestone payments: the part of the price known at signature."""
        return int(self.upfront_fee_vnd) + self.milestones_total_vnd

    @property
    def is_agreed(self) -> bool:
        return bool(self.buyer_accepted_at and self.seller_accepted_at)

    def diff(self, previous: TermSheet | None) -> list[dict]:
        """What changed from ``previous``: ``[{field, label, before, after}]`` (all fields if none)."""
        before = previous.terms() if previous is not None else {}
        after = self.terms()
        changes = []
        for name in TERM_FIELDS:
            if previous is None or before.get(name) != after.get(name):
                changes.append(
                    {
                        "field": name,
                        "label": self._meta.get_field(name).verbose_name,
                        "before": before.get(name),
                        "after": after.get(name),
                    }
                )
        return changes


class RevenueShareRule(models.Model):
    """A share of revenue from a state-funded result: e.g. authors at least 30 %, a broker at most 10 %."""

    class Party(models.TextChoices):
        AUTHORS = "authors", _("Tác giả")
        BROKER = "broker", _("Tổ chức, cá nhân môi giới")

    class Bound(models.TextChoices):
        MIN = "min", _("tối thiểu")
        MAX = "max", _("tối đa")

    party = models.CharField(_("bên hưởng"), max_length=20, choices=Party.choices)
    bound = models.CharField(_("giới hạn"), max_length=5, choices=Bound.choices)
    percent = models.DecimalField(_("tỷ lệ (%)"), max_digits=5, decimal_places=2)
    source = models.CharField(_("căn cứ pháp lý"), max_length=300)
    note_vi = models.TextField(_("ghi chú (tiếng Việt)"), blank=True)
    note_en = models.TextField(_("ghi chú (tiếng Anh)"), blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        ordering = ["party", "bound"]
        verbose_name = _("quy định chia sẻ doanh thu")
        verbose_name_plural = _("quy định chia sẻ doanh thu")

    def __str__(self) -> str:
        return f"{self.get_party_display()} {self.get_bound_display()} {self.percent}% ({self.source})"


class RegistrationRule(models.Model):
    """When a transfer must be registered (Law on Technology Transfer Art. 31) and by when."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    description_vi = models.TextField(_("mô tả (tiếng Việt)"))
    description_en = models.TextField(_("mô tả (tiếng Anh)"), blank=True)
    deadline_days = models.PositiveIntegerField(_("thời hạn đăng ký (ngày kể từ khi ký)"))
    source = models.CharField(_("căn cứ pháp lý"), max_length=300)
    active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("quy định đăng ký chuyển giao công nghệ")
        verbose_name_plural = _("quy định đăng ký chuyển giao công nghệ")

    def __str__(self) -> str:
        return f"{self.code} ({self.deadline_days} ngày)"


def contract_pdf_upload_to(instance, filename: str) -> str:
    return f"deals/{instance.deal_id}/contracts/{uuid.uuid4().hex}.pdf"


def signed_pdf_upload_to(instance, filename: str) -> str:
    return f"deals/{instance.contract.deal_id}/signed/{uuid.uuid4().hex}.pdf"


class Contract(models.Model):
    """The contract generated from an agreed term sheet; its HTML is fixed and hashed at generation.

    A newer contract (after re-generation or new terms) supersedes this one and voids its signatures.
    """

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="contracts")
    term_sheet = models.ForeignKey(TermSheet, on_delete=models.PROTECT, related_name="contracts")
    terms_sha256 = models.CharField(_("mã băm điều khoản"), max_length=64)
    language = models.CharField(_("ngôn ngữ"), max_length=5, default="vi")
    content_html = models.TextField(_("nội dung (HTML)"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    registration_required = models.BooleanField(_("phải đăng ký chuyển giao"), default=False)
    registration = models.JSONField(_("dữ liệu đăng ký"), default=dict, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("bị thay thế lúc"), null=True, blank=True)
    # The PDF handed out for signing with a digital certificate, frozen (stored and hashed) the first time
    # it is asked for: an uploaded signed PDF must be an incremental update of exactly these bytes.
    signing_pdf = models.FileField(
        _("bản PDF để ký số"),
        upload_to=contract_pdf_upload_to,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    signing_pdf_sha256 = models.CharField(_("mã băm bản PDF để ký số"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("hợp đồng")
        verbose_name_plural = _("hợp đồng")

    def __str__(self) -> str:
        return f"HĐ-{self.deal_id}-{self.pk}"

    def integrity_errors(self) -> list[str]:
        """Empty when the stored HTML and the term sheet are exactly what was hashed at generation."""
        errors = []
        if sha256_text(self.content_html) != self.sha256:
            errors.append("content")
        if self.term_sheet.compute_sha256() != self.terms_sha256:
            errors.append("terms")
        return errors


class SignatureMethod(models.TextChoices):
    CLICK = "click", _("Ký bằng xác nhận mật khẩu")
    CERTIFICATE = "certificate", _("Ký số bằng chứng thư số")
    OTP = "otp", _("Ký bằng mã xác thực gửi qua email")


class Signature(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="signatures")
    side = models.CharField(_("bên"), max_length=10, choices=Side.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user_name = models.CharField(_("người ký"), max_length=200)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("phương thức"), max_length=20, choices=SignatureMethod.choices)
    document_sha256 = models.CharField(_("mã băm văn bản ký"), max_length=64)
    signed_at = models.DateTimeField(_("ký lúc"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    voided_at = models.DateTimeField(_("vô hiệu lúc"), null=True, blank=True)
    void_reason = models.CharField(_("lý do vô hiệu"), max_length=300, blank=True)
    # Digital-certificate signatures: the uploaded signed PDF and what pyHanko found in it.
    signed_pdf = models.FileField(
        _("tệp PDF đã ký số"),
        upload_to=signed_pdf_upload_to,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    signed_pdf_sha256 = models.CharField(_("mã băm tệp PDF đã ký số"), max_length=64, blank=True)
    certificate_subject = models.CharField(_("chủ thể chứng thư số"), max_length=500, blank=True)
    certificate_issuer = models.CharField(_("tổ chức cấp chứng thư số"), max_length=500, blank=True)
    certificate_serial = models.CharField(_("số hiệu chứng thư số"), max_length=100, blank=True)
    certificate_signing_time = models.DateTimeField(_("thời điểm ký số"), null=True, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("chữ ký")
        verbose_name_plural = _("chữ ký")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "side"],
                condition=models.Q(voided_at__isnull=True),
                name="signature_one_valid_per_side",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_name} ({self.get_side_display()})"

    @property
    def is_valid(self) -> bool:
        """Valid while not voided and the contract still hashes to what was signed."""
        contract = self.contract
        return (
            self.voided_at is None
            and self.document_sha256 == contract.sha256
            and not contract.integrity_errors()
        )


class SignatureCode(models.Model):
    """A one-time code emailed to a signatory to confirm a signature (instead of the password).

    Only a keyed hash of the code is stored. One active code per user and contract: asking again voids the
    previous one. A code dies after ``expires_at``, after ``MAX_ATTEMPTS`` wrong tries, or once used.
    """

    MAX_ATTEMPTS = 5
    LIFETIME_MINUTES = 10

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="signature_codes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(_("bên"), max_length=10, choices=Side.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mã xác thực ký")
        verbose_name_plural = _("mã xác thực ký")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "user"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="signature_code_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.user_id}"


class MilestoneKind(models.TextChoices):
    PAYMENT = "payment", _("Thanh toán")
    SUPPORT = "support", _("Hỗ trợ kỹ thuật / đào tạo")


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", _("Chưa thực hiện")
    DONE = "done", _("Đã thực hiện")


class DealMilestone(models.Model):
    """A payment or post-transfer obligation from the signed terms, tracked during execution."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("loại"), max_length=10, choices=MilestoneKind.choices)
    label = models.CharField(_("nội dung"), max_length=300)
    amount_vnd = models.BigIntegerField(_("số tiền (VND)"), default=0, validators=[MinValueValidator(0)])
    due_date = models.DateField(_("hạn"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        _("tình trạng"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("mốc thực hiện")
        verbose_name_plural = _("mốc thực hiện")

    def __str__(self) -> str:
        return self.label


class DealRating(models.Model):
    """One side's rating of the experience of a completed deal (once per side)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="ratings")
    side = models.CharField(_("bên"), max_length=10, choices=Side.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("điểm (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("nhận xét"), blank=True)
    created_at = models.DateTimeField(_("đánh giá lúc"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("đánh giá giao dịch")
        verbose_name_plural = _("đánh giá giao dịch")
        constraints = [
            models.UniqueConstraint(fields=["deal", "side"], name="deal_rating_once_per_side"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="deal_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"GD-{self.deal_id} {self.side}: {self.score}"
