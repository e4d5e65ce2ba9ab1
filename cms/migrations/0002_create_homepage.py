"""Replace Wagtail's placeholder root child with the exchange's home page and point the site at it."""

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("cms.HomePage")

    # Wagtail's initial migration creates a "Welcome" page at /home/; it carries nothing of ours.
    Page.objects.filter(depth=2, url_path="/home/", content_type__app_label="wagtailcore").delete()

    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    locale = Locale.objects.order_by("pk").first()
    home = HomePage.objects.create(
        title="Sàn giao dịch công nghệ TP.HCM",
        draft_title="Sàn giao dịch công nghệ TP.HCM",
        slug="home",
        content_type=content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        intro_vi="Kết nối kết quả nghiên cứu của trường, viện với doanh nghiệp: tìm công nghệ, đăng nhu cầu, "
        "đàm phán, ký kết và thanh toán ngay trên sàn.",
        intro_en="Connecting university and institute research with business: find technologies, post needs, "
        "negotiate, sign and pay on the exchange.",
    )
    Page.objects.filter(depth=1).update(numchild=1)
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page_id": home.id, "site_name": "Sàn giao dịch công nghệ TP.HCM"},
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("cms.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("wagtailcore", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_homepage, remove_homepage)]
