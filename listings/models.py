"""Technology offers and requests, their taxonomy, IP rights, media and pending revisions.

One ``Listing`` model carries both kinds (offer / request) because they share the lifecycle, the
moderation path, the interchange record (docs: interchange.md) and search; the few kind-specific
fields are simply blank for the other kind. States and transitions live in ``listings.lifecycle``.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .lifecycle import ListingState

TRL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(9)]


def default_origin() -> str:
    return settings.EXCHANGE_ORIGIN


class ScienceField(models.Model):
    """A field of S&T (Decision 12/2008/QĐ-BKHCN, aligned with OECD Frascati); rows loaded by a migration."""

    code = models.CharField(_("mã"), max_length=10, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("lĩnh vực cha"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("lĩnh vực KH&CN")
        verbose_name_plural = _("lĩnh vực KH&CN")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def level(self) -> int:
        return 1 if self.parent_id is None else 2


class ListingKind(models.TextChoices):
    OFFER = "offer", _("Chào bán công nghệ")
    REQUEST = "request", _("Nhu cầu công nghệ")


class TransactionType(models.TextChoices):
    EXCLUSIVE_LICENSE = "exclusive_license", _("Li-xăng độc quyền")
    NON_EXCLUSIVE_LICENSE = "non_exclusive_license", _("Li-xăng không độc quyền")
    ASSIGNMENT = "assignment", _("Chuyển nhượng quyền sở hữu")
    CAPITAL_CONTRIBUTION = "capital_contribution", _("Góp vốn bằng công nghệ")
    JOINT_DEVELOPMENT = "joint_development", _("Hợp tác phát triển")
    FRANCHISING = "franchising", _("Nhượng quyền thương mại")
    TECHNICAL_SERVICE = "technical_service", _("Dịch vụ kỹ thuật")
    CONSULTING = "consulting", _("Tư vấn")
    EQUIPMENT_WITH_TECHNOLOGY = "equipment_with_technology", _("Máy móc, thiết bị kèm công nghệ")


class IPType(models.TextChoices):
    PATENT = "patent", _("Sáng chế")
    UTILITY_SOLUTION = "utility_solution", _("Giải pháp hữu ích")
    INDUSTRIAL_DESIGN = "industrial_design", _("Kiểu dáng công nghiệp")
    TRADEMARK = "trademark", _("Nhãn hiệu")
    COPYRIGHT = "copyright", _("Quyền tác giả")
    SOFTWARE = "software", _("Phần mềm")
    PLANT_VARIETY = "plant_variety", _("Giống cây trồng")
    LAYOUT_DESIGN = "layout_design", _("Thiết kế bố trí mạch tích hợp")
    TRADE_SECRET = "trade_secret", _("Bí mật kinh doanh")
    KNOW_HOW = "know_how", _("Bí quyết kỹ thuật")


class IPStatus(models.TextChoices):
    NONE = "none", _("Chưa nộp đơn")
    FILED = "filed", _("Đã nộp đơn")
    GRANTED = "granted", _("Đã được cấp văn bằng")
    EXPIRED = "expired", _("Hết hiệu lực")


def _validate_string_list(value, label) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError(_("%(label)s phải là danh sách chuỗi không rỗng.") % {"label": label})


class Listing(models.Model):
    # Identity in the regional network: (origin, ref).
    origin = models.CharField(_("sàn gốc"), max_length=50, default=default_origin, db_index=True)
    ref = models.CharField(_("mã tham chiếu"), max_length=100)
    kind = models.CharField(_("loại tin"), max_length=10, choices=ListingKind.choices)
    state = models.CharField(
        _("trạng thái"),
        max_length=30,
        choices=ListingState.choices,
        default=ListingState.DRAFT,
        db_index=True,
    )

    title_vi = models.CharField(_("tên (tiếng Việt)"), max_length=300, blank=True)
    title_en = models.CharField(_("tên (tiếng Anh)"), max_length=300, blank=True)
    summary_vi = models.TextField(_("tóm tắt (tiếng Việt)"), blank=True)
    summary_en = models.TextField(_("tóm tắt (tiếng Anh)"), blank=True)
    description_vi = models.TextField(_("mô tả (tiếng Việt)"), blank=True)
    description_en = models.TextField(_("mô tả (tiếng Anh)"), blank=True)
    advantages_vi = models.TextField(_("ưu điểm (tiếng Việt)"), blank=True)
    advantages_en = models.TextField(_("ưu điểm (tiếng Anh)"), blank=True)
    applications_vi = models.TextField(_("ứng dụng (tiếng Việt)"), blank=True)
    applications_en = models.TextField(_("ứng dụng (tiếng Anh)"), blank=True)
    problem_vi = models.TextField(_("vấn đề cần giải quyết (tiếng Việt)"), blank=True)
    problem_en = models.TextField(_("vấn đề cần giải quyết (tiếng Anh)"), blank=True)
    desired_outcome_vi = models.TextField(_("kết quả mong muốn (tiếng Việt)"), blank=True)
    desired_outcome_en = models.TextField(_("kết quả mong muốn (tiếng Anh)"), blank=True)

    field = models.ForeignKey(
        ScienceField, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="listings"
    )
    keywords = models.JSONField(_("từ khóa"), default=list, blank=True)
    trl = models.PositiveSmallIntegerField(
        _("mức độ sẵn sàng công nghệ (TRL)"), null=True, blank=True, validators=TRL_VALIDATORS
    )
    transaction_types = models.JSONField(_("hình thức giao dịch"), default=list, blank=True)
    price_min = models.BigIntegerField(
        _("giá tối thiểu (VND)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    price_max = models.BigIntegerField(
        _("giá tối đa (VND)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    price_negotiable = models.BooleanField(_("giá thỏa thuận"), default=False)

    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("tổ chức"), on_delete=models.PROTECT, related_name="listings"
    )
    inventors = models.JSONField(_("tác giả / nhà sáng chế"), default=list, blank=True)
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("đồng sở hữu tin"),
        blank=True,
        related_name="coauthored_listings",
        help_text=_("Người dùng cùng quản lý tin này."),
    )
    province = models.ForeignKey(
        "core.Province", verbose_name=_("tỉnh/thành phố"), null=True, blank=True, on_delete=models.PROTECT
    )
    state_funded = models.BooleanField(_("sử dụng ngân sách nhà nước"), default=False)

    # Requests only.
    trl_wanted_min = models.PositiveSmallIntegerField(
        _("TRL mong muốn từ"), null=True, blank=True, validators=TRL_VALIDATORS
    )
    trl_wanted_max = models.PositiveSmallIntegerField(
        _("TRL mong muốn đến"), null=True, blank=True, validators=TRL_VALIDATORS
    )
    deadline = models.DateField(_("hạn chót"), null=True, blank=True)
    is_demo = models.BooleanField(
        _("dữ liệu mẫu"),
        default=False,
        db_index=True,
        help_text=_("Tin mẫu để trình diễn, không phải tin thật."),
    )
    anonymous = models.BooleanField(
        _("ẩn danh tổ chức"),
        default=False,
        help_text=_("Ẩn tên tổ chức đặt hàng với công chúng và các sàn khác."),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_listings",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    version = models.PositiveIntegerField(
        _("phiên bản công khai"),
        default=0,
        help_text=_("Tăng mỗi khi bản công khai thay đổi (đăng, sửa được duyệt, gỡ, hết hạn...)."),
    )
    submitted_at = models.DateTimeField(_("gửi duyệt lúc"), null=True, blank=True)
    tto_approved_at = models.DateTimeField(_("TTO duyệt lúc"), null=True, blank=True)
    tto_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("đăng lần đầu lúc"), null=True, blank=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True, db_index=True)
    sent_back_reason = models.TextField(_("lý do trả lại"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tin công nghệ")
        verbose_name_plural = _("tin công nghệ")
        constraints = [
            models.UniqueConstraint(fields=["origin", "ref"], name="listing_unique_origin_ref"),
            models.CheckConstraint(
                condition=models.Q(price_min__isnull=True)
                | models.Q(price_max__isnull=True)
                | models.Q(price_min__lte=models.F("price_max")),
                name="listing_price_min_lte_max",
            ),
            models.CheckConstraint(
                condition=(models.Q(price_min__isnull=True) | models.Q(price_min__gte=0))
                & (models.Q(price_max__isnull=True) | models.Q(price_max__gte=0)),
                name="listing_price_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(trl__isnull=True) | models.Q(trl__gte=1, trl__lte=9),
                name="listing_trl_1_9",
            ),
            models.CheckConstraint(
                condition=models.Q(trl_wanted_min__isnull=True)
                | models.Q(trl_wanted_max__isnull=True)
                | models.Q(trl_wanted_min__lte=models.F("trl_wanted_max")),
                name="listing_trl_wanted_min_lte_max",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"]),
            models.Index(fields=["organization", "state"]),
            models.Index(fields=["kind", "state", "-published_at"]),
        ]

    def __str__(self) -> str:
        return self.title_vi or self.title_en or self.ref

    def get_absolute_url(self) -> str:
        """The public detail page (technology or request), in the active language."""
        name = "listings:technology_detail" if self.kind == ListingKind.OFFER else "listings:request_detail"
        return reverse(name, args=[self.pk])

    @property
    def title(self) -> str:
        return self.title_vi or self.title_en

    def t(self, name: str, language: str | None = None) -> str:
        """A bilingual field (``title``, ``summary``…) in ``language`` (default: the active one),
        falling back to the other language when that one is blank."""
        from django.utils.translation import get_language

        lang = (language or get_language() or "vi")[:2]
        first, second = ("en", "vi") if lang == "en" else ("vi", "en")
        return getattr(self, f"{name}_{first}", "") or getattr(self, f"{name}_{second}", "") or ""

    def t_lang(self, name: str, language: str | None = None) -> str:
        """The language code the text returned by ``t()`` is actually in (for ``lang=`` attributes)."""
        from django.utils.translation import get_language

        lang = (language or get_language() or "vi")[:2]
        first, second = ("en", "vi") if lang == "en" else ("vi", "en")
        return first if getattr(self, f"{name}_{first}", "") else second

    @property
    def is_offer(self) -> bool:
        return self.kind == ListingKind.OFFER

    @property
    def is_public(self) -> bool:
        return self.state == ListingState.PUBLISHED

    def clean(self) -> None:
        errors: dict[str, list] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        if not (self.title_vi or "").strip() and not (self.title_en or "").strip():
            add("title_vi", _("Cần nhập tên công nghệ bằng ít nhất một ngôn ngữ."))
        if self.kind == ListingKind.OFFER and self.trl is None:
            add("trl", _("Chào bán công nghệ phải có mức độ sẵn sàng công nghệ (TRL 1–9)."))
        allowed = set(TransactionType.values)
        if not isinstance(self.transaction_types, list):
            add("transaction_types", _("Hình thức giao dịch phải là một danh sách."))
        else:
            unknown = [t for t in self.transaction_types if t not in allowed]
            if unknown:
                add(
                    "transaction_types",
                    _("Hình thức giao dịch không hợp lệ: %(values)s.")
                    % {"values": ", ".join(map(str, unknown))},
                )
            if len(set(map(str, self.transaction_types))) != len(self.transaction_types):
                add("transaction_types", _("Hình thức giao dịch bị lặp."))
        for name, label in (("keywords", _("Từ khóa")), ("inventors", _("Tác giả / nhà sáng chế"))):
            try:
                _validate_string_list(getattr(self, name), label)
            except ValidationError as exc:
                add(name, exc.messages[0])
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            add("price_max", _("Giá tối đa phải lớn hơn hoặc bằng giá tối thiểu."))
        if (
            self.trl_wanted_min is not None
            and self.trl_wanted_max is not None
            and self.trl_wanted_min > self.trl_wanted_max
        ):
            add("trl_wanted_max", _("TRL mong muốn “đến” phải lớn hơn hoặc bằng “từ”."))
        if errors:
            raise ValidationError(errors)


class IPRight(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="ip_rights")
    type = models.CharField(_("loại quyền SHTT"), max_length=30, choices=IPType.choices)
    status = models.CharField(_("tình trạng"), max_length=20, choices=IPStatus.choices, default=IPStatus.NONE)
    number = models.CharField(_("số đơn / số bằng"), max_length=100, blank=True)
    jurisdiction = models.CharField(_("nơi bảo hộ"), max_length=10, blank=True, default="VN")
    filed_on = models.DateField(_("ngày nộp đơn"), null=True, blank=True)
    granted_on = models.DateField(_("ngày cấp"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("quyền sở hữu trí tuệ")
        verbose_name_plural = _("quyền sở hữu trí tuệ")

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.number}".strip()


def _upload_name(prefix: str, instance, filename: str) -> str:
    """A random name under the listing's folder: the original name is kept in a field, never in paths."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"listings/{instance.listing_id}/{prefix}/{uuid.uuid4().hex}{suffix}"


