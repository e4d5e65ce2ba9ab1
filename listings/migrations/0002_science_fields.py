"""Fields of science and technology: the Vietnamese classification (Decision 12/2008/QĐ-BKHCN),
aligned with the OECD Frascati fields, two levels (``2`` and ``2.07``). Staff may edit names later;
codes are the stable keys used by the interchange record."""

from django.db import migrations

FIELDS = [
    ("1", "Khoa học tự nhiên", "Natural sciences", [
        ("Toán học và thống kê", "Mathematics and statistics"),
        ("Khoa học máy tính và thông tin", "Computer and information sciences"),
        ("Vật lý", "Physical sciences"),
        ("Hóa học", "Chemical sciences"),
        ("Các khoa học trái đất và môi trường liên quan", "Earth and related environmental sciences"),
        ("Sinh học", "Biological sciences"),
        ("Khoa học tự nhiên khác", "Other natural sciences"),
    ]),
    ("2", "Khoa học kỹ thuật và công nghệ", "Engineering and technology", [
        ("Kỹ thuật dân dụng", "Civil engineering"),
        ("Kỹ thuật điện, kỹ thuật điện tử, kỹ thuật thông tin",
         "Electrical engineering, electronic engineering, information engineering"),
        ("Kỹ thuật cơ khí", "Mechanical engineering"),
        ("Kỹ thuật hóa học", "Chemical engineering"),
        ("Kỹ thuật vật liệu và luyện kim", "Materials engineering and metallurgy"),
        ("Kỹ thuật y học", "Medical engineering"),
        ("Kỹ thuật môi trường", "Environmental engineering"),
        ("Công nghệ sinh học môi trường", "Environmental biotechnology"),
        ("Công nghệ sinh học công nghiệp", "Industrial biotechnology"),
        ("Công nghệ nano", "Nano-technology"),
        ("Kỹ thuật thực phẩm và đồ uống", "Food and beverage engineering"),
        ("Khoa học kỹ thuật và công nghệ khác", "Other engineering and technologies"),
    ]),
    ("3", "Khoa học y, dược", "Medical and health sciences", [
        ("Y học cơ sở", "Basic medicine"),
        ("Y học lâm sàng", "Clinical medicine"),
        ("Y tế", "Health sciences"),
        ("Dược học", "Pharmacy"),
        ("Công nghệ sinh học trong y học", "Medical biotechnology"),
        ("Khoa học y, dược khác", "Other medical and pharmaceutical sciences"),
    ]),
    ("4", "Khoa học nông nghiệp", "Agricultural sciences", [
        ("Trồng trọt", "Crop science"),
        ("Chăn nuôi", "Animal and dairy science"),
        ("Thú y", "Veterinary science"),
        ("Lâm nghiệp", "Forestry"),
        ("Thủy sản", "Fisheries"),
        ("Công nghệ sinh học trong nông nghiệp", "Agricultural biotechnology"),
        ("Khoa học nông nghiệp khác", "Other agricultural sciences"),
    ]),
    ("5", "Khoa học xã hội", "Social sciences", [
        ("Tâm lý học", "Psychology"),
        ("Kinh tế và kinh doanh", "Economics and business"),
        ("Khoa học giáo dục", "Educational sciences"),
        ("Xã hội học", "Sociology"),
        ("Pháp luật", "Law"),
        ("Khoa học chính trị", "Political science"),
        ("Địa lý kinh tế và xã hội", "Social and economic geography"),
        ("Thông tin đại chúng và truyền thông", "Media and communications"),
        ("Khoa học xã hội khác", "Other social sciences"),
    ]),
    ("6", "Khoa học nhân văn", "Humanities", [
        ("Lịch sử và khảo cổ học", "History and archaeology"),
        ("Ngôn ngữ học và văn học", "Languages and literature"),
        ("Triết học, đạo đức học và tôn giáo", "Philosophy, ethics and religion"),
        ("Nghệ thuật", "Arts"),
        ("Khoa học nhân văn khác", "Other humanities"),
    ]),
]


def rows():
    for code, name, name_en, children in FIELDS:
        yield code, name, name_en, None
        for i, (child, child_en) in enumerate(children, start=1):
            yield f"{code}.{i:02d}", child, child_en, code


def load(apps, schema_editor):
    ScienceField = apps.get_model("listings", "ScienceField")
    by_code = {}
    for code, name, name_en, parent in rows():
        obj, _ = ScienceField.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "parent": by_code.get(parent)}
        )
        by_code[code] = obj


def unload(apps, schema_editor):
    ScienceField = apps.get_model("listings", "ScienceField")
    codes = [r[0] for r in rows()]
    ScienceField.objects.filter(code__in=codes, parent__isnull=False).delete()
    ScienceField.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
