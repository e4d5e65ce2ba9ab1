"""Users, organisations and memberships.

Platform roles (researcher, business user, broker, moderator, appraiser, staff) say what a person does
on the exchange; membership roles (member, TTO manager, authorised signatory) say what they may do for
one organisation. Object-level rules live in ``exchange.accounts.permissions``.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformRole(models.TextChoices):
    RESEARCHER = "researcher", _("Nhà khoa học / tác giả")
    BUSINESS = "business", _("Doanh nghiệp")
    BROKER = "broker", _("Nhà môi giới")
    MODERATOR = "moderator", _("Kiểm duyệt viên")
    APPRAISER = "appraiser", _("Thẩm định viên")
    STAFF = "staff", _("Nhân viên sàn")


class Language(models.TextChoices):
    VI = "vi", "Tiếng Việt"
    EN = "en", "English"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person using the exchange; signs in with an email address."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("họ và tên"), max_length=200, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=5, choices=Language.choices, default=Language.VI)
    roles = models.ManyToManyField(
        "accounts.Role", verbose_name=_("vai trò trên sàn"), blank=True, related_name="users"
    )
    privacy_consent_at = models.DateTimeField(_("đồng ý chính sách bảo mật lúc"), null=True, blank=True)
    privacy_consent_version = models.CharField(_("phiên bản chính sách"), max_length=20, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[-1] if self.full_name else self.email

    def role_codes(self) -> frozenset[str]:
        """The user's platform roles, cached on the instance for the request."""
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("code", flat=True)) if self.pk else frozenset()
            self._role_codes = cached
        return cached

    def has_role(self, *codes: str) -> bool:
        if self.is_superuser and PlatformRole.STAFF in codes:
            return True
        return bool(self.role_codes().intersection(codes))


class Role(models.Model):
    """A platform role; the rows are data (one per ``PlatformRole``) loaded by a migration."""

    code = models.CharField(_("mã"), max_length=30, unique=True, choices=PlatformRole.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")

    def __str__(self) -> str:
        return str(PlatformRole(self.code).label)


class OrganizationKind(models.Model):
    """University, research institute, enterprise, intermediary/exchange, government — data, not code."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=100, blank=True)
    is_research = models.BooleanField(
        _("tổ chức KH&CN"), default=False, help_text=_("Trường, viện: thường có bộ phận chuyển giao (TTO).")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("loại tổ chức")
        verbose_name_plural = _("loại tổ chức")

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    ref = models.SlugField(
        _("mã tham chiếu"),
        max_length=64,
        unique=True,
        help_text=_("Mã ổn định dùng khi nhập dữ liệu và đồng bộ."),
    )
    name = models.CharField(_("tên"), max_length=255)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=255, blank=True)
    short_name = models.CharField(_("tên viết tắt"), max_length=50, blank=True)
    kind = models.ForeignKey(OrganizationKind, verbose_name=_("loại"), on_delete=models.PROTECT)
    country = models.CharField(_("quốc gia (ISO 3166)"), max_length=2, default="VN")
    tax_code = models.CharField(_("mã số thuế"), max_length=20, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    province = models.ForeignKey(
        "core.Province", verbose_name=_("tỉnh/thành phố"), null=True, blank=True, on_delete=models.PROTECT
    )
    website = models.URLField(_("trang web"), blank=True)
    email = models.EmailField(_("email liên hệ"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    description = models.TextField(_("giới thiệu"), blank=True)
    description_en = models.TextField(_("giới thiệu (tiếng Anh)"), blank=True)
    verified = models.BooleanField(_("đã xác minh"), default=False)
    is_demo = models.BooleanField(
        _("dữ liệu mẫu"),
        default=False,
        help_text=_("Tổ chức mẫu để trình diễn; tên thật chỉ xuất hiện kèm dấu này."),
    )
    verified_at = models.DateTimeField(_("xác minh lúc"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tổ chức")
        verbose_name_plural = _("tổ chức")
        constraints = [
            models.UniqueConstraint(
                fields=["tax_code", "country"],
                condition=~models.Q(tax_code=""),
                name="organization_unique_tax_code",
            )
        ]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    MEMBER = "member", _("Thành viên")
    TTO_MANAGER = "tto_manager", _("Quản lý chuyển giao công nghệ (TTO)")
    SIGNATORY = "signatory", _("Người có thẩm quyền ký")


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Chờ duyệt")
    ACTIVE = "active", _("Đang hoạt động")
    REJECTED = "rejected", _("Bị từ chối")
    LEFT = "left", _("Đã rời")


class Membership(models.Model):
    """A person's place in an organisation; requested by the person, approved by its managers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("vai trò"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    title = models.CharField(_("chức danh"), max_length=150, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("thành viên tổ chức")
        verbose_name_plural = _("thành viên tổ chức")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org")
        ]
        indexes = [models.Index(fields=["organization", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE


class ApiToken(models.Model):
    """A named secret a partner system sends as ``Authorization: Token <key>``.

    Only the SHA-256 of the key is stored (a leaked database gives no usable token) with a short prefix
    so people can tell their tokens apart. Revoking keeps the row for the audit trail.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="partner_api_tokens",  # ``api_tokens`` is taken by Wagtail's own admin-API tokens
    )
    name = models.CharField(_("tên"), max_length=100)
    key_hash = models.CharField(_("mã băm khóa"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("tiền tố"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dùng lần cuối lúc"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("khóa API")
        verbose_name_plural = _("khóa API")
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