def image_upload_to(instance, filename):
    return _upload_name("images", instance, filename)


def attachment_upload_to(instance, filename):
    return _upload_name("files", instance, filename)


class PrivateStorage(Storage):
    """Delegates to ``storages["private"]`` on every call and has no ``url()``.

    Resolving the backend per call keeps settings changes (tests) effective; having no ``url()`` means no
    URL under MEDIA_URL can ever be produced for a confidential file (Django's FileSystemStorage with
    ``base_url=None`` would otherwise fall back to MEDIA_URL). Serve them with ``listings:attachment``.
    """

    @staticmethod
    def backend() -> Storage:
        return storages["private"]

    def _open(self, name, mode="rb"):
        return self.backend().open(name, mode)

    def _save(self, name, content):
        return self.backend()._save(name, content)

    def get_available_name(self, name, max_length=None):
        return self.backend().get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend().generate_filename(filename)

    def delete(self, name):
        return self.backend().delete(name)

    def exists(self, name):
        return self.backend().exists(name)

    def listdir(self, path):
        return self.backend().listdir(path)

    def size(self, name):
        return self.backend().size(name)

    def path(self, name):
        return self.backend().path(name)

    def url(self, name):
        raise NotImplementedError("Confidential files have no URL; use ListingAttachment.get_absolute_url().")


