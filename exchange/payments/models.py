"""Payments: payment requests for deal milestones, money received and refunded through a provider, the
bank statements and Stripe events that prove it, and a double-entry ledger in integer VND.

Ledger sign convention: a journal line's ``amount_vnd`` is positive for a debit and negative for a credit;
every entry sums to zero. An asset account (money at the bank or at Stripe) has a positive balance; a
party the exchange owes money to (seller, authors, broker, a buyer who overpaid) has a negative one.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Provider(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Chuyển khoản ngân hàng (VietQR)")
    STRIPE = "stripe", _("Thẻ quốc tế (Stripe)")


class CommissionRule(models.Model):
    """The exchange's commission and the broker's share, as data staff edit in the admin.

    The authors' share of a state-funded result comes from ``deals.RevenueShareRule`` (authors, min);
    for state-funded results the broker's share is also capped by the broker rule there (max).
    """

    class AppliesTo(models.TextChoices):
        ALL = "all", _("Mọi giao dịch")
        STATE_FUNDED = "state_funded", _("Kết quả sử dụng ngân sách nhà nước")
        OTHER = "other", _("Kết quả không sử dụng ngân sách nhà nước")

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    applies_to = models.CharField(
        _("áp dụng cho"), max_length=20, choices=AppliesTo.choices, default=AppliesTo.ALL
    )
    exchange_percent = models.DecimalField(
        _("phí sàn (%)"), max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS
    )
    broker_percent = models.DecimalField(
        _("phần môi giới (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT_VALIDATORS,
        help_text=_("Chỉ áp dụng khi giao dịch có nhà môi giới."),
    )
    note = models.TextField(_("ghi chú"), blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("quy định phí sàn")
        verbose_name_plural = _("quy định phí sàn")

    def __str__(self) -> str:
        return f"{self.name} ({self.exchange_percent}% / {self.broker_percent}%)"


class PaymentRequestStatus(models.TextChoices):
    OPEN = "open", _("Chờ thanh toán")
    PARTIALLY_PAID = "partially_paid", _("Đã thanh toán một phần")
    PAID = "paid", _("Đã thanh toán")
    OVERPAID = "overpaid", _("Thanh toán thừa")
    CANCELLED = "cancelled", _("Đã hủy")
    REFUNDED = "refunded", _("Đã hoàn tiền")


class PaymentRequest(models.Model):
    """An invoice-like request to pay either one milestone of a signed deal or one accepted support-service
    quote (#6), identified by a typable reference that the payer puts in the bank transfer note. Amount and
    currency are decided here, never by a client. The split percentages are fixed when the request is made
    so that later rule changes do not alter it."""

    reference = models.CharField(_("mã thanh toán"), max_length=20, unique=True)
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("giao dịch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    milestone = models.ForeignKey(
        "deals.DealMilestone",
        verbose_name=_("mốc thanh toán"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    service_quote = models.ForeignKey(
        "support.ServiceQuote",
        verbose_name=_("báo giá dịch vụ hỗ trợ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    description = models.CharField(_("nội dung"), max_length=300)
    amount_vnd = models.BigIntegerField(_("số tiền (VND)"), validators=[MinValueValidator(1)])
    currency = models.CharField(_("tiền tệ"), max_length=3, default="vnd")
    status = models.CharField(
        _("tình trạng"),
        max_length=20,
        choices=PaymentRequestStatus.choices,
        default=PaymentRequestStatus.OPEN,
        db_index=True,
    )
    paid_vnd = models.BigIntegerField(_("đã nhận (VND)"), default=0)
    refunded_vnd = models.BigIntegerField(_("đã hoàn (VND)"), default=0)
    vat_percent = models.DecimalField(
        _("thuế GTGT (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT_VALIDATORS,
    )
    exchange_percent = models.DecimalField(_("phí sàn (%)"), max_digits=5, decimal_places=2)
    broker_percent = models.DecimalField(_("phần môi giới (%)"), max_digits=5, decimal_places=2)
    authors_percent = models.DecimalField(_("phần tác giả (%)"), max_digits=5, decimal_places=2)
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nhà môi giới"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("hạn thanh toán"), null=True, blank=True)
    stripe_payment_intent = models.CharField(_("Stripe PaymentIntent"), max_length=100, blank=True)
    stripe_amount_vnd = models.BigIntegerField(_("số tiền của PaymentIntent (VND)"), default=0)
    stripe_attempt = models.PositiveIntegerField(default=0)
    cancel_reason = models.TextField(_("lý do hủy"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    paid_at = models.DateTimeField(_("thanh toán đủ lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("yêu cầu thanh toán")
        verbose_name_plural = _("yêu cầu thanh toán")
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=~models.Q(status__in=["cancelled", "refunded"]),
                name="payment_request_one_live_per_milestone",
            ),
            models.UniqueConstraint(
                fields=["service_quote"],
                condition=~models.Q(status__in=["cancelled", "refunded"]),
                name="payment_request_one_live_per_service_quote",
            ),
            # Exactly one thing is paid: a deal milestone (with its deal) or a support-service quote.
            models.CheckConstraint(
                condition=(
                    models.Q(milestone__isnull=False, deal__isnull=False, service_quote__isnull=True)
                    | models.Q(milestone__isnull=True, deal__isnull=True, service_quote__isnull=False)
                ),
                name="payment_request_milestone_xor_service_quote",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_vnd__gt=0), name="payment_request_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.amount_vnd:,} VND)".replace(",", ".")

    def get_absolute_url(self) -> str:
        return reverse("payments:detail", args=[self.reference])

    @property
    def is_service_fee(self) -> bool:
        return self.service_quote_id is not None

    @property
    def label(self) -> str:
        """What is paid: the milestone's label, or the support request and quote version."""
        if self.milestone_id:
            return self.milestone.label
        return self.description

    @property
    def context_url(self) -> str:
        """The page this payment belongs to: the deal room or the support request."""
        if self.deal_id:
            return self.deal.get_absolute_url()
        return reverse("support:detail", args=[self.service_quote.request_id])

    @property
    def context_ref(self) -> str:
        return f"GD-{self.deal_id}" if self.deal_id else f"DV-{self.service_quote.request_id}"

    @property
    def remaining_vnd(self) -> int:
        return max(self.amount_vnd - self.paid_vnd, 0)

    @property
    def overpaid_vnd(self) -> int:
        return max(self.paid_vnd - self.amount_vnd, 0)

    @property
    def is_payable(self) -> bool:
        return self.status in (PaymentRequestStatus.OPEN, PaymentRequestStatus.PARTIALLY_PAID)

    @property
    def vat_vnd(self) -> int:
        """VAT included in the amount (the amount is the gross the buyer pays); a support quote states its
        own VAT, which is used as is."""
        if self.service_quote_id:
            return self.service_quote.vat_vnd
        if not self.vat_percent:
            return 0
        return int(self.amount_vnd * self.vat_percent / (100 + self.vat_percent))


class Payment(models.Model):
    """Money received for a payment request, through one provider; ``external_id`` is the bank transaction
    id or the Stripe PaymentIntent id, unique per provider so the same money is never counted twice."""

    payment_request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("hình thức"), max_length=20, choices=Provider.choices)
    amount_vnd = models.BigIntegerField(_("số tiền (VND)"), validators=[MinValueValidator(1)])
    external_id = models.CharField(_("mã giao dịch của ngân hàng / Stripe"), max_length=100)
    received_at = models.DateTimeField(_("nhận lúc"))
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    journal_entry = models.OneToOneField(
        "payments.JournalEntry", null=True, on_delete=models.PROTECT, related_name="payment"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("khoản đã nhận")
        verbose_name_plural = _("khoản đã nhận")
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="payment_unique_external_id")
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.external_id}: {self.amount_vnd}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Đang xử lý")
    SUCCEEDED = "succeeded", _("Đã hoàn")
    FAILED = "failed", _("Thất bại")


