"""The demo exchange used by ``make run`` (``seed_demo``). Everything goes through the services, so the
demo data is exactly what real users would produce."""

from allauth.account.models import EmailAddress
from django.utils import timezone

from exchange.accounts.models import (
    Membership,
    MembershipRole,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from exchange.core.models import Province

DEMO_MARKER_EMAIL = "admin@techex.local"

PEOPLE = [
    # email, name, roles, superuser
    (DEMO_MARKER_EMAIL, "Quản trị Sàn", ["staff"], True),
    ("moderator@techex.local", "Trần Thị Kiểm Duyệt", ["moderator"], False),
    ("tto@hcmut.techex.local", "Lê Văn Chuyển Giao", ["researcher"], False),
    ("researcher@hcmut.techex.local", "Nguyễn Văn Nghiên Cứu", ["researcher"], False),
    ("business@saigonwater.techex.local", "Phạm Thị Doanh Nghiệp", ["business"], False),
    ("broker@techex.local", "Võ Minh Môi Giới", ["broker"], False),
]

ORGANIZATIONS = [
    (
        "hcmut",
        "Trường Đại học Bách khoa – ĐHQG-HCM",
        "Ho Chi Minh City University of Technology – VNU-HCM",
        "HCMUT",
        "university",
        "268 Lý Thường Kiệt, Phường Diên Hồng",
        "https://hcmut.edu.vn",
    ),
    (
        "saigon-water",
        "Công ty Cổ phần Nước sạch Sài Gòn (dữ liệu mẫu)",
        "Saigon Clean Water JSC (demo)",
        "SGW",
        "enterprise",
        "Phường Bến Thành",
        "",
    ),
]

MEMBERS = [
    ("tto@hcmut.techex.local", "hcmut", MembershipRole.TTO_MANAGER),
    ("researcher@hcmut.techex.local", "hcmut", MembershipRole.MEMBER),
    ("business@saigonwater.techex.local", "saigon-water", MembershipRole.SIGNATORY),
]


def seed(*, password: str) -> list[str]:
    summary = []
    hcm = Province.objects.get(code="79")
    for email, name, roles, superuser in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=password,
                full_name=name,
                is_staff=superuser,
                is_superuser=superuser,
                privacy_consent_at=timezone.now(),
                privacy_consent_version="demo",
            )
        user.roles.set(Role.objects.filter(code__in=roles))
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        summary.append(f"{email} ({', '.join(roles)})")
    for ref, name, name_en, short, kind, address, website in ORGANIZATIONS:
        Organization.objects.update_or_create(
            ref=ref,
            defaults={
                "name": name,
                "name_en": name_en,
                "short_name": short,
                "kind": OrganizationKind.objects.get(code=kind),
                "address": address,
                "province": hcm,
                "website": website,
                "verified": True,
                "verified_at": timezone.now(),
            },
        )
    for email, org_ref, role in MEMBERS:
        Membership.objects.update_or_create(
            user=User.objects.get(email=email),
            organization=Organization.objects.get(ref=org_ref),
            defaults={"role": role, "status": MembershipStatus.ACTIVE, "decided_at": timezone.now()},
        )
    return summary