def private_storage() -> Storage:
    return PrivateStorage()


class ListingImage(models.Model):
    """A public picture of the technology (default storage)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("ảnh"), upload_to=image_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    caption = models.CharField(_("chú thích"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ảnh")
        verbose_name_plural = _("ảnh")

    def __str__(self) -> str:
        return self.caption or PurePosixPath(self.image.name).name


class ListingAttachment(models.Model):
    """A document. Public ones live in default storage; confidential ones only in the private storage,
    reachable solely through the permission-checked ``listings:attachment`` view."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="attachments")
    confidential = models.BooleanField(_("bảo mật"), default=False)
    public_file = models.FileField(
        _("tệp công khai"), upload_to=attachment_upload_to, blank=True, max_length=255
    )
    private_file = models.FileField(
        _("tệp bảo mật"), upload_to=attachment_upload_to, storage=private_storage, blank=True, max_length=255
    )
    title = models.CharField(_("tiêu đề"), max_length=300, blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=5, blank=True)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("tài liệu đính kèm")
        verbose_name_plural = _("tài liệu đính kèm")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(confidential=True) & ~models.Q(private_file="") & models.Q(public_file="")
                )
                | (models.Q(confidential=False) & ~models.Q(public_file="") & models.Q(private_file="")),
                name="attachment_file_in_matching_storage",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.original_name

    def get_absolute_url(self) -> str:
        return reverse("listings:attachment", args=[self.pk])

    @property
    def file(self):
        return self.private_file if self.confidential else self.public_file