class Refund(models.Model):
    """Money returned to the buyer through the provider that took it: a Stripe refund, or an outgoing bank
    transfer staff made and recorded here."""

    payment_request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="refunds")
    provider = models.CharField(_("hình thức"), max_length=20, choices=Provider.choices)
    amount_vnd = models.BigIntegerField(_("số tiền (VND)"), validators=[MinValueValidator(1)])
    status = models.CharField(
        _("tình trạng"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    external_id = models.CharField(_("mã hoàn tiền"), max_length=100, blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    journal_entry = models.OneToOneField(
        "payments.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="refund"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("khoản hoàn tiền")
        verbose_name_plural = _("khoản hoàn tiền")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~models.Q(external_id=""),
                name="refund_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} −{self.amount_vnd} ({self.get_status_display()})"


class StripeEvent(models.Model):
    """Every Stripe webhook event processed, once: the unique id makes a replay a no-op."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("sự kiện Stripe")
        verbose_name_plural = _("sự kiện Stripe")

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class BankStatementImport(models.Model):
    """One uploaded bank statement file and what its import did (the report staff read)."""

    filename = models.CharField(_("tên tệp"), max_length=255)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("nhập lúc"), auto_now_add=True)
    report = models.JSONField(_("báo cáo"), default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sao kê ngân hàng đã nhập")
        verbose_name_plural = _("sao kê ngân hàng đã nhập")

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


class BankLineStatus(models.TextChoices):
    MATCHED = "matched", _("Khớp đủ")
    PARTIAL = "partial", _("Thanh toán một phần")
    OVERPAID = "overpaid", _("Thanh toán thừa")
    UNKNOWN = "unknown", _("Không rõ mã thanh toán")
    NOT_PAYABLE = "not_payable", _("Yêu cầu không còn nhận tiền")
    OUTGOING = "outgoing", _("Tiền ra")


class BankStatementLine(models.Model):
    """One line of a statement; the bank's transaction id is unique, so a line imported twice is ignored."""

    statement = models.ForeignKey(BankStatementImport, on_delete=models.CASCADE, related_name="lines")
    bank_txn_id = models.CharField(_("mã giao dịch ngân hàng"), max_length=100, unique=True)
    date = models.DateField(_("ngày"))
    amount_vnd = models.BigIntegerField(_("số tiền (VND)"))
    description = models.CharField(_("nội dung"), max_length=500)
    status = models.CharField(_("kết quả"), max_length=20, choices=BankLineStatus.choices)
    payment_request = models.ForeignKey(
        PaymentRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_lines"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("dòng sao kê")
        verbose_name_plural = _("dòng sao kê")

    def __str__(self) -> str:
        return f"{self.bank_txn_id} {self.amount_vnd}"


# --- ledger ---------------------------------------------------------------------------------------------
class AccountKind(models.TextChoices):
    PROVIDER_CLEARING = "provider_clearing", _("Tiền tại ngân hàng / Stripe")
    EXCHANGE_COMMISSION = "exchange_commission", _("Phí sàn")
    BROKER = "broker", _("Phải trả môi giới")
    SELLER = "seller", _("Phải trả bên chuyển giao")
    AUTHORS = "authors", _("Phải trả tác giả")
    BUYER_CLEARING = "buyer_clearing", _("Phải trả lại bên nhận (thừa)")


class Account(models.Model):
    """One ledger account: per provider for money held, per party for what is owed to it."""

    kind = models.CharField(_("loại"), max_length=30, choices=AccountKind.choices)
    provider = models.CharField(_("hình thức"), max_length=20, choices=Provider.choices, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("tài khoản sổ cái")
        verbose_name_plural = _("tài khoản sổ cái")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "provider", "organization", "user"],
                name="account_unique_party",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        party = self.organization or self.user or self.get_provider_display() or ""
        return f"{self.get_kind_display()}: {party}" if party else str(self.get_kind_display())


class JournalEntry(models.Model):
    """One balanced posting: its lines sum to zero (enforced by ``ledger.post_entry``)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Nhận tiền")
        REFUND = "refund", _("Hoàn tiền")
        PAYOUT = "payout", _("Chi trả")

    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    memo = models.CharField(_("diễn giải"), max_length=300)
    payment_request = models.ForeignKey(
        PaymentRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="journal_entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bút toán")
        verbose_name_plural = _("bút toán")

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    amount_vnd = models.BigIntegerField(_("số tiền (VND, nợ + / có −)"))

    class Meta:
        ordering = ["entry_id", "id"]
        verbose_name = _("dòng bút toán")
        verbose_name_plural = _("dòng bút toán")
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_vnd=0), name="journal_line_non_zero")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount_vnd}"


class Payout(models.Model):
    """Money the exchange paid out of its bank account to a party it owed (seller, authors, broker, or a
    buyer's overpayment), recorded by staff after making the transfer."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payouts")
    amount_vnd = models.BigIntegerField(_("số tiền (VND)"), validators=[MinValueValidator(1)])
    bank_reference = models.CharField(_("mã giao dịch chuyển tiền"), max_length=100)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payout")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("khoản chi trả")
        verbose_name_plural = _("khoản chi trả")

    def __str__(self) -> str:
        return f"{self.account}: {self.amount_vnd}"
