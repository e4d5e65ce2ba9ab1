"""Uploads are checked by content; confidential files live outside MEDIA_ROOT and are served only to
the people allowed, everyone else gets 404."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exchange.core.models import AuditLog
from listings import services
from listings.lifecycle import ListingState, NotPermitted
from listings.permissions import register_confidential_grant, unregister_confidential_grant

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes():
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buf, format="PNG")
    return buf.getvalue()


def ooxml(member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(member, "<x/>")
    return buf.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def add(people, listing, name="hop-dong.pdf", content=PDF, confidential=False, actor=None):
    return services.listing_attachment_add(
        actor=actor or people.owner, listing=listing, file=upload(name, content), confidential=confidential
    )


# --- upload validation ----------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.pdf", PDF),
        ("a.png", png_bytes()),
        ("a.docx", ooxml("word/document.xml")),
        ("a.xlsx", ooxml("xl/workbook.xml")),
    ],
)
def test_allowed_uploads(people, make_listing, name, content):
    attachment = add(people, make_listing(), name=name, content=content)
    # Pictures are re-encoded (so their size may change); documents are stored byte for byte.
    assert attachment.size == (attachment.file.size if name.endswith(".png") else len(content)) > 0
    assert attachment.original_name == name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("bao-cao.pdf", png_bytes(), "không đúng định dạng"),  # a PNG renamed to .pdf
        ("bao-cao.pdf", b"MZ\x90\x00 windows exe", "không đúng định dạng"),
        ("bao-cao.docx", ooxml("xl/workbook.xml"), "không đúng định dạng"),  # xlsx renamed to docx
        ("bao-cao.docx", b"PK\x03\x04 not really a zip", "không đúng định dạng"),
        ("virus.exe", b"MZ\x90\x00", "không được phép"),
        ("khong-duoi", PDF, "không được phép"),
        ("rong.pdf", b"", "rỗng"),
    ],
)
def test_rejected_uploads(people, make_listing, name, content, fragment):
    listing = make_listing()
    with pytest.raises(ValidationError) as exc:
        add(people, listing, name=name, content=content)
    assert fragment in " ".join(exc.value.messages)
    assert not listing.attachments.exists()


@pytest.mark.django_db
def test_upload_too_large(people, make_listing, settings):
    settings.LISTING_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        add(people, make_listing(), content=PDF + b"0" * 200)
    assert "quá lớn" in exc.value.messages[0]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (8, 6), "blue")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    gps = exif.get_ifd(0x8825)  # GPSInfo
    gps[1] = "N"
    gps[2] = (10.0, 46.0, 30.0)  # Ho Chi Minh City
    gps[3] = "E"
    gps[4] = (106.0, 40.0, 0.0)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def stored_bytes(image) -> bytes:
    with image.image.open("rb") as handle:
        return handle.read()


@pytest.mark.django_db
def test_image_exif_and_gps_are_stripped(people, make_listing):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as check:  # the fixture really carries GPS
        assert check.getexif().get_ifd(0x8825)
    image = services.listing_image_add(
        actor=people.owner, listing=make_listing(), file=upload("anh.jpg", original)
    )
    data = stored_bytes(image)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info
    assert b"Exif" not in data and b"Camera maker" not in data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        ooxml("evil/payload.txt"),  # JPEG+ZIP polyglot
        b"<html><script>alert(document.cookie)</script></html>",
    ],
)
def test_appended_payload_is_dropped(people, make_listing, payload):
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), "green").save(buf, format="JPEG")
    polyglot = buf.getvalue() + payload
    image = services.listing_image_add(
        actor=people.owner, listing=make_listing(), file=upload("anh.jpg", polyglot)
    )
    data = stored_bytes(image)
    assert data.endswith(b"\xff\xd9")  # ends at the JPEG end-of-image marker
    assert b"PK\x03\x04" not in data and b"<script>" not in data
    assert (image.width, image.height) == (8, 6)


@pytest.mark.django_db
def test_image_pixel_limit(people, make_listing, monkeypatch):
    from listings import validators

    monkeypatch.setattr(validators, "IMAGE_MAX_PIXELS", 11)  # a 4×3 picture has 12 pixels
    listing = make_listing()
    with pytest.raises(ValidationError) as exc:
        services.listing_image_add(actor=people.owner, listing=listing, file=upload("anh.png", png_bytes()))
    assert "điểm ảnh" in " ".join(exc.value.messages)
    assert not listing.images.exists()


@pytest.mark.django_db
def test_path_traversal_filename_is_stored_safely(people, make_listing):
    attachment = add(people, make_listing(), name="../../etc/passwd.pdf", confidential=True)
    assert attachment.original_name == "passwd.pdf"
    stored = attachment.file.name
    assert ".." not in stored and "etc" not in stored.split("/")
    assert stored.startswith(f"listings/{attachment.listing_id}/files/") and stored.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32.pdf", "system32.pdf"),
        ("Báo cáo kết quả nghiên cứu.pdf", "Báo cáo kết quả nghiên cứu.pdf"),
        ("Ba\u0301o ca\u0301o.pdf", "Báo cáo.pdf"),  # decomposed accents come out composed (NFC)
        ("hop\x00dong\r\n.pdf", "hopdong.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override dropped
        ('a<b>:c"|?*.pdf', "a_b__c____.pdf"),
        ("...", "file"),
        ("", "file"),
        (".htaccess", "htaccess"),
    ],
)
def test_safe_filename(name, expected):
    from listings.validators import safe_filename

    assert safe_filename(name) == expected


def test_safe_filename_length_keeps_extension():
    from listings.validators import safe_filename

    name = safe_filename("ả" * 500 + ".docx")
    assert len(name) == 200 and name.endswith(".docx")


@pytest.mark.django_db
def test_images_are_verified_with_pillow(people, make_listing):
    listing = make_listing()
    image = services.listing_image_add(
        actor=people.owner, listing=listing, file=upload("anh.png", png_bytes())
    )
    assert (image.width, image.height) == (4, 3)
    assert image.image.url.startswith(settings.MEDIA_URL)
    with pytest.raises(ValidationError):
        services.listing_image_add(
            actor=people.owner, listing=listing, file=upload("anh.png", b"not an image")
        )
    with pytest.raises(ValidationError):
        services.listing_image_add(actor=people.owner, listing=listing, file=upload("anh.jpg", png_bytes()))
    services.listing_image_remove(actor=people.owner, image=image)
    assert not listing.images.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "stranger", "other_member", "other_tto", "moderator", "staff"])
def test_only_owners_upload(people, make_listing, role):
    with pytest.raises(NotPermitted):
        add(people, make_listing(), actor=people[role])


# --- storage ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_confidential_file_is_outside_media_and_has_no_url(people, make_listing):
    listing = make_listing()
    secret = add(people, listing, confidential=True)
    public = add(people, listing)
    secret_path = Path(secret.private_file.path).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert not secret_path.is_relative_to(media_root)
    assert secret_path.is_relative_to(Path(settings.STORAGES["private"]["OPTIONS"]["location"]).resolve())
    assert secret_path.read_bytes() == PDF
    assert not secret.public_file
    with pytest.raises(NotImplementedError):
        secret.private_file.url  # noqa: B018
    assert not secret.get_absolute_url().startswith(settings.MEDIA_URL)
    assert Path(public.public_file.path).resolve().is_relative_to(media_root)
    assert AuditLog.objects.filter(action="listing.attachment_add").count() == 2


@pytest.mark.django_db
def test_remove_attachment_deletes_file(people, make_listing, django_capture_on_commit_callbacks):
    secret = add(people, make_listing(), confidential=True)
    path = Path(secret.private_file.path)
    with pytest.raises(NotPermitted):
        services.listing_attachment_remove(actor=people.stranger, attachment=secret)
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_attachment_remove(actor=people.owner, attachment=secret)
    assert not path.exists()


# --- the download view --------------------------------------------------------------------------
def download(client, user, attachment):
    if not getattr(user, "is_anonymous", True):
        client.force_login(user)
    response = client.get(attachment.get_absolute_url())
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


CONFIDENTIAL_ACCESS = {
    "owner": 200,
    "tto": 200,  # a member of the owner organisation
    "moderator": 200,
    "staff": 200,
    "anonymous": 404,
    "stranger": 404,
    "other_member": 404,
    "other_tto": 404,
}


@pytest.mark.django_db
@pytest.mark.parametrize("published", [False, True])
@pytest.mark.parametrize(("role", "status"), CONFIDENTIAL_ACCESS.items())
def test_confidential_download(client, people, make_listing, role, status, published):
    listing = make_listing(published=published)
    secret = add(people, listing, confidential=True)
    response, body = download(client, people[role], secret)
    assert response.status_code == status
    views = AuditLog.objects.filter(action="listing.confidential_file_viewed", target_id=str(listing.pk))
    if status == 200:
        assert body == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="hop-dong.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        row = views.get()
        assert row.actor == people[role]
        assert row.data["attachment"] == secret.pk
    else:
        assert not views.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "role", "status"),
    [
        (ListingState.PUBLISHED, "anonymous", 200),
        (ListingState.PUBLISHED, "stranger", 200),
        (ListingState.DRAFT, "anonymous", 404),
        (ListingState.DRAFT, "stranger", 404),
        (ListingState.DRAFT, "owner", 200),
        (ListingState.AWAITING_MODERATION, "moderator", 200),
        (ListingState.EXPIRED, "anonymous", 404),
    ],
)
def test_public_attachment_download(client, people, make_listing, state, role, status):
    listing = make_listing(state=state)
    public = add(people, listing)
    response, body = download(client, people[role], public)
    assert response.status_code == status
    if status == 200:
        assert body == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment;")
    assert not AuditLog.objects.filter(action="listing.confidential_file_viewed").exists()


@pytest.mark.django_db
def test_missing_attachment_is_404(client, people):
    from django.urls import reverse

    assert client.get(reverse("listings:attachment", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_post_not_allowed(client, people, make_listing):
    secret = add(people, make_listing(), confidential=True)
    client.force_login(people.owner)
    assert client.post(secret.get_absolute_url()).status_code == 405


@pytest.mark.django_db
def test_grant_provider_opens_confidential_files(client, people, make_listing):
    listing = make_listing(published=True)
    secret = add(people, listing, confidential=True)

    def nda_signed(user, lst):
        return user.pk == people.stranger.pk and lst.pk == listing.pk

    register_confidential_grant(nda_signed)
    try:
        assert download(client, people.stranger, secret)[0].status_code == 200
        client.logout()
        assert download(client, people.other_member, secret)[0].status_code == 404
        assert download(client, people.anonymous, secret)[0].status_code == 404
    finally:
        unregister_confidential_grant(nda_signed)
    client.logout()
    assert download(client, people.stranger, secret)[0].status_code == 404
