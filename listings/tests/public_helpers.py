"""Helpers shared by the public-site tests (listings and cms)."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from listings.models import IPRight, IPStatus, IPType, ListingImage

CONTEXT_PROCESSOR = "cms.context_processors.site"


@pytest.fixture
def site_context(settings):
    """The cms context processor on (the lead adds it to settings), and a fresh demo-flag cache."""
    templates = [dict(t) for t in settings.TEMPLATES]
    options = dict(templates[0]["OPTIONS"])
    if CONTEXT_PROCESSOR not in options["context_processors"]:
        options["context_processors"] = [*options["context_processors"], CONTEXT_PROCESSOR]
    templates[0]["OPTIONS"] = options
    settings.TEMPLATES = templates
    cache.clear()
    yield
    cache.clear()


def png_upload(name="anh.png"):
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def dress(listing, *, image=True, ip=True):
    """Give a listing an image and an IP right, so list/detail pages exercise their prefetches."""
    if image:
        ListingImage.objects.create(listing=listing, image=png_upload(), caption=f"Ảnh {listing.ref}")
    if ip:
        IPRight.objects.create(
            listing=listing,
            type=IPType.PATENT,
            status=IPStatus.GRANTED,
            number=f"1-00{listing.pk}",
            jurisdiction="VN",
        )
    return listing
