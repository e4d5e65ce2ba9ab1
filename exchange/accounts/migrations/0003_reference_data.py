"""Platform roles and organisation kinds are data, loaded here and editable by staff afterwards."""

from django.db import migrations

ROLES = ["researcher", "business", "broker", "moderator", "appraiser", "staff"]
KINDS = [
    ("university", "Trường đại học", "University", True),
    ("research_institute", "Viện nghiên cứu", "Research institute", True),
    ("enterprise", "Doanh nghiệp", "Enterprise", False),
    ("intermediary", "Tổ chức trung gian / sàn giao dịch", "Intermediary / exchange", False),
    ("government", "Cơ quan nhà nước", "Government body", False),
]


def load(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Kind = apps.get_model("accounts", "OrganizationKind")
    for code in ROLES:
        Role.objects.get_or_create(code=code)
    for code, name, name_en, is_research in KINDS:
        Kind.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "is_research": is_research}
        )


def unload(apps, schema_editor):
    apps.get_model("accounts", "Role").objects.filter(code__in=ROLES).delete()
    apps.get_model("accounts", "OrganizationKind").objects.filter(code__in=[k[0] for k in KINDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(load, unload)]
