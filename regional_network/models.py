"""The regional network: our change log (what we publish), our peers, and what we hold from them.

- ``ChangeEntry`` is the origin side: one row per change of one of OUR listings' public record, in the
  order of ``seq`` (the cursor peers page with). Records are frozen JSON snapshots, so the feed never
  renders listings and a page costs one query.
- ``Peer`` is a registered exchange (its public key, base URL, pull state and health).
- ``FederatedRecord`` is the receiving side's memory of (origin, ref) → version and hash, kept even
  after a tombstone (a delete that arrives before the create must still win).
- ``QuarantinedRecord`` keeps invalid incoming records with the reason, never half-applied.
- ``SeenNonce`` blocks replays of signed requests inside the signature window.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeEntry(models.Model):
    seq = models.BigAutoField(primary_key=True)
    listing_id = models.BigIntegerField(_("mã tin"), db_index=True)
    ref = models.CharField(_("mã tham chiếu"), max_length=100)
    kind = models.CharField(_("loại tin"), max_length=10, blank=True)
    field = models.CharField(_("lĩnh vực"), max_length=10, blank=True)
    version = models.PositiveBigIntegerField(_("phiên bản"))
    source_version = models.PositiveBigIntegerField(_("phiên bản của tin"), default=0)
    deleted = models.BooleanField(_("đã gỡ khỏi công khai"), default=False)
    record = models.JSONField(_("bản ghi"), null=True, blank=True)
    record_hash = models.CharField(_("mã băm bản ghi"), max_length=64, blank=True)
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("thay đổi trong nhật ký liên thông")
        verbose_name_plural = _("nhật ký liên thông")
        constraints = [
            models.UniqueConstraint(fields=["ref", "version"], name="changeentry_unique_ref_version"),
        ]
        indexes = [models.Index(fields=["ref", "seq"], name="changeentry_ref_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.ref} v{self.version}{' (tombstone)' if self.deleted else ''}"


class Peer(models.Model):
    name = models.CharField(_("tên sàn"), max_length=200)
    origin = models.SlugField(
        _("mã sàn"),
        max_length=50,
        unique=True,
        help_text=_("Mã định danh của sàn trong mạng, ví dụ dongnai."),
    )
    base_url = models.URLField(_("địa chỉ gốc"), help_text=_("Ví dụ https://san.dongnai.gov.vn"))
    public_key = models.CharField(
        _("khóa công khai Ed25519"), max_length=100, help_text=_("32 byte thô, mã hóa base64.")
    )
    pull_interval = models.PositiveIntegerField(_("chu kỳ kéo (giây)"), default=300)
    active = models.BooleanField(_("đang hoạt động"), default=True)

    cursor = models.BigIntegerField(_("con trỏ"), default=0)
    remote_seq = models.BigIntegerField(_("số thứ tự mới nhất của sàn"), default=0)
    last_success_at = models.DateTimeField(_("đồng bộ thành công lúc"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("thử lần cuối lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    last_error_at = models.DateTimeField(_("lỗi lúc"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("số lần lỗi liên tiếp"), default=0)
    next_attempt_at = models.DateTimeField(_("lần kéo tiếp theo"), null=True, blank=True, db_index=True)
    records_applied = models.PositiveBigIntegerField(_("số bản ghi đã nhận"), default=0)
    # A lease instead of a long row lock: one pull at a time per peer, even across workers, without
    # holding a database write lock for the duration of a network transfer.
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    lock_token = models.CharField(max_length=32, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sàn liên thông")
        verbose_name_plural = _("sàn liên thông")

    def __str__(self) -> str:
        return f"{self.name} ({self.origin})"

    @property
    def lag(self) -> int:
        """How many sequence numbers the peer has published beyond what we have read (≥ 0)."""
        return max(0, self.remote_seq - self.cursor)


class FederatedRecord(models.Model):
    origin = models.CharField(_("sàn gốc"), max_length=50)
    ref = models.CharField(_("mã tham chiếu"), max_length=100)
    version = models.PositiveBigIntegerField(_("phiên bản"))
    deleted = models.BooleanField(_("đã gỡ"), default=False)
    record_hash = models.CharField(_("mã băm"), max_length=64, blank=True)
    listing = models.OneToOneField(
        "listings.Listing",
        verbose_name=_("tin"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="federated_record",
    )
    peer = models.ForeignKey(Peer, null=True, blank=True, on_delete=models.SET_NULL, related_name="records")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["origin", "ref"]
        verbose_name = _("bản ghi liên thông")
        verbose_name_plural = _("bản ghi liên thông")
        constraints = [
            models.UniqueConstraint(fields=["origin", "ref"], name="federatedrecord_unique_origin_ref")
        ]

    def __str__(self) -> str:
        return f"{self.origin}/{self.ref} v{self.version}"


class QuarantinedRecord(models.Model):
    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="quarantined")
    origin = models.CharField(_("sàn gốc"), max_length=50, blank=True)
    ref = models.CharField(_("mã tham chiếu"), max_length=200, blank=True)
    version = models.BigIntegerField(_("phiên bản"), null=True, blank=True)
    reason = models.TextField(_("lý do"))
    raw = models.JSONField(_("bản ghi gốc"), null=True, blank=True)
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bản ghi bị cách ly")
        verbose_name_plural = _("bản ghi bị cách ly")

    def __str__(self) -> str:
        return f"{self.origin}/{self.ref}: {self.reason[:80]}"


class SeenNonce(models.Model):
    key_id = models.CharField(max_length=50)
    nonce = models.CharField(max_length=128)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="seennonce_unique")]


# --- inquiries on federated listings (docs/federation.md, "Inquiries") --------------------------------
class ForwardedStatus(models.TextChoices):
    QUEUED = "queued", _("Đang chờ gửi")
    DELIVERED = "delivered", _("Đã tới sàn gốc")
    ACCEPTED = "accepted", _("Bên đăng tin đã chấp nhận")
    DECLINED = "declined", _("Bên đăng tin đã từ chối")
    FAILED = "failed", _("Không gửi được")


OPEN_FORWARDED = (ForwardedStatus.QUEUED, ForwardedStatus.DELIVERED)


class ForwardedInquiry(models.Model):
    """The buyer side: one of our members' interest in a peer's listing, forwarded to its origin.

    The buyer's identity is a snapshot taken when it was sent (that is what the origin received).
    ``callback_id`` is our id for it in the protocol; the origin keeps it unique per peer, so a repeated
    delivery creates nothing new there, and it names the status callback the origin sends back.
    """

    callback_id = models.UUIDField(_("mã gửi"), default=uuid.uuid4, unique=True, editable=False)
    peer = models.ForeignKey(
        Peer, verbose_name=_("sàn gốc"), on_delete=models.PROTECT, related_name="forwarded_inquiries"
    )
    listing = models.ForeignKey(
        "listings.Listing",
        verbose_name=_("tin"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="forwarded_inquiries",
    )
    ref = models.CharField(_("mã tham chiếu"), max_length=100)
    listing_title = models.CharField(_("tên tin"), max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gửi"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="forwarded_inquiries",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("tổ chức"),
        on_delete=models.PROTECT,
        related_name="forwarded_inquiries",
    )
    buyer_name = models.CharField(_("người liên hệ"), max_length=200)
    buyer_organization = models.CharField(_("tên tổ chức"), max_length=255)
    buyer_country = models.CharField(_("quốc gia"), max_length=2)
    buyer_email = models.EmailField(_("email liên hệ"), blank=True)
    message = models.TextField(_("lời nhắn"))
    status = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=ForwardedStatus.choices,
        default=ForwardedStatus.QUEUED,
        db_index=True,
    )
    remote_id = models.CharField(_("mã tại sàn gốc"), max_length=64, blank=True)
    reason = models.TextField(_("phản hồi của sàn gốc"), blank=True)
    contact = models.JSONField(_("liên hệ bên đăng tin"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("gửi lại lúc"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("tới sàn gốc lúc"), null=True, blank=True)
    decided_at = models.DateTimeField(_("có phản hồi lúc"), null=True, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quan tâm gửi tới sàn khác")
        verbose_name_plural = _("quan tâm gửi tới sàn khác")
        constraints = [
            # One open inquiry per organisation and listing (queued or delivered).
            models.UniqueConstraint(
                fields=["listing", "organization"],
                condition=models.Q(status__in=["queued", "delivered"]),
                name="forwardedinquiry_one_open_per_org",
            )
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="fwdinq_org_created")]

    def __str__(self) -> str:
        return f"{self.peer_id}/{self.ref} ← {self.buyer_organization} ({self.status})"


class IncomingStatus(models.TextChoices):
    RECEIVED = "received", _("Chờ phản hồi")
    ACCEPTED = "accepted", _("Đã chấp nhận")
    DECLINED = "declined", _("Đã từ chối")


class IncomingInquiry(models.Model):
    """The origin side: a peer's member is interested in one of OUR listings (unique per peer + id)."""

    peer = models.ForeignKey(
        Peer, verbose_name=_("sàn gửi"), on_delete=models.PROTECT, related_name="incoming_inquiries"
    )
    callback_id = models.CharField(_("mã gửi của sàn kia"), max_length=64)
    listing = models.ForeignKey(
        "listings.Listing",
        verbose_name=_("tin"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="incoming_inquiries",
    )
    ref = models.CharField(_("mã tham chiếu"), max_length=100)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("tổ chức đăng tin"),
        on_delete=models.PROTECT,
        related_name="incoming_inquiries",
    )
    buyer_name = models.CharField(_("người liên hệ"), max_length=200)
    buyer_organization = models.CharField(_("tổ chức quan tâm"), max_length=255)
    buyer_country = models.CharField(_("quốc gia"), max_length=2)
    buyer_email = models.EmailField(_("email liên hệ"), blank=True)
    message = models.TextField(_("lời nhắn"))
    status = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=IncomingStatus.choices,
        default=IncomingStatus.RECEIVED,
        db_index=True,
    )
    reason = models.TextField(_("lý do / lời nhắn phản hồi"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("phản hồi lúc"), null=True, blank=True)
    # Reporting the decision back to the buyer's exchange (signed callback, retried with backoff).
    report_pending = models.BooleanField(_("chờ báo lại"), default=False, db_index=True)
    report_attempts = models.PositiveIntegerField(default=0)
    report_next_at = models.DateTimeField(null=True, blank=True)
    report_error = models.TextField(_("lỗi báo lại"), blank=True)
    reported_at = models.DateTimeField(_("đã báo lại lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("nhận lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quan tâm từ sàn khác")
        verbose_name_plural = _("quan tâm từ sàn khác")
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "callback_id"], name="incominginquiry_unique_peer_callback"
            )
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="incinq_org_created")]

    def __str__(self) -> str:
        return f"{self.ref} ← {self.buyer_organization} ({self.peer_id})"
