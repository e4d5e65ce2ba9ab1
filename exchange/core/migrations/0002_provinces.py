"""The 34 province-level units after the 2025 arrangement (Resolution 202/2025/QH15)."""

from django.db import migrations

SOUTHEAST = "Đông Nam Bộ"
PROVINCES = [
    # code, name, English name, region, former units merged into it
    ("01", "Thành phố Hà Nội", "Ha Noi City", "Đồng bằng sông Hồng", ""),
    ("04", "Cao Bằng", "Cao Bang", "Trung du và miền núi phía Bắc", ""),
    ("08", "Tuyên Quang", "Tuyen Quang", "Trung du và miền núi phía Bắc", "Hà Giang"),
    ("11", "Điện Biên", "Dien Bien", "Trung du và miền núi phía Bắc", ""),
    ("12", "Lai Châu", "Lai Chau", "Trung du và miền núi phía Bắc", ""),
    ("14", "Sơn La", "Son La", "Trung du và miền núi phía Bắc", ""),
    ("15", "Lào Cai", "Lao Cai", "Trung du và miền núi phía Bắc", "Yên Bái"),
    ("19", "Thái Nguyên", "Thai Nguyen", "Trung du và miền núi phía Bắc", "Bắc Kạn"),
    ("20", "Lạng Sơn", "Lang Son", "Trung du và miền núi phía Bắc", ""),
    ("22", "Quảng Ninh", "Quang Ninh", "Đồng bằng sông Hồng", ""),
    ("24", "Bắc Ninh", "Bac Ninh", "Đồng bằng sông Hồng", "Bắc Giang"),
    ("25", "Phú Thọ", "Phu Tho", "Trung du và miền núi phía Bắc", "Vĩnh Phúc, Hòa Bình"),
    ("31", "Thành phố Hải Phòng", "Hai Phong City", "Đồng bằng sông Hồng", "Hải Dương"),
    ("33", "Hưng Yên", "Hung Yen", "Đồng bằng sông Hồng", "Thái Bình"),
    ("37", "Ninh Bình", "Ninh Binh", "Đồng bằng sông Hồng", "Hà Nam, Nam Định"),
    ("38", "Thanh Hóa", "Thanh Hoa", "Bắc Trung Bộ và duyên hải miền Trung", ""),
    ("40", "Nghệ An", "Nghe An", "Bắc Trung Bộ và duyên hải miền Trung", ""),
    ("42", "Hà Tĩnh", "Ha Tinh", "Bắc Trung Bộ và duyên hải miền Trung", ""),
    ("44", "Quảng Trị", "Quang Tri", "Bắc Trung Bộ và duyên hải miền Trung", "Quảng Bình"),
    ("46", "Thành phố Huế", "Hue City", "Bắc Trung Bộ và duyên hải miền Trung", ""),
    ("48", "Thành phố Đà Nẵng", "Da Nang City", "Bắc Trung Bộ và duyên hải miền Trung", "Quảng Nam"),
    ("51", "Quảng Ngãi", "Quang Ngai", "Bắc Trung Bộ và duyên hải miền Trung", "Kon Tum"),
    ("52", "Gia Lai", "Gia Lai", "Tây Nguyên", "Bình Định"),
    ("56", "Khánh Hòa", "Khanh Hoa", "Bắc Trung Bộ và duyên hải miền Trung", "Ninh Thuận"),
    ("66", "Đắk Lắk", "Dak Lak", "Tây Nguyên", "Phú Yên"),
    ("68", "Lâm Đồng", "Lam Dong", "Tây Nguyên", "Đắk Nông, Bình Thuận"),
    ("75", "Đồng Nai", "Dong Nai", SOUTHEAST, "Bình Phước"),
    ("79", "Thành phố Hồ Chí Minh", "Ho Chi Minh City", SOUTHEAST, "Bình Dương, Bà Rịa – Vũng Tàu"),
    ("80", "Tây Ninh", "Tay Ninh", SOUTHEAST, "Long An"),
    ("82", "Đồng Tháp", "Dong Thap", "Đồng bằng sông Cửu Long", "Tiền Giang"),
    ("86", "Vĩnh Long", "Vinh Long", "Đồng bằng sông Cửu Long", "Bến Tre, Trà Vinh"),
    ("91", "An Giang", "An Giang", "Đồng bằng sông Cửu Long", "Kiên Giang"),
    ("92", "Thành phố Cần Thơ", "Can Tho City", "Đồng bằng sông Cửu Long", "Sóc Trăng, Hậu Giang"),
    ("96", "Cà Mau", "Ca Mau", "Đồng bằng sông Cửu Long", "Bạc Liêu"),
]


def load(apps, schema_editor):
    Province = apps.get_model("core", "Province")
    for code, name, name_en, region, former in PROVINCES:
        Province.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "region": region, "former_names": former}
        )


def unload(apps, schema_editor):
    apps.get_model("core", "Province").objects.filter(code__in=[p[0] for p in PROVINCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
