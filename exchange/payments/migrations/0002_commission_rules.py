from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    CommissionRule = apps.get_model("payments", "CommissionRule")
    CommissionRule.objects.get_or_create(
        code="standard",
        defaults={
            "name": "Phí sàn tiêu chuẩn",
            "applies_to": "all",
            "exchange_percent": Decimal("5.00"),
            "broker_percent": Decimal("5.00"),
            "note": "Giá trị mặc định để trình diễn; nhân viên sàn chỉnh trong trang quản trị.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