class ListingExpiryReminder(models.Model):
    """One row per (listing, threshold, expiry date) reminder sent, so each is sent once.

    Renewing moves ``expires_at``, so reminders for the new period are sent again.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="expiry_reminders")
    days_before = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nhắc hết hạn")
        verbose_name_plural = _("nhắc hết hạn")
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "days_before", "expires_at"], name="listing_reminder_once_per_threshold"
            )
        ]


class RevisionState(models.TextChoices):
    PENDING = "pending", _("Chờ duyệt")
    APPROVED = "approved", _("Đã duyệt")
    REJECTED = "rejected", _("Bị từ chối")


class RevisionStage(models.TextChoices):
    TTO = "tto", _("Chờ TTO duyệt")
    MODERATION = "moderation", _("Chờ kiểm duyệt")


class ListingRevision(models.Model):
    """A proposed edit of a published listing: a JSON snapshot of the editable fields.

    The live listing is unchanged until the revision is approved (TTO manager, then moderator).
    Every revision is kept as history; ``listings.snapshots.diff_snapshots`` compares two of them.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="revisions")
    data = models.JSONField(_("nội dung"))
    base_version = models.PositiveIntegerField(_("sửa từ phiên bản"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="listing_revisions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=RevisionState.choices, default=RevisionState.PENDING
    )
    stage = models.CharField(_("bước duyệt"), max_length=20, choices=RevisionStage.choices)
    reason = models.TextField(_("lý do"), blank=True)
    tto_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tto_approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bản sửa tin")
        verbose_name_plural = _("bản sửa tin")
        constraints = [
            models.UniqueConstraint(
                fields=["listing"],
                condition=models.Q(state="pending"),
                name="listing_one_pending_revision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing} #{self.pk} ({self.state})"


class SavedListing(models.Model):
    """A listing a signed-in user bookmarked ("Lưu"); shown in their portal."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_listings"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="saved_by")
    created_at = models.DateTimeField(_("lưu lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tin đã lưu")
        verbose_name_plural = _("tin đã lưu")
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="saved_listing_unique_pair")]

    def __str__(self) -> str:
        return f"{self.user} → {self.listing}"


class ListingDailyStat(models.Model):
    """Counters per listing and day, bumped with ``F()`` in ``listings.services`` (no read-then-write)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="daily_stats")
    date = models.DateField(_("ngày"))
    views = models.PositiveIntegerField(_("lượt xem"), default=0)
    saves = models.PositiveIntegerField(_("lượt lưu"), default=0)
    inquiries = models.PositiveIntegerField(_("lượt quan tâm"), default=0)

    class Meta:
        ordering = ["-date", "listing_id"]
        verbose_name = _("thống kê tin theo ngày")
        verbose_name_plural = _("thống kê tin theo ngày")
        constraints = [
            models.UniqueConstraint(fields=["listing", "date"], name="listing_daily_stat_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.date}: {self.views}/{self.saves}/{self.inquiries}"


class ExpertProfile(models.Model):
    """A scientist's public profile in the expert directory; only ``public`` ones are shown."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="expert_profile",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("tổ chức"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="experts",
    )
    slug = models.SlugField(_("đường dẫn"), max_length=100, unique=True)
    public = models.BooleanField(_("công khai"), default=False, db_index=True)
    academic_title = models.CharField(
        _("học hàm, học vị"), max_length=50, blank=True, help_text=_("Ví dụ: GS.TS., PGS.TS., TS., ThS.")
    )
    bio_vi = models.TextField(_("giới thiệu (tiếng Việt)"), blank=True)
    bio_en = models.TextField(_("giới thiệu (tiếng Anh)"), blank=True)
    expertise_fields = models.ManyToManyField(
        ScienceField, verbose_name=_("lĩnh vực chuyên môn"), blank=True, related_name="experts"
    )
    publications = models.JSONField(
        _("công bố khoa học"), default=list, blank=True, help_text=_("Danh sách {title, year, venue}.")
    )
    patents = models.JSONField(
        _("bằng sáng chế"), default=list, blank=True, help_text=_("Danh sách {title, number}.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__full_name", "id"]
        verbose_name = _("hồ sơ chuyên gia")
        verbose_name_plural = _("hồ sơ chuyên gia")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("listings:expert_detail", args=[self.slug])

    @property
    def display_name(self) -> str:
        name = self.user.get_full_name()
        return f"{self.academic_title} {name}".strip()

    def t(self, name: str, language: str | None = None) -> str:
        """``bio`` in the visitor's language, else the other one (same contract as ``Listing.t``)."""
        from django.utils.translation import get_language

        lang = (language or get_language() or "vi")[:2]
        first, second = ("en", "vi") if lang == "en" else ("vi", "en")
        return getattr(self, f"{name}_{first}", "") or getattr(self, f"{name}_{second}", "") or ""

    t_lang = Listing.t_lang  # the language ``t()`` answered in, for a ``lang`` attribute (WCAG 3.1.2)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.publications, list) or not all(
            isinstance(p, dict) and str(p.get("title", "")).strip() for p in self.publications
        ):
            errors["publications"] = _("Công bố phải là danh sách {title, year, venue} có tiêu đề.")
        if not isinstance(self.patents, list) or not all(
            isinstance(p, dict) and str(p.get("title", "")).strip() for p in self.patents
        ):
            errors["patents"] = _("Bằng sáng chế phải là danh sách {title, number} có tiêu đề.")
        if errors:
            raise ValidationError(errors)


# --- matching, introductions and saved searches (issue #5) ------------------------------------------
class Introduction(models.Model):
    """A broker (or staff) puts a request's organisation in touch with an offer's organisation.

    One row per (offer, request) pair: introducing the same pair twice says nothing new.
    """

    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người giới thiệu"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="introductions_made",
    )
    offer = models.ForeignKey(
        Listing, verbose_name=_("công nghệ chào bán"), on_delete=models.CASCADE, related_name="introductions"
    )
    request = models.ForeignKey(
        Listing, verbose_name=_("nhu cầu công nghệ"), on_delete=models.CASCADE, related_name="+"
    )
    note = models.TextField(_("ghi chú"), blank=True)
    created_at = models.DateTimeField(_("giới thiệu lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("giới thiệu đối tác")
        verbose_name_plural = _("giới thiệu đối tác")
        constraints = [
            models.UniqueConstraint(fields=["offer", "request"], name="introduction_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.request} ↔ {self.offer}"


class SavedSearchFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Báo ngay")
    DAILY = "daily", _("Tổng hợp hằng ngày")
    OFF = "off", _("Không báo")


class SavedSearch(models.Model):
    """A search a signed-in user keeps: the list page's filters (GET parameters) as JSON, and how they
    want to hear about newly published listings that match it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("tên"), max_length=120)
    kind = models.CharField(_("loại tin"), max_length=10, choices=ListingKind.choices)
    params = models.JSONField(_("điều kiện tìm kiếm"), default=dict, blank=True)
    frequency = models.CharField(
        _("thông báo"),
        max_length=10,
        choices=SavedSearchFrequency.choices,
        default=SavedSearchFrequency.IMMEDIATE,
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tìm kiếm đã lưu")
        verbose_name_plural = _("tìm kiếm đã lưu")
        indexes = [models.Index(fields=["kind", "frequency"])]

    def __str__(self) -> str:
        return self.name


class SavedSearchHit(models.Model):
    """A published listing that matched a saved search: the marker that it is reported once only.

    ``notified_at`` is empty while a daily-digest hit waits for the morning run."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="hits")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="saved_search_hits")
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tin khớp tìm kiếm đã lưu")
        verbose_name_plural = _("tin khớp tìm kiếm đã lưu")
        constraints = [
            models.UniqueConstraint(fields=["saved_search", "listing"], name="saved_search_hit_once"),
        ]
        indexes = [models.Index(fields=["notified_at", "saved_search"])]

    def __str__(self) -> str:
        return f"{self.saved_search_id} → {self.listing_id}"
